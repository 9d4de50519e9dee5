//! Where objects that run pods keep their pod spec, and which service account they run as.

use serde_json::{Map, Value};

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

pub fn is_workload(kind: &str) -> bool {
    pod_spec_pointer(kind).is_some()
}

pub fn pod_spec<'a>(object: &'a Value, kind: &str) -> Option<&'a Map<String, Value>> {
    object.pointer(pod_spec_pointer(kind)?)?.as_object()
}

pub fn pod_spec_mut<'a>(object: &'a mut Value, kind: &str) -> Option<&'a mut Map<String, Value>> {
    object.pointer_mut(pod_spec_pointer(kind)?)?.as_object_mut()
}

/// The service account a workload's pods run as (`serviceAccountName`, or the deprecated
/// `serviceAccount`); None means the namespace's `default` account.
pub fn service_account(object: &Value, kind: &str) -> Option<String> {
    let spec = pod_spec(object, kind)?;
    spec.get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Value::as_str)
        .map(str::to_owned)
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
