//! The objects `secrets create` applies, the labels and annotations it keeps on them, and
//! their redacted form for output.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::value::redacted;

/// The field manager of every write (server-side apply).
pub const FIELD_MANAGER: &str = "kubectl-smi";
/// The standard label saying which tool manages an object.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The platform installation (`smi.environment`) a namespace or secret belongs to: how
/// "one platform per namespace" is enforced.
pub const ENVIRONMENT_LABEL: &str = "smi.dtplatform.io/environment";
/// Per key: supplied or generated, when it was created, when it was last rotated.
pub const KEYS_ANNOTATION: &str = "smi.dtplatform.io/keys";

/// What the annotation records about one key (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// `supplied`, `generated` or `derived`.
    pub source: String,
    /// When kubectl-smi first wrote or adopted the key (RFC 3339, UTC).
    pub created: String,
    /// When the key was last rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated: Option<String>,
}

/// The records of a secret, by key; a BTreeMap so the annotation text is stable.
pub type KeyRecords = BTreeMap<String, KeyRecord>;

/// Reads the annotation; an unreadable one counts as absent (it is only bookkeeping).
pub fn read_records(annotations: Option<&BTreeMap<String, String>>) -> KeyRecords {
    annotations
        .and_then(|a| a.get(KEYS_ANNOTATION))
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

fn labels(environment: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), FIELD_MANAGER.to_owned()),
        (ENVIRONMENT_LABEL.to_owned(), environment.to_owned()),
    ])
}

/// The Secret to apply: every key it must hold, base64 as Kubernetes carries them.
/// `resource_version` makes the apply fail with 409 if the secret changed since it was read.
pub struct SecretApply<'a> {
    /// The Secret's name, from the secret catalog.
    pub name: &'a str,
    /// The namespace it is applied in.
    pub namespace: &'a str,
    /// The installation (`smi.environment`), for the environment label.
    pub environment: &'a str,
    /// Every key's raw value, by key name (serialised as base64).
    pub data: BTreeMap<String, ByteString>,
    /// The keys annotation's records, by key name.
    pub records: &'a KeyRecords,
    /// The resourceVersion read from the cluster; none when the Secret is new.
    pub resource_version: Option<String>,
    /// The Secret's `type` (e.g. `Opaque`); none leaves it to the API server's default.
    pub secret_type: Option<&'a str>,
}

/// The Secret object of `apply`, labelled (managed-by, environment) and annotated with its key
/// records.
pub fn secret(apply: SecretApply<'_>) -> Secret {
    let records = serde_json::to_string(apply.records).expect("records serialize");
    Secret {
        metadata: ObjectMeta {
            name: Some(apply.name.to_owned()),
            namespace: Some(apply.namespace.to_owned()),
            labels: Some(labels(apply.environment)),
            annotations: Some(BTreeMap::from([(KEYS_ANNOTATION.to_owned(), records)])),
            resource_version: apply.resource_version,
            ..ObjectMeta::default()
        },
        data: Some(apply.data),
        type_: apply.secret_type.map(str::to_owned),
        ..Secret::default()
    }
}

/// The namespace, labelled with the installation it holds; `managed-by` only when
/// kubectl-smi creates it (an adopted namespace is someone else's).
pub fn namespace(name: &str, environment: &str, created: bool) -> Namespace {
    let mut labels = labels(environment);
    if !created {
        labels.remove(MANAGED_BY_LABEL);
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

/// JSON of an object for output: Secret values replaced by a marker unless `show`.
pub fn for_output(object: &impl Serialize, kind: &str, show: bool) -> Value {
    let mut value = serde_json::to_value(object).expect("Kubernetes objects serialize");
    // kubectl's order: apiVersion, kind, metadata, then the rest.
    let mut ordered = serde_json::Map::new();
    ordered.insert("apiVersion".into(), Value::from("v1"));
    ordered.insert("kind".into(), Value::from(kind));
    if let Value::Object(map) = &mut value {
        if let Some(metadata) = map.remove("metadata") {
            ordered.insert("metadata".into(), metadata);
        }
        for (k, v) in std::mem::take(map) {
            ordered.entry(k).or_insert(v);
        }
    }
    let mut value = Value::Object(ordered);
    if !show && let Some(Value::Object(data)) = value.get_mut("data") {
        for entry in data.values_mut() {
            let len = entry
                .as_str()
                .and_then(super::value::SecretValue::from_base64)
                .map_or(0, |v| v.len());
            *entry = Value::from(redacted(len));
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_redacts_values_unless_asked() {
        let records = KeyRecords::new();
        let object = secret(SecretApply {
            name: "s",
            namespace: "prod",
            environment: "prod",
            data: BTreeMap::from([("K".to_owned(), ByteString(b"hunter2".to_vec()))]),
            records: &records,
            resource_version: None,
            secret_type: Some("Opaque"),
        });
        let shown = for_output(&object, "Secret", false);
        assert_eq!(shown["data"]["K"], "<redacted: 7 bytes>");
        assert_eq!(shown["apiVersion"], "v1");
        assert_eq!(shown["metadata"]["labels"][ENVIRONMENT_LABEL], "prod");
        let revealed = for_output(&object, "Secret", true);
        assert_eq!(revealed["data"]["K"], "aHVudGVyMg==");
    }
}
