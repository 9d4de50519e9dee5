//! Step 2 as OCI rules: security list rules (UpdateSecurityListDetails'
//! ingressSecurityRules / egressSecurityRules) or network security group rules
//! (AddNetworkSecurityGroupSecurityRulesDetails' securityRules), one set per target: the
//! load balancer's list or group gets the internet ingress, the worker nodes' the egress.

use serde::Serialize;
use serde_json::{Value, json};

use super::ConnectivityRule;
use super::{Target, cloud_description, split};

/// OCI's protocol number for TCP.
const TCP: &str = "6";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TcpOptions {
    destination_port_range: PortRange,
}

#[derive(Debug, Serialize)]
struct PortRange {
    min: u16,
    max: u16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IngressSecurityRule {
    source: String,
    source_type: &'static str,
    protocol: &'static str,
    is_stateless: bool,
    tcp_options: TcpOptions,
    description: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EgressSecurityRule {
    destination: String,
    destination_type: &'static str,
    protocol: &'static str,
    is_stateless: bool,
    tcp_options: TcpOptions,
    description: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AddSecurityRuleDetails {
    direction: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_type: Option<&'static str>,
    protocol: &'static str,
    is_stateless: bool,
    tcp_options: TcpOptions,
    description: String,
}

/// One (CIDR, port, description) per rule, port and network: OCI rules hold one of each.
fn expand<'a>(
    environment: &'a str,
    rules: &'a [&'a ConnectivityRule],
) -> impl Iterator<Item = (String, u16, String)> + 'a {
    rules.iter().flat_map(move |rule| {
        let description = cloud_description(environment, rule);
        rule.ports.iter().flat_map(move |&port| {
            let description = description.clone();
            rule.cidrs
                .iter()
                .map(move |cidr| (cidr.clone(), port, description.clone()))
        })
    })
}

fn tcp(port: u16) -> TcpOptions {
    TcpOptions {
        destination_port_range: PortRange {
            min: port,
            max: port,
        },
    }
}

/// Security list rules per target: `{"loadBalancer": {"ingressSecurityRules": [...]},
/// "workers": {"egressSecurityRules": [...]}}`. Internet ingress (80/443 from `0.0.0.0/0`
/// and `::/0`) is only ever under `loadBalancer`; each half is the body of
/// `oci network security-list update --from-json` for that target's list.
pub fn oci_security_list_rules(environment: &str, rules: &[ConnectivityRule]) -> Value {
    json!({
        "loadBalancer": oci_security_list_target(environment, rules, Target::LoadBalancer),
        "workers": oci_security_list_target(environment, rules, Target::Workers),
    })
}

/// The security list rules of one target: `{"ingressSecurityRules": [...]}` for the load
/// balancer's list, `{"egressSecurityRules": [...]}` for the worker nodes' list.
pub fn oci_security_list_target(
    environment: &str,
    rules: &[ConnectivityRule],
    target: Target,
) -> Value {
    let (ingress, egress) = split(rules);
    match target {
        Target::LoadBalancer => {
            let ingress: Vec<_> = expand(environment, &ingress)
                .map(|(cidr, port, description)| IngressSecurityRule {
                    source: cidr,
                    source_type: "CIDR_BLOCK",
                    protocol: TCP,
                    is_stateless: false,
                    tcp_options: tcp(port),
                    description,
                })
                .collect();
            json!({"ingressSecurityRules": ingress})
        }
        Target::Workers => {
            let egress: Vec<_> = expand(environment, &egress)
                .map(|(cidr, port, description)| EgressSecurityRule {
                    destination: cidr,
                    destination_type: "CIDR_BLOCK",
                    protocol: TCP,
                    is_stateless: false,
                    tcp_options: tcp(port),
                    description,
                })
                .collect();
            json!({"egressSecurityRules": egress})
        }
    }
}

/// Network security group rules per target: `{"loadBalancer": {"securityRules": [INGRESS
/// ...]}, "workers": {"securityRules": [EGRESS ...]}}`. Each half is the body of
/// `oci network nsg rules add --from-json` for that target's group; the whole document is
/// not, so internet ingress cannot be added to the workers' group by passing it whole.
pub fn oci_nsg_rules(environment: &str, rules: &[ConnectivityRule]) -> Value {
    json!({
        "loadBalancer": oci_nsg_target(environment, rules, Target::LoadBalancer),
        "workers": oci_nsg_target(environment, rules, Target::Workers),
    })
}

/// The network security group rules of one target: `{"securityRules": [...]}`, INGRESS
/// rules only for the load balancer's group, EGRESS rules only for the workers' group.
pub fn oci_nsg_target(environment: &str, rules: &[ConnectivityRule], target: Target) -> Value {
    let (ingress, egress) = split(rules);
    let rules: Vec<_> = match target {
        Target::LoadBalancer => expand(environment, &ingress)
            .map(|(cidr, port, description)| AddSecurityRuleDetails {
                direction: "INGRESS",
                source: Some(cidr),
                source_type: Some("CIDR_BLOCK"),
                destination: None,
                destination_type: None,
                protocol: TCP,
                is_stateless: false,
                tcp_options: tcp(port),
                description,
            })
            .collect(),
        Target::Workers => expand(environment, &egress)
            .map(|(cidr, port, description)| AddSecurityRuleDetails {
                direction: "EGRESS",
                source: None,
                source_type: None,
                destination: Some(cidr),
                destination_type: Some("CIDR_BLOCK"),
                protocol: TCP,
                is_stateless: false,
                tcp_options: tcp(port),
                description,
            })
            .collect(),
    };
    json!({"securityRules": rules})
}
