//! The formats the values contract checks by pattern (DNS names, account ids, regions,
//! bucket names, ARNs, OCIDs, durations, ...): one table that feeds the schema, the
//! "expected" words of every error, the reference documentation and the tests.
//!
//! Patterns are RE2 syntax (no look-around, no back-references, ASCII classes only)
//! because Helm compiles a chart's values.schema.json with Go's regexp; rules RE2 cannot
//! state ("no two adjacent dots") are separate `not: {pattern}` clauses.

use schemars::Schema;
use serde_json::{Map, Value, json};

mod aws;
mod kubernetes;
mod network;
mod oci;

pub use aws::{
    AWS_ACCOUNT_ID, AWS_REGION, EKS_CLUSTER_NAME, IAM_ROLE_ARN, IAM_ROLE_PREFIX,
    IAM_ROLE_PREFIX_MAX, KMS_KEY_ARN, OIDC_ISSUER, S3_BUCKET, SECURITY_GROUP_ID,
};
pub use kubernetes::{
    CERTIFICATE_SUBJECT, DNS_LABEL, DNS_NAME, DURATION, GO_DURATION, LABEL_VALUE, OBJECT_NAME,
    SECRET_KEY,
};
pub use network::{AGE_RECIPIENT, CIDR, HOST, HOST_PORT, HOST_PORT_LIST, list_items};
pub use oci::{
    OCI_BUCKET, OCI_CLUSTER_OCID, OCI_COMPARTMENT_OCID, OCI_KEY_OCID, OCI_REGION, OCI_VAULT_OCID,
};

/// A string format of the values contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// What the value is, in words ("an S3 bucket name").
    pub name: &'static str,
    /// The rule in words, as an operator reads it in an error.
    pub rule: &'static str,
    /// The regular expression a value must match (JSON Schema `pattern`; written with `^` and `$`).
    pub pattern: &'static str,
    /// The shortest length allowed, in characters; none for no bound.
    pub min_length: Option<u64>,
    /// The longest length allowed, in characters; none for no bound.
    pub max_length: Option<u64>,
    /// Extra rules: a pattern the value must NOT match, and the rule in words.
    pub forbidden: &'static [(&'static str, &'static str)],
    /// Values that fit (the first is shown as an example).
    pub valid: &'static [&'static str],
    /// Values that do not fit, one broken rule each (tests use them).
    pub invalid: &'static [&'static str],
}

impl Format {
    /// The JSON Schema keywords of this format.
    pub fn keywords(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("pattern".into(), json!(self.pattern));
        if let Some(min) = self.min_length {
            map.insert("minLength".into(), json!(min));
        }
        if let Some(max) = self.max_length {
            map.insert("maxLength".into(), json!(max));
        }
        if !self.forbidden.is_empty() {
            let clauses: Vec<Value> = self
                .forbidden
                .iter()
                .map(|(pattern, _)| json!({"not": {"pattern": pattern}}))
                .collect();
            map.insert("allOf".into(), Value::Array(clauses));
        }
        map
    }

    /// Adds this format to a string schema, or to the items of an array schema.
    pub fn apply(&self, schema: &mut Schema) {
        let target = if has_type(schema, "array") {
            match schema
                .get_mut("items")
                .and_then(|i| <&mut Schema>::try_from(i).ok())
            {
                Some(items) => items,
                None => return,
            }
        } else {
            schema
        };
        for (key, value) in self.keywords() {
            target.insert(key, value);
        }
    }

    /// The words for a `not` clause of this format, found by its pattern.
    pub fn forbidden_rule(&self, pattern: &str) -> Option<&'static str> {
        self.forbidden
            .iter()
            .find(|(p, _)| *p == pattern)
            .map(|(_, rule)| *rule)
    }

    /// What an error says is expected: "an S3 bucket name (3-63 characters ...)".
    pub fn expected(&self) -> String {
        format!("{}: {}", self.name, self.rule)
    }
}

/// Whether a schema's `type` is, or includes, `ty`.
pub fn has_type(schema: &Schema, ty: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(types)) => types.iter().any(|t| t == ty),
        _ => false,
    }
}

/// The format whose main pattern or one of whose `not` patterns is `pattern`.
pub fn by_pattern(pattern: &str) -> Option<&'static Format> {
    ALL.iter()
        .find(|f| f.pattern == pattern || f.forbidden.iter().any(|(p, _)| *p == pattern))
        .copied()
}

/// Every format, for lookups and tests.
pub const ALL: &[&Format] = &[
    &DNS_LABEL,
    &DNS_NAME,
    &HOST,
    &HOST_PORT,
    &HOST_PORT_LIST,
    &LABEL_VALUE,
    &DURATION,
    &CIDR,
    &AWS_ACCOUNT_ID,
    &AWS_REGION,
    &EKS_CLUSTER_NAME,
    &IAM_ROLE_PREFIX,
    &S3_BUCKET,
    &KMS_KEY_ARN,
    &OIDC_ISSUER,
    &SECURITY_GROUP_ID,
    &OCI_REGION,
    &OCI_COMPARTMENT_OCID,
    &OCI_CLUSTER_OCID,
    &OCI_BUCKET,
    &OCI_VAULT_OCID,
    &OCI_KEY_OCID,
    &IAM_ROLE_ARN,
    &GO_DURATION,
    &AGE_RECIPIENT,
    &OBJECT_NAME,
    &SECRET_KEY,
    &CERTIFICATE_SUBJECT,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(format: &Format, value: &str) -> bool {
        let schema = Value::Object(format.keywords());
        jsonschema::draft7::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .expect("every format compiles as RE2")
            .is_valid(&json!(value))
    }

    #[test]
    fn every_format_accepts_its_examples_and_refuses_its_counter_examples() {
        for format in ALL {
            for value in format.valid {
                assert!(
                    accepts(format, value),
                    "{} should accept {value:?}",
                    format.name
                );
            }
            for value in format.invalid {
                assert!(
                    !accepts(format, value),
                    "{} should refuse {value:?}",
                    format.name
                );
            }
        }
    }

    #[test]
    fn the_catalog_checks_and_the_schema_agree_on_secret_names_keys_and_subjects() {
        use crate::catalog::{check_catalog, check_key_name, is_certificate_subject};
        let agree = |format: &Format, code: &dyn Fn(&str) -> bool| {
            for value in format.valid.iter().chain(format.invalid) {
                assert_eq!(
                    accepts(format, value),
                    code(value),
                    "{}: {value:?}",
                    format.name
                );
            }
        };
        agree(&SECRET_KEY, &|k| check_key_name(k).is_ok());
        agree(&CERTIFICATE_SUBJECT, &is_certificate_subject);
        agree(&OBJECT_NAME, &|name| {
            let secret = serde_json::from_value(json!({"name": name, "keys": []}));
            check_catalog(&[secret.expect("a secret")]).is_ok()
        });
    }

    #[test]
    fn role_names_fit_iam_limits_with_the_longest_service_account() {
        let longest = "platform-notificationsvc-worker";
        assert_eq!(IAM_ROLE_PREFIX_MAX, 64 - longest.len() as u64);
        assert_eq!(IAM_ROLE_PREFIX_MAX, 33);
    }
}
