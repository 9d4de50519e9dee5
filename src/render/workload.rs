//! Where objects that run pods keep their pod spec, and which service account they run as.

use serde_json::{Map, Value};

use crate::stream::{Field, ObjectRef, Stream, StreamError};

const WORKLOAD_KINDS: [&str; 8] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "ReplicationController",
    "CronJob",
];

/// JSON pointer to the pod spec of a workload kind.
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// JSON pointer to the labels of the pods of a workload kind.
pub fn pod_labels_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/metadata/labels"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/metadata/labels"),
        k if is_workload(k) => Some("/spec/template/metadata/labels"),
        _ => None,
    }
}

/// Every workload's pod labels (for `Filter::fields`).
pub fn pod_labels_fields() -> Vec<Field> {
    WORKLOAD_KINDS
        .iter()
        .filter_map(|k| Some(Field::of_kinds(&[k], pod_labels_pointer(k)?)))
        .collect()
}

pub fn is_workload(kind: &str) -> bool {
    pod_spec_pointer(kind).is_some()
}

pub fn pod_spec_mut<'a>(object: &'a mut Value, kind: &str) -> Option<&'a mut Map<String, Value>> {
    object.pointer_mut(pod_spec_pointer(kind)?)?.as_object_mut()
}

/// The service account a workload's pods run as (`serviceAccountName`, or the deprecated
/// `serviceAccount`, of a pod spec that is a mapping); None means the namespace's `default`
/// account. Reads only these two fields (recorded by the scan when a filter asked for
/// `service_account_fields`).
pub fn service_account_in(
    stream: &mut Stream,
    object: ObjectRef,
    kind: &str,
) -> Result<Option<String>, StreamError> {
    let Some([name, deprecated]) = service_account_pointers(kind) else {
        return Ok(None);
    };
    let value = match stream.pointer(object, name)? {
        Some(v) => Some(v),
        None => stream.pointer(object, deprecated)?,
    };
    Ok(value.and_then(|v| v.as_str().map(str::to_owned)))
}

/// `<pod spec>/serviceAccountName` and `<pod spec>/serviceAccount` of a workload kind.
fn service_account_pointers(kind: &str) -> Option<[&'static str; 2]> {
    Some(match pod_spec_pointer(kind)? {
        "/spec" => ["/spec/serviceAccountName", "/spec/serviceAccount"],
        "/spec/template/spec" => [
            "/spec/template/spec/serviceAccountName",
            "/spec/template/spec/serviceAccount",
        ],
        "/spec/jobTemplate/spec/template/spec" => [
            "/spec/jobTemplate/spec/template/spec/serviceAccountName",
            "/spec/jobTemplate/spec/template/spec/serviceAccount",
        ],
        _ => return None,
    })
}

/// The fields `service_account_in` reads.
pub fn service_account_fields() -> Vec<Field> {
    WORKLOAD_KINDS
        .iter()
        .filter_map(|k| Some((k, service_account_pointers(k)?)))
        .flat_map(|(k, pointers)| pointers.map(|p| Field::of_kinds(&[k], p)))
        .collect()
}

/// Every container of a pod spec, init containers included.
pub fn containers_mut(
    spec: &mut Map<String, Value>,
) -> impl Iterator<Item = &mut Map<String, Value>> {
    spec.iter_mut()
        .filter(|(key, _)| matches!(key.as_str(), "initContainers" | "containers"))
        .filter_map(|(_, list)| list.as_array_mut())
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// The list under `key`, created empty when absent (or not a list).
pub fn list_mut<'a>(object: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let entry = object
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    entry.as_array_mut().expect("made a list above")
}

/// The mapping under `key`, created empty when absent (or not a mapping).
pub fn map_mut<'a>(object: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let entry = object
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("made a mapping above")
}

/// Sets `name=value` in a container's env, replacing a plain value of the same name and
/// leaving a `valueFrom` the chart set alone.
pub fn set_env(container: &mut Map<String, Value>, name: &str, value: &str) {
    let env = list_mut(container, "env");
    match env.iter_mut().find(|e| e["name"] == name) {
        Some(existing) if existing.get("valueFrom").is_some() => {}
        Some(existing) => existing["value"] = Value::String(value.to_owned()),
        None => env.push(serde_json::json!({"name": name, "value": value})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_pointers_are_under_the_pod_spec() {
        for kind in WORKLOAD_KINDS {
            let spec = pod_spec_pointer(kind).unwrap();
            let [name, deprecated] = service_account_pointers(kind).unwrap();
            assert_eq!(name, format!("{spec}/serviceAccountName"));
            assert_eq!(deprecated, format!("{spec}/serviceAccount"));
        }
        assert_eq!(service_account_pointers("Service"), None);
    }
}
