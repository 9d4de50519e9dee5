//! `kubectl smi network rules`: step 2's connectivity table for the values' provider, as a
//! table to read, as JSON, and as rules for the cloud's own API (AWS security groups, OCI
//! security lists or network security groups).

mod aws;
mod connectivity;
mod endpoint;
mod oci;
pub mod security_groups;
mod table;

use crate::error::Hint;
use crate::values::{Provider, Smi};

pub use connectivity::{ConnectivityRule, connectivity_rules};
pub use endpoint::{Endpoint, EndpointError, check_cidr, is_ipv6_cidr, parse_host_port};

use aws::{aws_rules, aws_target, cloud_description};
use oci::{oci_nsg_rules, oci_nsg_target, oci_security_list_rules, oci_security_list_target};
use table::rules_table;

/// How `network rules` prints the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesFormat {
    /// The guide's table, filled in.
    Text,
    /// The filled table as JSON.
    Json,
    /// EC2 IpPermissions for AuthorizeSecurityGroupIngress / AuthorizeSecurityGroupEgress.
    Aws,
    /// OCI security list rules (ingressSecurityRules / egressSecurityRules).
    Oci,
    /// OCI network security group rules (AddNetworkSecurityGroupSecurityRules).
    OciNsg,
}

/// Where a set of cloud rules goes. Step 2's table has two kinds of rows: internet traffic
/// to the load balancer (ingress on 80/443) and the platform's traffic to the external
/// systems (egress from the worker nodes). They never go in one rule set, since internet
/// ingress on the nodes' group or list would open the workers to the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The load balancer's security group, security list or NSG: ingress from the internet.
    LoadBalancer,
    /// The worker nodes' security group, security list or NSG: egress to the external systems.
    Workers,
}

/// Why the rules could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// An endpoint in the values cannot fill the table.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// Cloud rules were asked for the other provider.
    #[error("the values are for {values}, so `-o {asked}` does not apply")]
    ProviderMismatch {
        /// The values' provider: `aws` or `oci`.
        values: &'static str,
        /// The `-o` format asked for, which is for the other provider.
        asked: &'static str,
    },
    /// `--apply` / `--delete` needs the worker nodes' security group.
    #[error(
        "no security group for the worker nodes: smi.cloud.aws.securityGroups.nodes is not set and --nodes-security-group was not given"
    )]
    MissingNodesGroup,
    /// No AWS credentials were found by the standard chain.
    #[error("no AWS credentials found: {message}")]
    NoCredentials {
        /// The AWS SDK's explanation.
        message: String,
    },
    /// The EC2 endpoint could not be reached.
    #[error("cannot reach AWS EC2 at {endpoint}: {message}")]
    Ec2Unreachable {
        /// The endpoint URL tried.
        endpoint: String,
        /// The connection error.
        message: String,
    },
    /// A named security group does not exist in the region (EC2 InvalidGroup.NotFound).
    #[error("security group {group} does not exist in the values' region")]
    GroupNotFound {
        /// The group id, from the values or a flag.
        group: String,
    },
    /// An EC2 call failed.
    #[error("AWS EC2 {operation} failed: {code}: {message}")]
    Ec2 {
        /// The API operation, e.g. `AuthorizeSecurityGroupEgress`.
        operation: &'static str,
        /// EC2's error code, e.g. `UnauthorizedOperation`.
        code: String,
        /// EC2's message.
        message: String,
    },
    /// `--apply` or `--delete` stopped part-way; what was done stays done.
    #[error("{}", incomplete(done, not_done, error))]
    Incomplete {
        /// The rules authorized or revoked before the failure, one line each.
        done: Vec<String>,
        /// The rules of the failed call and after it, one line each.
        not_done: Vec<String>,
        /// The failed call's error.
        error: Box<NetworkError>,
    },
}

fn incomplete(done: &[String], not_done: &[String], error: &NetworkError) -> String {
    let mut text = format!("stopped: {error}\n  done ({}):", done.len());
    if done.is_empty() {
        text.push_str(" nothing");
    }
    for line in done {
        text.push_str(&format!("\n    {line}"));
    }
    text.push_str(&format!("\n  not done ({}):", not_done.len()));
    for line in not_done {
        text.push_str(&format!("\n    {line}"));
    }
    text
}

impl Hint for NetworkError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            NetworkError::Endpoint(e) => return e.hint(),
            NetworkError::ProviderMismatch { values: "aws", .. } => "use -o aws (or text, json)",
            NetworkError::ProviderMismatch { .. } => "use -o oci or -o oci-nsg (or text, json)",
            NetworkError::MissingNodesGroup => {
                "set smi.cloud.aws.securityGroups.nodes (the nodes' group: `aws eks describe-cluster --query cluster.resourcesVpcConfig.clusterSecurityGroupId`) or pass --nodes-security-group"
            }
            NetworkError::NoCredentials { .. } => {
                "configure AWS credentials (AWS_PROFILE, `aws sso login`, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or print the rules with -o aws for an administrator"
            }
            NetworkError::Ec2Unreachable { .. } => {
                "check the network, the region and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2"
            }
            NetworkError::GroupNotFound { .. } => {
                "check the id (smi.cloud.aws.securityGroups or the flag) and smi.cloud.aws.region"
            }
            NetworkError::Ec2 { .. } => {
                "see EC2's message; credentials need ec2:DescribeSecurityGroups, DescribeSecurityGroupRules, Authorize/RevokeSecurityGroupIngress and Egress"
            }
            NetworkError::Incomplete { .. } => {
                "fix the cause and run again: rules that exist are left alone, so it finishes what is missing"
            }
        })
    }
}

/// The output of `network rules` in `format`, ending with a newline. With a `target`, a
/// cloud format prints only that target's request body (text and JSON ignore it: the
/// command refuses the combination).
pub fn rules_output(
    smi: &Smi,
    format: RulesFormat,
    target: Option<Target>,
) -> Result<String, NetworkError> {
    let rules = connectivity_rules(smi)?;
    let provider = smi.cloud.provider;
    let mismatch = |asked| NetworkError::ProviderMismatch {
        values: provider.name(),
        asked,
    };
    let json = match format {
        RulesFormat::Text => return Ok(rules_table(provider, &smi.environment, &rules)),
        RulesFormat::Json => serde_json::json!({
            "provider": provider.name(),
            "environment": smi.environment,
            "rules": rules,
            "note": crate::catalog::NETWORK_TABLE_NOTE,
        }),
        RulesFormat::Aws if provider == Provider::Aws => match target {
            Some(target) => aws_target(&smi.environment, &rules, target),
            None => aws_rules(&smi.environment, &rules),
        },
        RulesFormat::Aws => return Err(mismatch("aws")),
        RulesFormat::Oci if provider == Provider::Oci => match target {
            Some(target) => oci_security_list_target(&smi.environment, &rules, target),
            None => oci_security_list_rules(&smi.environment, &rules),
        },
        RulesFormat::OciNsg if provider == Provider::Oci => match target {
            Some(target) => oci_nsg_target(&smi.environment, &rules, target),
            None => oci_nsg_rules(&smi.environment, &rules),
        },
        RulesFormat::Oci => return Err(mismatch("oci")),
        RulesFormat::OciNsg => return Err(mismatch("oci-nsg")),
    };
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&json).expect("rules serialize")
    ))
}

/// Rules whose traffic the cloud sees arriving at the platform (ingress) or leaving it (egress).
fn split(rules: &[ConnectivityRule]) -> (Vec<&ConnectivityRule>, Vec<&ConnectivityRule>) {
    rules
        .iter()
        .partition(|r| r.source == crate::catalog::Source::Internet)
}
