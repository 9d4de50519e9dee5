//! Field ownership for server-side apply: which manager set which field.
//!
//! A field is the path to a leaf of the object: maps are walked key by key, while scalars
//! and lists are leaves (lists are atomic here; the real server merges lists with merge
//! keys, which no command of this project relies on). Server-maintained fields
//! (resourceVersion, uid, managedFields, status, ...) belong to no one.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// A path from the object's root to a leaf, e.g. `["data", "KEY"]`.
pub type FieldPath = Vec<String>;

/// The fields one manager owns, and how it last wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedEntry {
    pub manager: String,
    /// `Apply` (server-side apply) or `Update` (create, update, patch).
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: BTreeSet<FieldPath>,
}

const SERVER_METADATA: [&str; 9] = [
    "name",
    "namespace",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
];

/// Every field a manager could own in `object`.
pub fn leaves(object: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    let Some(map) = object.as_object() else {
        return out;
    };
    for (key, value) in map {
        match key.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                if let Some(meta) = value.as_object() {
                    for (mkey, mvalue) in meta {
                        if !SERVER_METADATA.contains(&mkey.as_str()) {
                            collect(mvalue, vec!["metadata".to_owned(), mkey.clone()], &mut out);
                        }
                    }
                }
            }
            _ => collect(value, vec![key.clone()], &mut out),
        }
    }
    out
}

fn collect(value: &Value, path: FieldPath, out: &mut BTreeSet<FieldPath>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let mut next = path.clone();
                next.push(key.clone());
                collect(child, next, out);
            }
        }
        _ => {
            out.insert(path);
        }
    }
}

/// The value at `path`, if any.
pub fn get<'a>(object: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(object, |node, key| node.get(key))
}

/// Removes the leaf at `path`; maps emptied by the removal stay (as the real server leaves them).
pub fn remove(object: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = object;
    for key in parents {
        match node.get_mut(key) {
            Some(next) => node = next,
            None => return,
        }
    }
    if let Some(map) = node.as_object_mut() {
        map.remove(last);
    }
}

/// Sets the leaf at `path`, creating maps on the way.
pub fn set(object: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = object;
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node
            .as_object_mut()
            .expect("made an object above")
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    node.as_object_mut()
        .expect("made an object above")
        .insert(last.clone(), value);
}

/// `.data.KEY`: how conflicts name a field.
pub fn display(path: &[String]) -> String {
    path.iter().map(|p| format!(".{p}")).collect()
}

/// The `fieldsV1` form of a set of fields: `{"f:data": {"f:KEY": {}}}`.
pub fn to_fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = json!({});
    for path in fields {
        let mut node = &mut root;
        for key in path {
            node = node
                .as_object_mut()
                .expect("fieldsV1 nodes are objects")
                .entry(format!("f:{key}"))
                .or_insert_with(|| json!({}));
        }
    }
    root
}

/// The object as clients see it: with `metadata.managedFields` rendered from the entries.
pub fn with_managed_fields(object: &Value, entries: &[ManagedEntry]) -> Value {
    let mut out = object.clone();
    let rendered: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            })
        })
        .collect();
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("managedFields".to_owned(), Value::Array(rendered));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_skip_server_fields_and_walk_maps() {
        let object = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "resourceVersion": "3", "labels": {"a": "b"}},
            "data": {"K": "dg=="}, "type": "Opaque"
        });
        let paths: Vec<String> = leaves(&object).iter().map(|p| display(p)).collect();
        assert_eq!(paths, [".data.K", ".metadata.labels.a", ".type"]);
    }

    #[test]
    fn fields_v1_nests_prefixed_keys() {
        let set: BTreeSet<FieldPath> = [vec!["data".to_owned(), "K".to_owned()]].into();
        assert_eq!(to_fields_v1(&set), json!({"f:data": {"f:K": {}}}));
    }
}
