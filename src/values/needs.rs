//! What some commands need of values that the contract leaves optional or allows: one check
//! per need, shared by the commands (each refuses the values it cannot work with, before its
//! real work) and by `validate` (which reports every need, saying which commands have it).

use std::net::Ipv4Addr;

use serde_json::Value;

use super::describe::{Finding, Found, Place};
use super::model::{AwsIdentity, EgressRule, PolicyEngine, Provider, RuleAction, Values};
use super::problem::Rule;

/// A command that needs more of the values than the contract requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Command {
    /// `kubectl smi render` (the post-renderer).
    Render,
    /// `kubectl smi gitops flux` (runs the render's filters).
    GitopsFlux,
    /// `kubectl smi policies` without `--account-id`/`--oidc-issuer` (generate, apply, check).
    Policies,
}

impl Command {
    /// The command as typed after `kubectl smi`.
    pub fn name(self) -> &'static str {
        match self {
            Command::Render => "render",
            Command::GitopsFlux => "gitops flux",
            Command::Policies => "policies",
        }
    }
}

/// What commands need, in words, for the reference documentation.
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "account id for rendering",
        "with `smi.cloud.provider: aws`, `smi.cloud.aws.accountId` is set: `render` and `gitops flux` write role ARNs on the service accounts and make no network calls (`policies` alone can ask STS).",
    ),
    (
        "OIDC issuer for IRSA policies",
        "with `smi.cloud.aws.identity: irsa`, `smi.cloud.aws.oidcIssuer` is set, or `policies` is given `--oidc-issuer`: the roles trust the cluster's OIDC provider.",
    ),
    (
        "what a Kubernetes NetworkPolicy can say",
        "with `smi.networkPolicy.engine: kubernetes`, each `extraEgress` rule is an `Allow` (a NetworkPolicy cannot deny) and each of its IPv4 `nets` lies outside the denied ranges 10.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12 and 192.168.0.0/16 (`render` and `gitops flux`).",
    ),
    (
        "overlays the render can read",
        "each directory of `smi.overlays.directories` (relative to the last values file) can be read and each of its `.yaml`, `.yml` and `.json` files is an overlay, and each entry of `smi.overlays.patches` is one (`render` and `gitops flux`).",
    ),
    (
        "a backup target for generated keys",
        "`smi.secrets.backup` is set when the secret catalog generates keys (the built-in one does): `secrets create` refuses to generate keys without a backup target, as on a first install, unless given `--no-backup`.",
    ),
    (
        "policies within IAM's limits",
        "on AWS, the documents the values make stay within IAM's limits: a bucket policy within 6,144 characters (`kmsKeyArns`, bucket names), a role trust policy within the default 2,048 (`oidcIssuer` with IRSA); `policies` refuses them before any call (with `--trust-policy-quota` where the account's quota was raised).",
    ),
];

/// The commands that run the post-render filters.
const RENDERING: &[Command] = &[Command::Render, Command::GitopsFlux];

/// The ranges the guide denies the Script Worker: private networks and link-local (cloud
/// metadata endpoints).
pub const DENIED_NETS: [&str; 4] = [
    "10.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
];

/// One need some commands have of the values, unmet.
#[derive(Debug, Clone)]
pub struct Need {
    /// The problem, before it is placed in a file.
    pub(super) finding: Finding,
    /// The commands that refuse the values for it.
    pub commands: &'static [Command],
}

/// Every unmet need of the typed values, in the order of the values.
pub fn check(values: &Values) -> Vec<Need> {
    let smi = &values.smi;
    let mut needs = Vec::new();
    if smi.cloud.provider == Provider::Aws
        && let Some(aws) = &smi.cloud.aws
    {
        if aws.account_id.is_none() {
            needs.push(need(
                "/smi/cloud/aws",
                "/smi/cloud/aws/accountId",
                Place::Key,
                Rule::Missing,
                Found::Words("no `accountId` key".to_owned()),
                "smi.cloud.aws.accountId (a quoted 12-digit string; `aws sts get-caller-identity` shows it): it is needed to write the role ARNs on the service accounts, and post-rendering makes no network calls".to_owned(),
                RENDERING,
            ));
        }
        if aws.identity == AwsIdentity::Irsa && aws.oidc_issuer.is_none() {
            needs.push(need(
                "/smi/cloud/aws",
                "/smi/cloud/aws/oidcIssuer",
                Place::Key,
                Rule::Missing,
                Found::Words(
                    "no `oidcIssuer` key: identity is irsa but the cluster's OIDC issuer is unknown"
                        .to_owned(),
                ),
                "smi.cloud.aws.oidcIssuer, the cluster's OIDC issuer URL that IRSA roles trust (`aws eks describe-cluster --query cluster.identity.oidc.issuer`), unless --oidc-issuer is given".to_owned(),
                &[Command::Policies],
            ));
        }
    }
    if smi.network_policy.engine == PolicyEngine::Kubernetes {
        for (index, rule) in smi.network_policy.extra_egress.iter().enumerate() {
            for (field, problem) in kubernetes_egress_refusals(rule) {
                let pointer = format!("/smi/networkPolicy/extraEgress/{index}/{field}");
                needs.push(need(
                    &pointer,
                    &pointer,
                    Place::Value,
                    Rule::Inconsistent,
                    problem.0,
                    problem.1,
                    RENDERING,
                ));
            }
        }
    }
    needs
}

/// What and why, for a refusal: found, expected.
type Refusal = (Found, String);

/// Why the plain Kubernetes NetworkPolicy engine cannot express an extra egress rule: each
/// refused field (relative to the rule) with what was found and what is expected. The render
/// refuses the same rules with the same words.
pub fn kubernetes_egress_refusals(rule: &EgressRule) -> Vec<(String, Refusal)> {
    let mut refusals = Vec::new();
    if rule.action == RuleAction::Deny {
        refusals.push((
            "action".to_owned(),
            (
                Found::Value(Value::String("Deny".to_owned())),
                "Allow with engine: kubernetes: a Kubernetes NetworkPolicy can only allow (everything not allowed is denied); remove the rule, or use engine: calico".to_owned(),
            ),
        ));
    }
    for (index, net) in rule.nets.iter().enumerate() {
        if let Err(problem) = private_ranges_inside(net) {
            refusals.push((
                format!("nets/{index}"),
                (Found::Value(Value::String(net.clone())), problem),
            ));
        }
    }
    refusals
}

/// The denied ranges that lie inside `cidr` (IPv4; IPv6 CIDRs contain none of them), which a
/// Kubernetes NetworkPolicy rule for it carves out with `except`. A CIDR inside a denied range
/// is refused (as the expectation, in words): the guide's deny would make it allow nothing.
pub fn private_ranges_inside(cidr: &str) -> Result<Vec<&'static str>, String> {
    if cidr.contains(':') {
        return Ok(Vec::new());
    }
    let Some(net) = parse_cidr(cidr) else {
        return Err("an IPv4 CIDR such as 0.0.0.0/0".to_owned());
    };
    let mut inside = Vec::new();
    for denied in DENIED_NETS {
        let d = parse_cidr(denied).expect("the denied ranges are CIDRs");
        if contains(d, net) {
            return Err(format!(
                "a network outside {denied}, which the Script Worker may never reach"
            ));
        }
        if contains(net, d) {
            inside.push(denied);
        }
    }
    Ok(inside)
}

fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (addr, len) = cidr.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    Some((u32::from(addr), len))
}

/// Whether network `outer` contains network `inner`.
fn contains(outer: (u32, u32), inner: (u32, u32)) -> bool {
    let mask = |len: u32| if len == 0 { 0 } else { u32::MAX << (32 - len) };
    outer.1 <= inner.1 && (outer.0 & mask(outer.1)) == (inner.0 & mask(outer.1))
}

fn need(
    place: &str,
    pointer: &str,
    at: fn(String) -> Place,
    rule: Rule,
    found: Found,
    expected: String,
    commands: &'static [Command],
) -> Need {
    let names: Vec<String> = commands
        .iter()
        .map(|c| format!("`kubectl smi {}`", c.name()))
        .collect();
    Need {
        finding: Finding {
            pointer: pointer.to_owned(),
            place: at(place.to_owned()),
            rule,
            found,
            expected: format!("{expected} (needed by {})", names.join(" and ")),
            suggestion: None,
            quote: false,
        },
        commands,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_https_carves_out_the_private_ranges() {
        assert_eq!(
            private_ranges_inside("0.0.0.0/0").unwrap(),
            DENIED_NETS.to_vec()
        );
        assert!(private_ranges_inside("8.8.8.0/24").unwrap().is_empty());
        assert!(private_ranges_inside("10.1.0.0/16").is_err());
        assert!(private_ranges_inside("not-a-cidr").is_err());
        assert!(private_ranges_inside("2001:db8::/32").unwrap().is_empty());
    }
}
