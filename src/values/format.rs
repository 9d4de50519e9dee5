//! The formats the values contract checks by pattern (DNS names, account ids, regions,
//! bucket names, ARNs, OCIDs, durations, ...): one table that feeds the schema, the
//! "expected" words of every error, the reference documentation and the tests.
//!
//! Patterns are RE2 syntax (no look-around, no back-references, ASCII classes only)
//! because Helm compiles a chart's values.schema.json with Go's regexp; rules RE2 cannot
//! state ("no two adjacent dots") are separate `not: {pattern}` clauses.

use schemars::Schema;
use serde_json::{Map, Value, json};

use crate::catalog::SERVICE_ACCOUNTS;

/// A string format of the values contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// What the value is, in words ("an S3 bucket name").
    pub name: &'static str,
    /// The rule in words, as an operator reads it in an error.
    pub rule: &'static str,
    pub pattern: &'static str,
    pub min_length: Option<u64>,
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
    &OCI_REGION,
    &OCI_COMPARTMENT_OCID,
    &OCI_CLUSTER_OCID,
    &OCI_BUCKET,
];

/// A Kubernetes namespace or other DNS-1123 label.
pub const DNS_LABEL: Format = Format {
    name: "a DNS-1123 label",
    rule: "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    min_length: Some(1),
    max_length: Some(63),
    forbidden: &[],
    valid: &["prod", "dtp-staging", "monitoring", "a1"],
    invalid: &["Prod", "-prod", "prod-", "prod_1", "prod.eu", ""],
};

/// A fully qualified DNS name the platform is reached by (step 1 of the guide).
pub const DNS_NAME: Format = Format {
    name: "a fully qualified DNS name (DNS-1123 subdomain)",
    rule: "dot-separated labels of lowercase letters, digits and '-' (each 1-63 characters, starting and ending with a letter or digit), at least two labels, at most 253 characters",
    pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$",
    min_length: None,
    max_length: Some(253),
    forbidden: &[],
    valid: &[
        "app.example-domain.com",
        "api.prod.example.io",
        "id.x1.example.org",
    ],
    invalid: &[
        "App.example.com",
        "app",
        "app..example.com",
        "-app.example.com",
        "app.example.com.",
        "https://app.example.com",
        "*.example.com",
    ],
};

/// A host name or IP address of an external system.
pub const HOST: Format = Format {
    name: "a host name or IP address",
    rule: "a DNS name (letters, digits, '-' and '.') or an IPv4/IPv6 address, without scheme, port or path",
    pattern: "^([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$",
    min_length: Some(1),
    max_length: Some(253),
    forbidden: &[],
    valid: &[
        "pg.internal",
        "10.0.12.7",
        "fd00::12",
        "email-smtp.us-east-1.amazonaws.com",
    ],
    invalid: &["pg.internal:5432", "https://pg.internal", "pg internal", ""],
};

/// `host:port` (Kafka brokers and ZooKeeper nodes).
pub const HOST_PORT: Format = Format {
    name: "a host:port address",
    rule: "a host name or IPv4 address, or an IPv6 address in brackets, then ':' and a port from 1 to 65535",
    pattern: "^([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
    min_length: None,
    max_length: Some(260),
    forbidden: &[],
    valid: &[
        "b-1.kafka.us-east-1.amazonaws.com:9096",
        "10.0.0.5:2181",
        "[fd00::5]:9092",
    ],
    invalid: &[
        "kafka.internal",
        "kafka.internal:0",
        "kafka.internal:70000",
        "kafka://kafka.internal:9092",
    ],
};

/// A Kubernetes label value.
pub const LABEL_VALUE: Format = Format {
    name: "a Kubernetes label value",
    rule: "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, 1-63 characters",
    pattern: "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$",
    min_length: Some(1),
    max_length: Some(63),
    forbidden: &[],
    valid: &["kube-prometheus-stack", "prometheus", "Release_1.2"],
    invalid: &["kube prometheus", "-stack", "stack.", ""],
};

/// A Prometheus duration (the ServiceMonitor CRD's own pattern, minus the bare `0`).
pub const DURATION: Format = Format {
    name: "a Prometheus duration",
    rule: "a number and a unit, largest unit first, e.g. 5s, 30s, 1m30s (units: y, w, d, h, m, s, ms)",
    pattern: "^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$",
    min_length: Some(2),
    max_length: None,
    forbidden: &[],
    valid: &["5s", "30s", "1m30s", "500ms"],
    invalid: &["5", "5 s", "s5", "1.5s", ""],
};

/// An IPv4 or IPv6 network in CIDR notation.
pub const CIDR: Format = Format {
    name: "a network in CIDR notation",
    rule: "an IPv4 address and a prefix length 0-32 (10.0.0.0/8), or an IPv6 address and a prefix length 0-128",
    pattern: "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["10.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24", "fd00::/8"],
    invalid: &["10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "10.0.0/8"],
};

/// An AWS account id.
pub const AWS_ACCOUNT_ID: Format = Format {
    name: "an AWS account id",
    rule: "exactly 12 digits, written as a quoted string (\"012345678901\") so YAML keeps leading zeros",
    pattern: "^[0-9]{12}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["123456789012", "012345678901"],
    invalid: &["12345678901", "1234567890123", "12345678901a"],
};

/// An AWS region. Its middle word is a direction, which tells an OCI region apart.
pub const AWS_REGION: Format = Format {
    name: "an AWS region",
    rule: "an area, an optional -gov/-iso part, a direction and a number, e.g. us-east-1, eu-central-1, us-gov-west-1",
    pattern: "^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[0-9]{1,2}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &[
        "us-east-1",
        "eu-central-2",
        "ap-southeast-4",
        "us-gov-west-1",
        "cn-north-1",
        "il-central-1",
    ],
    invalid: &["us-east", "US-EAST-1", "eu-frankfurt-1", "useast1"],
};

/// An EKS cluster name.
pub const EKS_CLUSTER_NAME: Format = Format {
    name: "an EKS cluster name",
    rule: "letters, digits, '-' and '_', starting with a letter or digit, 1-100 characters",
    pattern: "^[0-9A-Za-z][A-Za-z0-9_-]*$",
    min_length: Some(1),
    max_length: Some(100),
    forbidden: &[],
    valid: &["dtp-prod", "Cluster_1"],
    invalid: &["-dtp", "dtp prod", "dtp.prod"],
};

/// The longest service account name of the guide's table: role names are prefix + name.
const LONGEST_SERVICE_ACCOUNT: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < SERVICE_ACCOUNTS.len() {
        if SERVICE_ACCOUNTS[i].name.len() > longest {
            longest = SERVICE_ACCOUNTS[i].name.len();
        }
        i += 1;
    }
    longest
};

/// IAM role names are at most 64 characters; every service account's role must fit.
pub const IAM_ROLE_PREFIX_MAX: u64 = 64 - LONGEST_SERVICE_ACCOUNT as u64;

/// The prefix of the IAM role names (role name = prefix + service account name).
pub const IAM_ROLE_PREFIX: Format = Format {
    name: "an IAM role name prefix",
    rule: "letters, digits and + = , . @ _ -; short enough that prefix + the longest service account name fits IAM's 64 characters",
    pattern: "^[A-Za-z0-9+=,.@_-]*$",
    min_length: None,
    max_length: Some(IAM_ROLE_PREFIX_MAX),
    forbidden: &[],
    valid: &["dtp-prod-", "", "DtpProd_"],
    invalid: &[
        "dtp prod-",
        "dtp/prod-",
        "dtp-prod-with-a-prefix-far-too-long-",
    ],
};

/// An S3 bucket name, per the AWS general purpose bucket naming rules.
pub const S3_BUCKET: Format = Format {
    name: "an S3 bucket name",
    rule: "3-63 characters: lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
    pattern: "^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
    min_length: Some(3),
    max_length: Some(63),
    forbidden: &[
        ("\\.\\.", "no two adjacent dots"),
        (
            "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$",
            "not formatted as an IP address",
        ),
        (
            "^(xn--|sthree-|amzn-s3-demo-)",
            "not starting with xn--, sthree- or amzn-s3-demo- (reserved by AWS)",
        ),
        (
            "(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$",
            "not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3 (reserved by AWS)",
        ),
    ],
    valid: &["dtp-prod-kafka", "dtp.prod.files", "abc"],
    invalid: &[
        "ab",
        "Dtp-Prod",
        "dtp_prod",
        "dtp..prod",
        "192.168.5.4",
        "xn--dtp",
        "dtp-s3alias",
        "-dtp",
        "dtp-",
    ],
};

/// A KMS key ARN (or alias ARN).
pub const KMS_KEY_ARN: Format = Format {
    name: "a KMS key ARN",
    rule: "arn:<partition>:kms:<region>:<12-digit account>:key/<id> (or alias/<name>)",
    pattern: "^arn:aws(-cn|-us-gov|-iso|-iso-b)?:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+$",
    min_length: None,
    max_length: Some(2048),
    forbidden: &[],
    valid: &[
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/dtp",
    ],
    invalid: &[
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:s3:::dtp-prod-kafka",
        "arn:aws:kms:us-east-1:1234:key/x",
    ],
};

/// The cluster's OIDC issuer URL (IRSA).
pub const OIDC_ISSUER: Format = Format {
    name: "an OIDC issuer URL",
    rule: "an https:// URL without query or fragment, e.g. https://oidc.eks.<region>.amazonaws.com/id/<id>",
    pattern: "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$",
    min_length: None,
    max_length: Some(2048),
    forbidden: &[],
    valid: &["https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"],
    invalid: &[
        "oidc.eks.eu-west-1.amazonaws.com/id/X",
        "http://oidc.example.com",
        "https://oidc.example.com/?a=b",
    ],
};

/// An OCI region identifier.
pub const OCI_REGION: Format = Format {
    name: "an OCI region identifier",
    rule: "lowercase words joined by '-' and a number, e.g. eu-frankfurt-1, us-ashburn-1",
    pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["eu-frankfurt-1", "us-ashburn-1", "us-gov-ashburn-1"],
    invalid: &["FRA", "eu-frankfurt", "Eu-Frankfurt-1"],
};

/// The compartment containing the cluster: a compartment OCID, or the tenancy OCID for the
/// root compartment.
pub const OCI_COMPARTMENT_OCID: Format = Format {
    name: "a compartment OCID",
    rule: "ocid1.compartment.<realm>.[region].<unique id> (or ocid1.tenancy... for the root compartment)",
    pattern: "^ocid1\\.(compartment|tenancy)\\.oc[0-9]+\\.[a-z0-9-]*\\.([a-z0-9-]+\\.)?[a-z0-9]+$",
    min_length: None,
    max_length: Some(255),
    forbidden: &[],
    valid: &[
        "ocid1.compartment.oc1..aaaaaaaa3j4zzeqtk2cotfoak2qh6bn5ba3jgoe4hxubv7elvycrzjb5e7fa",
        "ocid1.tenancy.oc1..aaaa",
    ],
    invalid: &[
        "ocid1.cluster.oc1.eu-frankfurt-1.aaaa",
        "ocid1.compartment.oc1.aaaa",
        "ocid2.compartment.oc1..aaaa",
        "compartment-prod",
    ],
};

/// The OKE cluster's OCID.
pub const OCI_CLUSTER_OCID: Format = Format {
    name: "a cluster OCID",
    rule: "ocid1.cluster.<realm>.<region>.<unique id>",
    pattern: "^ocid1\\.cluster\\.oc[0-9]+\\.[a-z0-9-]*\\.([a-z0-9-]+\\.)?[a-z0-9]+$",
    min_length: None,
    max_length: Some(255),
    forbidden: &[],
    valid: &[
        "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaqd6cmfnt3szakqlcwf3ck2n2djgwkldfkvdkzphqtyzm7pbr2gwq",
    ],
    invalid: &[
        "ocid1.compartment.oc1..aaaa",
        "ocid1.cluster.oc1.eu-frankfurt-1",
        "ocid1.cluster.oc1.eu-frankfurt-1.AAAA",
    ],
};

/// An OCI Object Storage bucket name.
pub const OCI_BUCKET: Format = Format {
    name: "an OCI Object Storage bucket name",
    rule: "1-256 characters: letters, digits, '-', '_' and '.'",
    pattern: "^[A-Za-z0-9._-]+$",
    min_length: Some(1),
    max_length: Some(256),
    forbidden: &[],
    valid: &["dtp-prod-kafka", "DTP_files.2"],
    invalid: &["dtp prod", "dtp/prod", "dtp'prod", ""],
};

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
    fn role_names_fit_iam_limits_with_the_longest_service_account() {
        assert_eq!(
            LONGEST_SERVICE_ACCOUNT,
            "platform-notificationsvc-worker".len()
        );
        assert_eq!(IAM_ROLE_PREFIX_MAX, 33);
    }
}
