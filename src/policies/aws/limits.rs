//! IAM's size limits, checked before anything is created (IAM User Guide, "IAM and AWS STS
//! quotas"): a document or name over a limit would make IAM refuse the call part-way through
//! `--apply`, so every format refuses it first, naming the value that makes it too long, and
//! `policies check` reports it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::AwsPolicies;
use crate::policies::PoliciesError;
use crate::values::AwsIdentity;

/// Managed policy document size: 6,144 characters, whitespace not counted.
pub const MANAGED_POLICY_SIZE: usize = 6_144;
/// Role trust policy length: 2,048 characters by default (an adjustable quota).
pub const TRUST_POLICY_SIZE: usize = 2_048;
/// The highest value the role trust policy length quota can be raised to.
pub const TRUST_POLICY_SIZE_MAX: usize = 4_096;
/// Role names: at most 64 characters.
pub const ROLE_NAME_LENGTH: usize = 64;
/// Managed policy names: at most 128 characters.
pub const POLICY_NAME_LENGTH: usize = 128;
/// Tags per IAM role or managed policy: at most 50.
pub const TAGS_PER_RESOURCE: usize = 50;

/// The limits of the account: only the trust policy length is an adjustable quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Role trust policy length in characters: [`TRUST_POLICY_SIZE`] unless the account's
    /// quota was raised (at most [`TRUST_POLICY_SIZE_MAX`]).
    pub trust_policy_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            trust_policy_size: TRUST_POLICY_SIZE,
        }
    }
}

/// One document over its limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breach {
    /// `policy <name>` or `role <name>`.
    pub subject: String,
    /// `policy document` or `trust policy`.
    pub what: &'static str,
    /// The document's size in characters (whitespace not counted).
    pub size: usize,
    /// IAM's limit in characters.
    pub limit: usize,
    /// The value that makes it long, e.g. `smi.cloud.aws.kmsKeyArns (80 keys)`.
    pub cause: String,
}

impl Breach {
    /// The error `policies` refuses with.
    pub fn into_error(self) -> PoliciesError {
        PoliciesError::LimitExceeded {
            subject: self.subject,
            what: self.what,
            size: self.size,
            unit: "characters",
            limit: self.limit,
            cause: self.cause,
        }
    }
}

/// A document's size as IAM counts it: the characters of its JSON text, whitespace outside
/// strings not counted (the text sent is compact, so only the characters in strings remain).
pub fn document_size(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// Every document of `policies` over its limit, in the order of the policies and roles.
pub fn breaches(policies: &AwsPolicies, limits: &Limits) -> Vec<Breach> {
    let mut out = Vec::new();
    for policy in &policies.policies {
        let size = document_size(&policy.document);
        if size > MANAGED_POLICY_SIZE {
            let keys = policy.document["Statement"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["Sid"] == "EncryptionKeys"))
                .and_then(|s| s["Resource"].as_array())
                .map_or(0, Vec::len);
            out.push(Breach {
                subject: format!("policy {}", policy.name),
                what: "policy document",
                size,
                limit: MANAGED_POLICY_SIZE,
                cause: if keys > 0 {
                    format!("smi.cloud.aws.kmsKeyArns lists {keys} keys")
                } else {
                    format!("smi.cloud.aws.buckets.{}", policy.bucket)
                },
            });
        }
    }
    for role in &policies.roles {
        let size = document_size(&role.trust_policy);
        if size > limits.trust_policy_size {
            out.push(Breach {
                subject: format!("role {}", role.name),
                what: "trust policy",
                size,
                limit: limits.trust_policy_size,
                cause: match policies.identity {
                    AwsIdentity::Irsa => format!(
                        "the OIDC issuer smi.cloud.aws.oidcIssuer and namespace {}",
                        policies.namespace
                    ),
                    AwsIdentity::PodIdentity => "the trust statements".to_owned(),
                },
            });
        }
    }
    out
}

/// The first breach as an error, for the commands that generate or apply.
pub fn check(policies: &AwsPolicies, limits: &Limits) -> Result<(), PoliciesError> {
    match breaches(policies, limits).into_iter().next() {
        Some(breach) => Err(breach.into_error()),
        None => Ok(()),
    }
}

/// Whether `existing` tags and the `added` ones stay within [`TAGS_PER_RESOURCE`].
///
/// Errors: [`PoliciesError::LimitExceeded`] naming `subject` when they do not.
pub fn check_tag_count(
    subject: &str,
    existing: &BTreeMap<String, String>,
    added: &BTreeMap<String, String>,
) -> Result<(), PoliciesError> {
    let count = existing.len() + added.keys().filter(|k| !existing.contains_key(*k)).count();
    if count <= TAGS_PER_RESOURCE {
        return Ok(());
    }
    Err(PoliciesError::LimitExceeded {
        subject: subject.to_owned(),
        what: "tag list",
        size: count,
        unit: "tags",
        limit: TAGS_PER_RESOURCE,
        cause: format!(
            "it has {} tags already; kubectl-smi adds {}",
            existing.len(),
            added.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    })
}

/// Checks `--trust-policy-quota`: between [`TRUST_POLICY_SIZE`] and [`TRUST_POLICY_SIZE_MAX`].
pub fn parse_trust_policy_quota(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (TRUST_POLICY_SIZE..=TRUST_POLICY_SIZE_MAX).contains(&n) => Ok(n),
        _ => Err(format!(
            "the role trust policy length quota is {TRUST_POLICY_SIZE} to {TRUST_POLICY_SIZE_MAX} characters (found {text:?})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::example_policies;
    use super::*;
    use serde_json::json;

    #[test]
    fn whitespace_is_not_counted() {
        assert_eq!(document_size(&json!({"a": "b c"})), 10);
    }

    #[test]
    fn the_example_is_within_every_limit() {
        assert_eq!(breaches(&example_policies(), &Limits::default()), vec![]);
    }

    #[test]
    fn many_kms_keys_make_every_bucket_policy_too_long() {
        let mut policies = example_policies();
        let keys: Vec<String> = (0..80)
            .map(|n| {
                format!("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-{n:012}")
            })
            .collect();
        for p in &mut policies.policies {
            p.document = super::super::documents::bucket_policy("arn:aws:s3:::b", &keys);
        }
        let found = breaches(&policies, &Limits::default());
        assert_eq!(found.len(), 5);
        assert_eq!(found[0].cause, "smi.cloud.aws.kmsKeyArns lists 80 keys");
        assert!(found[0].size > MANAGED_POLICY_SIZE);
    }

    #[test]
    fn a_trust_policy_over_the_quota_names_the_issuer() {
        let mut policies = example_policies();
        policies.identity = AwsIdentity::Irsa;
        let size = document_size(&policies.roles[0].trust_policy);
        let limits = Limits {
            trust_policy_size: size - 1,
        };
        let found = breaches(&policies, &limits);
        assert_eq!(found.len(), 18);
        assert_eq!(found[0].what, "trust policy");
        assert!(found[0].cause.contains("smi.cloud.aws.oidcIssuer"));
        let raised = Limits {
            trust_policy_size: size,
        };
        assert!(breaches(&policies, &raised).is_empty());
    }

    #[test]
    fn the_fiftieth_tag_fits_and_the_fifty_first_does_not() {
        let existing: BTreeMap<String, String> =
            (0..47).map(|n| (format!("k{n}"), String::new())).collect();
        let added: BTreeMap<String, String> =
            (0..3).map(|n| (format!("new{n}"), String::new())).collect();
        assert!(check_tag_count("role r", &existing, &added).is_ok());
        let added: BTreeMap<String, String> =
            (0..4).map(|n| (format!("new{n}"), String::new())).collect();
        assert!(check_tag_count("role r", &existing, &added).is_err());
    }

    #[test]
    fn the_quota_flag_takes_2048_to_4096() {
        assert_eq!(parse_trust_policy_quota("4096"), Ok(4096));
        assert!(parse_trust_policy_quota("8192").is_err());
        assert!(parse_trust_policy_quota("1000").is_err());
    }
}
