//! Step 2 as EC2 security group rules: the `IpPermissions` of AuthorizeSecurityGroupIngress
//! (for the load balancer's group) and AuthorizeSecurityGroupEgress (for the nodes' group).

use serde::Serialize;
use serde_json::{Value, json};

use super::{ConnectivityRule, is_ipv6_cidr};
use super::{Target, split};

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct IpPermission {
    ip_protocol: &'static str,
    from_port: u16,
    to_port: u16,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ip_ranges: Vec<IpRange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ipv6_ranges: Vec<Ipv6Range>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct IpRange {
    cidr_ip: String,
    description: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Ipv6Range {
    cidr_ipv6: String,
    description: String,
}

/// `{"AuthorizeSecurityGroupIngress": {"IpPermissions": [...]}, "AuthorizeSecurityGroupEgress": {...}}`:
/// each half is a request body for `aws ec2 ... --cli-input-json` once a GroupId is added.
pub fn aws_rules(environment: &str, rules: &[ConnectivityRule]) -> Value {
    json!({
        "AuthorizeSecurityGroupIngress": aws_target(environment, rules, Target::LoadBalancer),
        "AuthorizeSecurityGroupEgress": aws_target(environment, rules, Target::Workers),
    })
}

/// The `{"IpPermissions": [...]}` of one target: the internet ingress for the load
/// balancer's security group (AuthorizeSecurityGroupIngress), the egress for the nodes'
/// (AuthorizeSecurityGroupEgress).
pub fn aws_target(environment: &str, rules: &[ConnectivityRule], target: Target) -> Value {
    let (ingress, egress) = split(rules);
    let rules = match target {
        Target::LoadBalancer => ingress,
        Target::Workers => egress,
    };
    json!({"IpPermissions": permissions(environment, &rules)})
}

fn permissions(environment: &str, rules: &[&ConnectivityRule]) -> Vec<IpPermission> {
    let mut out = Vec::new();
    for rule in rules {
        let description = cloud_description(environment, rule);
        for &port in &rule.ports {
            let (v6, v4): (Vec<&String>, Vec<&String>) =
                rule.cidrs.iter().partition(|c| is_ipv6_cidr(c));
            out.push(IpPermission {
                ip_protocol: "tcp",
                from_port: port,
                to_port: port,
                ip_ranges: v4
                    .into_iter()
                    .map(|c| IpRange {
                        cidr_ip: c.clone(),
                        description: description.clone(),
                    })
                    .collect(),
                ipv6_ranges: v6
                    .into_iter()
                    .map(|c| Ipv6Range {
                        cidr_ipv6: c.clone(),
                        description: description.clone(),
                    })
                    .collect(),
            });
        }
    }
    out
}

/// A rule description security groups accept (255 characters of `a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*`),
/// naming the installation and the guide's destination.
pub fn cloud_description(environment: &str, rule: &ConnectivityRule) -> String {
    let text = format!(
        "smi {environment}: {} - {}",
        rule.destination, rule.description
    );
    let allowed = |c: char| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c);
    text.chars().filter(|&c| allowed(c)).take(255).collect()
}
