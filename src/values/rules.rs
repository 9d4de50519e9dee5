//! Rules JSON Schema cannot state, checked on the merged values and reported like schema
//! problems: values that must differ, and values that must agree with each other.

use serde_json::Value;

use super::describe::{Finding, Found, Place};
use super::partition_of_region;
use super::problem::Rule;
use crate::catalog::{Generator, SecretSpec, typed_secret_lacks};

/// The rules, in words, for the reference documentation.
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "distinct DNS names",
        "`smi.dns.app`, `smi.dns.api` and `smi.dns.id` are three different names (compared without case), one per entry point of step 1.",
    ),
    (
        "replicas in order",
        "`smi.prometheus.scriptworkerAutoscaler.maxReplicas` is at least `minReplicas`.",
    ),
    (
        "partition and region agree",
        "when `smi.cloud.aws.partition` is set, it is the partition of `smi.cloud.aws.region` (`cn-*` regions are in `aws-cn`, `us-gov-*` in `aws-us-gov`, `us-iso-*`, `us-isob-*` and `us-isof-*` in `aws-iso`, `aws-iso-b` and `aws-iso-f`, `eusc-*` in `aws-eusc`, all others in `aws`).",
    ),
    (
        "secrets and keys once",
        "each entry of `smi.secrets.catalog` has its own `name` (a second entry of the same name would silently replace the first), and each key of a secret its own `name`.",
    ),
    (
        "derived keys name a private key",
        "the `of` of a `publicKeyOf` or `selfSignedCertificateOf` key of `smi.secrets.catalog` names an `ecP256PrivateKey` or `rsa3072PrivateKey` key of the same secret.",
    ),
    (
        "typed secrets hold their keys",
        "an entry of `smi.secrets.catalog` whose `type` Kubernetes validates has the keys the API server requires of it: `kubernetes.io/tls` `tls.crt` and `tls.key`, `kubernetes.io/basic-auth` `username` or `password`, `kubernetes.io/ssh-auth` `ssh-privatekey`, `kubernetes.io/dockerconfigjson` `.dockerconfigjson`, `kubernetes.io/dockercfg` `.dockercfg`; `kubernetes.io/service-account-token` is refused (it needs an annotation kubectl-smi does not set).",
    ),
];

/// Every rule, on the merged values (which may be invalid in other ways: missing or
/// mistyped values are the schema's to report, and are skipped here).
pub fn check(values: &Value) -> Vec<Finding> {
    let mut findings = distinct_dns_names(values);
    findings.extend(replicas_in_order(values));
    findings.extend(partition_matches_region(values));
    findings.extend(catalog_rules(values));
    findings
}

const CATALOG: &str = "/smi/secrets/catalog";

/// The secret catalog's entries (each read on its own; an entry the schema refuses is
/// skipped): unique names, and derived keys that name a private key.
fn catalog_rules(values: &Value) -> Vec<Finding> {
    let Some(entries) = values.pointer(CATALOG).and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let names: Vec<Option<&str>> = entries
        .iter()
        .map(|e| e.get("name").and_then(Value::as_str))
        .collect();
    for (index, name) in names.iter().enumerate() {
        if let Some(first) = names[..index].iter().position(|n| n.is_some() && n == name) {
            findings.push(catalog_finding(
                format!("{CATALOG}/{index}/name"),
                Rule::Distinct,
                format!(
                    "a name other than that of smi.secrets.catalog[{first}]: an entry of the same name would replace it"
                ),
            ));
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        let Ok(secret) = serde_json::from_value::<SecretSpec>(entry.clone()) else {
            continue;
        };
        let keys = format!("{CATALOG}/{index}/keys");
        for (key, first) in secret.repeated_keys() {
            findings.push(catalog_finding(
                format!("{keys}/{key}/name"),
                Rule::Distinct,
                format!(
                    "a name other than that of smi.secrets.catalog[{index}].keys[{first}]: a Secret has each key once"
                ),
            ));
        }
        let names: Vec<&str> = secret.keys.iter().map(|k| k.name.as_str()).collect();
        if let Some(lack) = typed_secret_lacks(&secret.secret_type, &names) {
            let pointer = format!("{CATALOG}/{index}/type");
            findings.push(Finding {
                place: Place::Value(pointer.clone()),
                pointer,
                rule: Rule::Inconsistent,
                found: Found::Value(Value::String(secret.secret_type.clone())),
                expected: format!("the keys Kubernetes requires of the type: {lack}"),
                suggestion: None,
                quote: false,
            });
        }
        for key in secret.keys_of_no_private_key() {
            let spec = &secret.keys[key];
            // A missing `of` is the schema's to report.
            if spec.of.is_none() {
                continue;
            }
            let generator = spec.generator.map_or("", Generator::name);
            findings.push(catalog_finding(
                format!("{keys}/{key}/of"),
                Rule::Inconsistent,
                format!(
                    "the name of an `ecP256PrivateKey` or `rsa3072PrivateKey` key of the same secret (smi.secrets.catalog[{index}].keys): `{generator}` derives from a generated private key"
                ),
            ));
        }
    }
    findings
}

/// A problem with a value of the catalog, which lives under smi.secrets and so is only
/// ever described by its type.
fn catalog_finding(pointer: String, rule: Rule, expected: String) -> Finding {
    Finding {
        place: Place::Value(pointer.clone()),
        pointer,
        rule,
        found: Found::Words("a string".to_owned()),
        expected,
        suggestion: None,
        quote: false,
    }
}

/// Step 1 of the guide: three DNS names, one per entry point.
fn distinct_dns_names(values: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for key in ["app", "api", "id"] {
        let Some(name) = values
            .pointer(&format!("/smi/dns/{key}"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if let Some((first, _)) = seen.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
            let pointer = format!("/smi/dns/{key}");
            findings.push(Finding {
                place: Place::Value(pointer.clone()),
                pointer,
                rule: Rule::Distinct,
                found: Found::Value(Value::String(name.to_owned())),
                expected: format!(
                    "a name other than smi.dns.{first}: the web applications, the REST API and the identity service each need their own DNS name"
                ),
                suggestion: None,
                quote: false,
            });
        }
        seen.push((key, name));
    }
    findings
}

fn replicas_in_order(values: &Value) -> Option<Finding> {
    let autoscaler = values.pointer("/smi/prometheus/scriptworkerAutoscaler")?;
    let min = autoscaler.get("minReplicas")?.as_u64()?;
    let max = autoscaler.get("maxReplicas")?.as_u64()?;
    (max < min).then(|| {
        let pointer = "/smi/prometheus/scriptworkerAutoscaler/maxReplicas".to_owned();
        Finding {
            place: Place::Value(pointer.clone()),
            pointer,
            rule: Rule::Inconsistent,
            found: Found::Value(Value::from(max)),
            expected: format!("at least minReplicas ({min})"),
            suggestion: None,
            quote: false,
        }
    })
}

fn partition_matches_region(values: &Value) -> Option<Finding> {
    let aws = values.pointer("/smi/cloud/aws")?;
    let partition = aws.get("partition")?.as_str()?;
    let region = aws.get("region")?.as_str()?;
    let expected = partition_of_region(region);
    (partition != expected).then(|| {
        let pointer = "/smi/cloud/aws/partition".to_owned();
        Finding {
            place: Place::Value(pointer.clone()),
            pointer,
            rule: Rule::Inconsistent,
            found: Found::Value(Value::String(partition.to_owned())),
            expected: format!("`{expected}`, the partition of region {region} (or leave partition out: it is derived from the region)"),
            suggestion: None,
            quote: false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_three_dns_names_must_differ() {
        let values = json!({"smi": {"dns": {"app": "a.example.com", "api": "b.example.com", "id": "A.example.com"}}});
        let findings = check(&values);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].pointer, "/smi/dns/id");
        assert!(findings[0].expected.contains("smi.dns.app"));
    }

    #[test]
    fn partitions_follow_regions() {
        let values =
            json!({"smi": {"cloud": {"aws": {"region": "eu-west-1", "partition": "aws-cn"}}}});
        assert_eq!(check(&values)[0].pointer, "/smi/cloud/aws/partition");
    }

    #[test]
    fn every_partition_a_region_can_be_in_is_one_the_schema_allows() {
        let schema = crate::values::schema::schema();
        let allowed = &schema["properties"]["smi"]["properties"]["cloud"]["properties"]["aws"]["properties"]
            ["partition"]["enum"];
        let regions = crate::values::format::AWS_REGION.valid;
        for region in regions {
            let partition = partition_of_region(region);
            assert!(
                allowed
                    .as_array()
                    .is_some_and(|a| a.contains(&json!(partition))),
                "{region} is in {partition}, which the schema does not allow"
            );
        }
        for region in [
            "cn-north-1",
            "us-gov-west-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "us-isof-south-1",
            "eusc-de-east-1",
        ] {
            assert!(
                regions.contains(&region),
                "{region} is among the format's examples"
            );
        }
    }

    #[test]
    fn the_built_in_catalog_passes_the_schema_and_the_rules() {
        let catalog = serde_json::to_value(crate::catalog::default_secrets()).unwrap();
        let schema = crate::values::schema::schema();
        let items = &schema["properties"]["smi"]["properties"]["secrets"]["properties"]["catalog"];
        let validator = jsonschema::draft7::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(items)
            .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&catalog)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(check(&json!({"smi": {"secrets": {"catalog": catalog}}})).is_empty());
    }

    #[test]
    fn a_secret_named_twice_and_a_certificate_of_a_random_key_are_found() {
        let values = json!({"smi": {"secrets": {"catalog": [
            {"name": "x", "keys": [
                {"name": "K", "source": "generated", "generator": "random64"},
                {"name": "C", "source": "generated", "generator": "selfSignedCertificateOf", "of": "K"}
            ]},
            {"name": "x", "keys": []}
        ]}}});
        let pointers: Vec<String> = check(&values).into_iter().map(|f| f.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/smi/secrets/catalog/1/name",
                "/smi/secrets/catalog/0/keys/1/of"
            ]
        );
    }

    #[test]
    fn missing_values_are_left_to_the_schema() {
        assert!(check(&json!({})).is_empty());
        assert!(check(&json!({"smi": {"dns": 3}})).is_empty());
    }
}
