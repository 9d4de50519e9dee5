//! Where objects that run pods keep their pod spec, and which service account they run as.

use serde_json::{Map, Value};

use crate::stream::{Content, Edit, Field, Item, Node, ObjectRef, Stream, StreamError};

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

/// The path of a workload kind's pod spec, when it is a mapping in the object being edited.
pub fn pod_spec_path(edit: &Edit<'_>, kind: &str) -> Option<Vec<String>> {
    let path = tokens(pod_spec_pointer(kind)?);
    is_mapping(edit, &path).then_some(path)
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(str::to_owned).collect()
}

fn is_mapping(edit: &Edit<'_>, path: &[String]) -> bool {
    matches!(
        edit.get(path).map(|n| &n.content),
        Some(Content::Mapping(_))
    )
}

/// `path` followed by `keys`.
pub fn below(path: &[String], keys: &[&str]) -> Vec<String> {
    path.iter()
        .cloned()
        .chain(keys.iter().map(|k| (*k).to_owned()))
        .collect()
}

/// The paths of the containers under `lists` (`containers`, `initContainers`) of the pod
/// spec at `spec`: the items of those lists that are mappings.
pub fn container_paths(edit: &Edit<'_>, spec: &[String], lists: &[&str]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for list in lists {
        let list = below(spec, &[list]);
        if let Some(Content::Sequence(items)) = edit.get(&list).map(|n| &n.content) {
            for (i, item) in items.iter().enumerate() {
                if matches!(item.value.content, Content::Mapping(_)) {
                    paths.push(below(&list, &[&i.to_string()]));
                }
            }
        }
    }
    paths
}

/// The string at `keys` below `node`, if there is one.
pub fn str_at(node: &Node, keys: &[&str]) -> Option<String> {
    let mut node = node;
    for key in keys {
        node = node.child(key)?;
    }
    match node.to_json() {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The items of the list at `path` (none when absent or not a list).
pub fn items<'e>(edit: &'e Edit<'_>, path: &[String]) -> &'e [Item] {
    match edit.get(path).map(|n| &n.content) {
        Some(Content::Sequence(items)) => items,
        _ => &[],
    }
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

/// [`service_account_in`] from the values the reading pass recorded (`field`), for
/// [`Prebuild`](crate::stream::Prebuild); `None` also when they were not recorded.
pub fn recorded_service_account(
    kind: &str,
    field: &dyn Fn(&str) -> Option<Value>,
) -> Option<String> {
    let [name, deprecated] = service_account_pointers(kind)?;
    let value = field(name).or_else(|| field(deprecated))?;
    value.as_str().map(str::to_owned)
}

/// The kinds of objects that run pods.
pub fn workload_kinds() -> Vec<String> {
    WORKLOAD_KINDS.iter().map(|k| (*k).to_owned()).collect()
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

/// Sets `name=value` in the env of the container at `container`, replacing a plain value of
/// the same name and leaving a `valueFrom` the chart set alone.
pub fn set_env(edit: &mut Edit<'_>, container: &[String], name: &str, value: &str) {
    let env = below(container, &["env"]);
    let found = items(edit, &env)
        .iter()
        .position(|e| str_at(&e.value, &["name"]).as_deref() == Some(name));
    match found {
        Some(i)
            if edit
                .get(&below(&env, &[&i.to_string(), "valueFrom"]))
                .is_some() => {}
        Some(i) => edit.set(
            &below(&env, &[&i.to_string(), "value"]),
            Value::String(value.to_owned()),
        ),
        None => edit.push(&env, serde_json::json!({"name": name, "value": value})),
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
