//! `network rules --apply` on AWS: step 2's egress rules on the worker nodes' security
//! group, and the 80/443 ingress rules only on a load balancer group the user names (the
//! AWS Load Balancer Controller manages its own frontend group otherwise). Every rule
//! carries the description prefix `smi <environment>: `, so `--delete` revokes exactly the
//! rules kubectl-smi authorized; an identical rule that exists already is left alone.
//!
//! EC2 calls (aws-sdk-ec2): DescribeSecurityGroups (the groups exist),
//! DescribeSecurityGroupRules (what is there), AuthorizeSecurityGroupIngress / Egress,
//! RevokeSecurityGroupIngress / Egress (by security group rule id).

use std::fmt;

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range};
use serde::Serialize;

use super::aws::cloud_description;
use super::{ConnectivityRule, NetworkError, is_ipv6_cidr, split};

/// The security groups the rules go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    /// The worker nodes' group (`sg-...`): egress to the external systems.
    pub nodes: String,
    /// The load balancer's group, when the user attaches one with the AWS Load Balancer
    /// Controller's `service.beta.kubernetes.io/aws-load-balancer-security-groups`.
    pub load_balancer: Option<String>,
}

/// Which way a rule lets traffic through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Into the group (AuthorizeSecurityGroupIngress).
    Ingress,
    /// Out of the group (AuthorizeSecurityGroupEgress).
    Egress,
}

/// One TCP rule of a security group for one port and one network.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SgRule {
    /// The security group's id.
    pub group_id: String,
    /// Ingress or egress.
    pub direction: Direction,
    /// The TCP port (a rule's FromPort and ToPort are both this port).
    pub port: u16,
    /// The other end's network: an IPv4 or IPv6 CIDR.
    pub cidr: String,
    /// The rule's description; kubectl-smi's begin with [`description_prefix`].
    pub description: String,
}

impl fmt::Display for SgRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, way) = match self.direction {
            Direction::Ingress => ("ingress", "from"),
            Direction::Egress => ("egress", "to"),
        };
        write!(
            f,
            "{} {verb} tcp/{} {way} {} ({})",
            self.group_id, self.port, self.cidr, self.description
        )
    }
}

/// A rule EC2 has, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRule {
    /// The security group rule id (`sgr-...`).
    pub id: String,
    /// The rule, when it is a single-port TCP rule for one CIDR; other rules never match
    /// one of ours (they are left alone, and `--delete` revokes them only by description).
    pub rule: SgRule,
    /// The IP protocol (`tcp`, `-1` for all, ...).
    pub protocol: String,
    /// The first port of the range (-1 for all).
    pub from_port: i32,
    /// The last port of the range (-1 for all).
    pub to_port: i32,
}

/// The description prefix that marks kubectl-smi's rules of `environment`.
pub fn description_prefix(environment: &str) -> String {
    format!("smi {environment}: ")
}

/// The changes: rules to authorize, rules already there, ingress rules with no group to go
/// on, and rules to revoke.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesPlan {
    /// Rules to authorize.
    pub authorize: Vec<SgRule>,
    /// Rules that exist already (identical protocol, port and network); left alone.
    pub present: Vec<SgRule>,
    /// Internet ingress rules printed but not applied: no load balancer group was named.
    pub skipped: Vec<SgRule>,
    /// Rules to revoke (`--delete`), by rule id.
    pub revoke: Vec<(String, SgRule)>,
    /// `--apply`: the nodes' group's allow-all egress rules (all protocols to 0.0.0.0/0 or
    /// ::/0), which make the egress rules restrict nothing; reported, never revoked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_all_egress: Vec<AllowAllEgress>,
}

/// An egress rule that lets everything out: all protocols (`-1`) to 0.0.0.0/0 or ::/0, as
/// every new security group has until it is revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowAllEgress {
    /// The security group's id.
    pub group_id: String,
    /// The security group rule id (`sgr-...`).
    pub rule_id: String,
    /// 0.0.0.0/0 or ::/0.
    pub cidr: String,
    /// The command that revokes it, for the operator to run.
    pub revoke_command: String,
}

/// The allow-all egress rules of `group` among `existing`.
pub fn allow_all_egress(group: &str, existing: &[ExistingRule]) -> Vec<AllowAllEgress> {
    existing
        .iter()
        .filter(|e| {
            e.rule.group_id == group
                && e.rule.direction == Direction::Egress
                && e.protocol == "-1"
                && matches!(e.rule.cidr.as_str(), "0.0.0.0/0" | "::/0")
        })
        .map(|e| AllowAllEgress {
            group_id: group.to_owned(),
            rule_id: e.id.clone(),
            cidr: e.rule.cidr.clone(),
            revoke_command: format!(
                "aws ec2 revoke-security-group-egress --group-id {group} --security-group-rule-ids {}",
                e.id
            ),
        })
        .collect()
}

/// The rules step 2 needs on `groups`; ingress rules go to `skipped` without a load
/// balancer group (their group id is then `load-balancer`).
pub fn desired(
    environment: &str,
    rules: &[ConnectivityRule],
    groups: &Groups,
) -> (Vec<SgRule>, Vec<SgRule>) {
    let (ingress, egress) = split(rules);
    let expand = |rules: &[&ConnectivityRule], group: &str, direction| {
        let mut out = Vec::new();
        for rule in rules {
            let description = cloud_description(environment, rule);
            for &port in &rule.ports {
                for cidr in &rule.cidrs {
                    out.push(SgRule {
                        group_id: group.to_owned(),
                        direction,
                        port,
                        cidr: cidr.clone(),
                        description: description.clone(),
                    });
                }
            }
        }
        out
    };
    let egress = expand(&egress, &groups.nodes, Direction::Egress);
    match &groups.load_balancer {
        Some(group) => {
            let mut all = expand(&ingress, group, Direction::Ingress);
            all.extend(egress);
            (all, Vec::new())
        }
        None => (
            egress,
            expand(&ingress, "load-balancer", Direction::Ingress),
        ),
    }
}

fn same(a: &SgRule, existing: &ExistingRule) -> bool {
    existing.protocol == "tcp"
        && existing.from_port == i32::from(a.port)
        && existing.to_port == i32::from(a.port)
        && existing.rule.group_id == a.group_id
        && existing.rule.direction == a.direction
        && existing.rule.cidr == a.cidr
}

/// What `--apply` does: authorize what is missing, leave what exists.
pub fn plan_apply(
    wanted: Vec<SgRule>,
    skipped: Vec<SgRule>,
    existing: &[ExistingRule],
) -> RulesPlan {
    // Two rows of the table may open the same port to the same network: one rule does.
    let mut unique: Vec<SgRule> = Vec::new();
    for rule in wanted {
        let key = |r: &SgRule| (r.group_id.clone(), r.direction, r.port, r.cidr.clone());
        if !unique.iter().any(|u| key(u) == key(&rule)) {
            unique.push(rule);
        }
    }
    let (present, authorize) = unique
        .into_iter()
        .partition(|w| existing.iter().any(|e| same(w, e)));
    RulesPlan {
        authorize,
        present,
        skipped,
        ..RulesPlan::default()
    }
}

/// What `--delete` does: revoke every rule of the groups whose description starts with
/// [`description_prefix`] — exactly the rules kubectl-smi authorized for `environment`.
pub fn plan_delete(environment: &str, existing: &[ExistingRule]) -> RulesPlan {
    let prefix = description_prefix(environment);
    RulesPlan {
        revoke: existing
            .iter()
            .filter(|e| e.rule.description.starts_with(&prefix))
            .map(|e| (e.id.clone(), e.rule.clone()))
            .collect(),
        ..RulesPlan::default()
    }
}

/// An EC2 client and the endpoint it calls (for messages).
#[derive(Debug, Clone)]
pub struct Ec2 {
    /// The aws-sdk-ec2 client.
    pub client: aws_sdk_ec2::Client,
    /// The endpoint URL, for messages.
    pub endpoint: String,
}

impl Ec2 {
    /// Loads the standard AWS configuration for `region` (AWS_ENDPOINT_URL and
    /// AWS_ENDPOINT_URL_EC2 honoured) and makes sure credentials exist.
    ///
    /// Errors: [`NetworkError::NoCredentials`] when the standard chain finds none.
    pub async fn connect(region: &str) -> Result<Ec2, NetworkError> {
        use aws_credential_types::provider::ProvideCredentials;
        let config = crate::aws_sdk::loader(Some(region)).load().await;
        let provider =
            config
                .credentials_provider()
                .ok_or_else(|| NetworkError::NoCredentials {
                    message: "no credential provider is configured".to_owned(),
                })?;
        provider
            .provide_credentials()
            .await
            .map_err(|e| NetworkError::NoCredentials {
                message: crate::error::chain(&e),
            })?;
        let endpoint = std::env::var("AWS_ENDPOINT_URL_EC2")
            .ok()
            .or_else(|| config.endpoint_url().map(str::to_owned))
            .unwrap_or_else(|| format!("https://ec2.{region}.amazonaws.com"));
        Ok(Ec2 {
            client: aws_sdk_ec2::Client::new(&config),
            endpoint,
        })
    }

    fn error<E>(
        &self,
        operation: &'static str,
        error: SdkError<E, aws_sdk_ec2::config::http::HttpResponse>,
    ) -> NetworkError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match &error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                NetworkError::Ec2Unreachable {
                    endpoint: self.endpoint.clone(),
                    message: crate::error::chain(&error),
                }
            }
            _ => NetworkError::Ec2 {
                operation,
                code: error.code().unwrap_or("unknown").to_owned(),
                message: error
                    .message()
                    .map_or_else(|| crate::error::chain(&error), str::to_owned),
            },
        }
    }

    /// The rules of the groups (DescribeSecurityGroups first, so that a group that does not
    /// exist is named as such).
    ///
    /// Errors: [`NetworkError::GroupNotFound`], or the EC2 call's error.
    pub async fn observe(&self, groups: &[&str]) -> Result<Vec<ExistingRule>, NetworkError> {
        for group in groups {
            let found = self
                .client
                .describe_security_groups()
                .group_ids(*group)
                .send()
                .await;
            match found {
                Ok(_) => {}
                Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
                    return Err(NetworkError::GroupNotFound {
                        group: (*group).to_owned(),
                    });
                }
                Err(e) => return Err(self.error("DescribeSecurityGroups", e)),
            }
        }
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .describe_security_group_rules()
                .filters(
                    Filter::builder()
                        .name("group-id")
                        .set_values(Some(groups.iter().map(|g| (*g).to_owned()).collect()))
                        .build(),
                )
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.error("DescribeSecurityGroupRules", e))?;
            for r in page.security_group_rules() {
                let cidr = r.cidr_ipv4().or(r.cidr_ipv6()).unwrap_or_default();
                out.push(ExistingRule {
                    id: r.security_group_rule_id().unwrap_or_default().to_owned(),
                    rule: SgRule {
                        group_id: r.group_id().unwrap_or_default().to_owned(),
                        direction: if r.is_egress().unwrap_or(false) {
                            Direction::Egress
                        } else {
                            Direction::Ingress
                        },
                        port: u16::try_from(r.from_port().unwrap_or(-1)).unwrap_or(0),
                        cidr: cidr.to_owned(),
                        description: r.description().unwrap_or_default().to_owned(),
                    },
                    protocol: r.ip_protocol().unwrap_or_default().to_owned(),
                    from_port: r.from_port().unwrap_or(-1),
                    to_port: r.to_port().unwrap_or(-1),
                });
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Authorizes and revokes what `plan` lists, one call per group and direction; `report`
    /// hears of each call's rules as they are done.
    ///
    /// Errors: [`NetworkError::Incomplete`] listing the rules done and not done, with the
    /// failed call's error.
    pub async fn change(
        &self,
        plan: &RulesPlan,
        mut report: impl FnMut(&str),
    ) -> Result<(), NetworkError> {
        let mut batches: Vec<Batch<'_>> = Vec::new();
        for (id, rule) in &plan.revoke {
            let revoking = batch(&mut batches, rule, true);
            revoking.3.push(rule);
            revoking.4.push(id.clone());
        }
        for rule in &plan.authorize {
            batch(&mut batches, rule, false).3.push(rule);
        }
        let mut done: Vec<String> = Vec::new();
        for (i, (group, direction, revoke, rules, ids)) in batches.iter().enumerate() {
            let result = if *revoke {
                self.revoke(group, *direction, ids).await
            } else {
                self.authorize(group, *direction, rules).await
            };
            if let Err(error) = result {
                let verb = |revoke: bool| if revoke { "revoke" } else { "authorize" };
                return Err(NetworkError::Incomplete {
                    done,
                    not_done: batches[i..]
                        .iter()
                        .flat_map(|(_, _, r, rules, _)| {
                            rules.iter().map(move |rule| format!("{} {rule}", verb(*r)))
                        })
                        .collect(),
                    error: Box::new(error),
                });
            }
            for rule in rules {
                let line = format!("{} {rule}", if *revoke { "revoke" } else { "authorize" });
                report(&line);
                done.push(line);
            }
        }
        Ok(())
    }

    async fn authorize(
        &self,
        group: &str,
        direction: Direction,
        rules: &[&SgRule],
    ) -> Result<(), NetworkError> {
        let permissions: Vec<IpPermission> = rules.iter().map(|r| permission(r)).collect();
        match direction {
            Direction::Ingress => self
                .client
                .authorize_security_group_ingress()
                .group_id(group)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error("AuthorizeSecurityGroupIngress", e)),
            Direction::Egress => self
                .client
                .authorize_security_group_egress()
                .group_id(group)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error("AuthorizeSecurityGroupEgress", e)),
        }
    }

    async fn revoke(
        &self,
        group: &str,
        direction: Direction,
        ids: &[String],
    ) -> Result<(), NetworkError> {
        match direction {
            Direction::Ingress => self
                .client
                .revoke_security_group_ingress()
                .group_id(group)
                .set_security_group_rule_ids(Some(ids.to_vec()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error("RevokeSecurityGroupIngress", e)),
            Direction::Egress => self
                .client
                .revoke_security_group_egress()
                .group_id(group)
                .set_security_group_rule_ids(Some(ids.to_vec()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error("RevokeSecurityGroupEgress", e)),
        }
    }
}

/// One EC2 call: group, direction, whether it revokes, its rules, and (revoking) their ids.
type Batch<'a> = (String, Direction, bool, Vec<&'a SgRule>, Vec<String>);

fn batch<'a, 'b>(
    batches: &'b mut Vec<Batch<'a>>,
    rule: &SgRule,
    revoke: bool,
) -> &'b mut Batch<'a> {
    let at = batches
        .iter()
        .position(|(g, d, r, _, _)| *g == rule.group_id && *d == rule.direction && *r == revoke);
    let at = match at {
        Some(at) => at,
        None => {
            batches.push((
                rule.group_id.clone(),
                rule.direction,
                revoke,
                Vec::new(),
                Vec::new(),
            ));
            batches.len() - 1
        }
    };
    &mut batches[at]
}

fn permission(rule: &SgRule) -> IpPermission {
    let builder = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(i32::from(rule.port))
        .to_port(i32::from(rule.port));
    if is_ipv6_cidr(&rule.cidr) {
        builder
            .ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(&rule.cidr)
                    .description(&rule.description)
                    .build(),
            )
            .build()
    } else {
        builder
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(&rule.cidr)
                    .description(&rule.description)
                    .build(),
            )
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(direction: Direction, port: u16, cidr: &str) -> SgRule {
        SgRule {
            group_id: "sg-0123456789abcdef0".into(),
            direction,
            port,
            cidr: cidr.into(),
            description: "smi prod: PostgreSQL - x".into(),
        }
    }

    fn existing(rule: SgRule, protocol: &str) -> ExistingRule {
        ExistingRule {
            id: format!("sgr-{}", rule.port),
            from_port: i32::from(rule.port),
            to_port: i32::from(rule.port),
            rule,
            protocol: protocol.into(),
        }
    }

    #[test]
    fn an_identical_rule_is_left_alone_and_an_all_traffic_rule_is_not_identical() {
        let wanted = vec![
            rule(Direction::Egress, 5432, "10.0.0.0/16"),
            rule(Direction::Egress, 6379, "10.0.0.0/16"),
        ];
        let mut other = rule(Direction::Egress, 6379, "10.0.0.0/16");
        other.description = "hand-made".into();
        let there = vec![
            existing(other, "tcp"),
            existing(rule(Direction::Egress, 5432, "10.0.0.0/16"), "-1"),
        ];
        let plan = plan_apply(wanted, Vec::new(), &there);
        assert_eq!(plan.present.len(), 1);
        assert_eq!(plan.present[0].port, 6379);
        assert_eq!(plan.authorize.len(), 1);
        assert_eq!(plan.authorize[0].port, 5432);
    }

    #[test]
    fn only_an_all_protocols_rule_to_any_address_of_the_group_is_allow_all_egress() {
        let nodes = "sg-0123456789abcdef0";
        let mut other_group = existing(rule(Direction::Egress, 0, "0.0.0.0/0"), "-1");
        other_group.rule.group_id = "sg-00000000".into();
        let there = vec![
            ExistingRule {
                id: "sgr-v4".into(),
                ..existing(rule(Direction::Egress, 0, "0.0.0.0/0"), "-1")
            },
            ExistingRule {
                id: "sgr-v6".into(),
                ..existing(rule(Direction::Egress, 0, "::/0"), "-1")
            },
            // All protocols to one network, TCP to any address, ingress: not allow-all egress.
            existing(rule(Direction::Egress, 0, "10.0.0.0/16"), "-1"),
            existing(rule(Direction::Egress, 443, "0.0.0.0/0"), "tcp"),
            existing(rule(Direction::Ingress, 0, "0.0.0.0/0"), "-1"),
            other_group,
        ];
        let found = allow_all_egress(nodes, &there);
        let ids: Vec<&str> = found.iter().map(|a| a.rule_id.as_str()).collect();
        assert_eq!(ids, ["sgr-v4", "sgr-v6"]);
        assert_eq!(
            found[0].revoke_command,
            "aws ec2 revoke-security-group-egress --group-id sg-0123456789abcdef0 --security-group-rule-ids sgr-v4"
        );
    }

    #[test]
    fn delete_revokes_only_this_environments_rules() {
        let mut staging = rule(Direction::Egress, 5432, "10.0.0.0/16");
        staging.description = "smi prod2: PostgreSQL - x".into();
        let mut hand = rule(Direction::Egress, 443, "0.0.0.0/0");
        hand.description = "HTTPS".into();
        let there = vec![
            existing(rule(Direction::Egress, 6379, "10.0.0.0/16"), "tcp"),
            existing(staging, "tcp"),
            existing(hand, "tcp"),
        ];
        let plan = plan_delete("prod", &there);
        assert_eq!(plan.revoke.len(), 1);
        assert_eq!(plan.revoke[0].0, "sgr-6379");
    }
}
