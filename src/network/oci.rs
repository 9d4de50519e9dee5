//! Step 2 as OCI rules: security list rules (UpdateSecurityListDetails'
//! ingressSecurityRules / egressSecurityRules) or network security group rules
//! (AddNetworkSecurityGroupSecurityRulesDetails' securityRules).

use serde::Serialize;
use serde_json::{Value, json};

use super::{cloud_description, split};
use crate::catalog::ConnectivityRule;

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

/// `{"ingressSecurityRules": [...], "egressSecurityRules": [...]}`.
pub fn oci_security_list_rules(environment: &str, rules: &[ConnectivityRule]) -> Value {
    let (ingress, egress) = split(rules);
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
    json!({"ingressSecurityRules": ingress, "egressSecurityRules": egress})
}

/// `{"securityRules": [...]}` for `oci network nsg rules add`.
pub fn oci_nsg_rules(environment: &str, rules: &[ConnectivityRule]) -> Value {
    let (ingress, egress) = split(rules);
    let ingress =
        expand(environment, &ingress).map(|(cidr, port, description)| AddSecurityRuleDetails {
            direction: "INGRESS",
            source: Some(cidr),
            source_type: Some("CIDR_BLOCK"),
            destination: None,
            destination_type: None,
            protocol: TCP,
            is_stateless: false,
            tcp_options: tcp(port),
            description,
        });
    let egress =
        expand(environment, &egress).map(|(cidr, port, description)| AddSecurityRuleDetails {
            direction: "EGRESS",
            source: None,
            source_type: None,
            destination: Some(cidr),
            destination_type: Some("CIDR_BLOCK"),
            protocol: TCP,
            is_stateless: false,
            tcp_options: tcp(port),
            description,
        });
    let all: Vec<_> = ingress.chain(egress).collect();
    json!({"securityRules": all})
}
