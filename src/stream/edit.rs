//! Applying the add / remove / replace operations of a JSON patch to a node tree, so that a
//! change touches only the nodes it names and everything else keeps its written form.

use json_patch::PatchOperation;
use serde_json::Value;

use super::tree::{Content, Entry, Item, Node, parse_index};

/// Why an operation could not be applied to a document.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    /// The parent of the path does not exist or is a scalar.
    #[error("path {path}: its parent does not exist or is not a mapping or a list")]
    NoParent {
        /// The operation's path (a JSON pointer).
        path: String,
    },
    /// The path names nothing to remove or replace.
    #[error("path {path}: nothing there to {op}")]
    Missing {
        /// The operation's path (a JSON pointer).
        path: String,
        /// `remove` or `replace`.
        op: &'static str,
    },
    /// The operation needs the JSON view (move, copy, test); apply it there and diff.
    #[error("operation {op} at {path} is not a structural edit")]
    Unsupported {
        /// The operation's path (a JSON pointer).
        path: String,
        /// The JSON Patch operation: `move`, `copy` or `test`.
        op: &'static str,
    },
    /// The path leads into a value that a merge key (`<<: *anchor`) brings in: changing it
    /// in place would change the anchor's other users too.
    #[error(
        "path {path}: the value comes from a merge key (`<<`); write it out in the document to change it"
    )]
    Merged {
        /// The path (a JSON pointer) of the merged value.
        path: String,
    },
    /// An edit that would replace the whole document.
    #[error("the whole document cannot be replaced by a patch operation")]
    Root,
}

pub fn apply(root: &mut Node, operation: &PatchOperation) -> Result<(), EditError> {
    let path = operation.path().to_string();
    let tokens: Vec<String> = operation
        .path()
        .tokens()
        .map(|t| t.decoded().into_owned())
        .collect();
    let Some((last, parent_tokens)) = tokens.split_last() else {
        return Err(EditError::Root);
    };
    let parent = root
        .pointer_mut(parent_tokens)
        .ok_or_else(|| EditError::NoParent { path: path.clone() })?;
    match operation {
        PatchOperation::Add(op) => add(parent, last, &op.value, &path),
        PatchOperation::Remove(_) => remove(parent, last, &path),
        PatchOperation::Replace(op) => replace(parent, last, &op.value, &path),
        PatchOperation::Move(_) => Err(EditError::Unsupported { path, op: "move" }),
        PatchOperation::Copy(_) => Err(EditError::Unsupported { path, op: "copy" }),
        PatchOperation::Test(_) => Err(EditError::Unsupported { path, op: "test" }),
    }
}

fn add(parent: &mut Node, key: &str, value: &Value, path: &str) -> Result<(), EditError> {
    match &mut parent.content {
        Content::Mapping(entries) => {
            match entries.iter_mut().rev().find(|e| e.key.is_key(key)) {
                Some(entry) => entry.value = Node::from_json(value),
                None => entries.push(Entry {
                    key: Node::from_json(&Value::String(key.to_owned())),
                    value: Node::from_json(value),
                    comments: None,
                }),
            }
            Ok(())
        }
        Content::Sequence(items) => {
            let index = if key == "-" {
                items.len()
            } else {
                parse_index(key)
                    .filter(|i| *i <= items.len())
                    .ok_or_else(|| EditError::NoParent {
                        path: path.to_owned(),
                    })?
            };
            items.insert(
                index,
                Item {
                    value: Node::from_json(value),
                    comments: None,
                },
            );
            Ok(())
        }
        Content::Scalar(_) => Err(EditError::NoParent {
            path: path.to_owned(),
        }),
    }
}

fn remove(parent: &mut Node, key: &str, path: &str) -> Result<(), EditError> {
    let missing = || EditError::Missing {
        path: path.to_owned(),
        op: "remove",
    };
    match &mut parent.content {
        Content::Mapping(entries) => {
            // Duplicate keys: a reader keeps the last one, so all of them go.
            let before = entries.len();
            entries.retain(|e| !e.key.is_key(key));
            if entries.len() == before {
                return Err(missing());
            }
            Ok(())
        }
        Content::Sequence(items) => {
            let index = parse_index(key)
                .filter(|i| *i < items.len())
                .ok_or_else(missing)?;
            items.remove(index);
            Ok(())
        }
        Content::Scalar(_) => Err(missing()),
    }
}

fn replace(parent: &mut Node, key: &str, value: &Value, path: &str) -> Result<(), EditError> {
    let target = parent
        .pointer_mut(&[key.to_owned()])
        .ok_or_else(|| EditError::Missing {
            path: path.to_owned(),
            op: "replace",
        })?;
    *target = Node::from_json(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(patch: Value) -> Vec<PatchOperation> {
        serde_json::from_value(patch).expect("a valid patch")
    }

    #[test]
    fn operations_match_json_patch_semantics() {
        let original = json!({"a": {"b": [1, 2]}, "on": "x"});
        let patch = ops(json!([
            {"op": "add", "path": "/a/c", "value": "new"},
            {"op": "add", "path": "/a/b/1", "value": 9},
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "remove", "path": "/a/b/0"},
            {"op": "replace", "path": "/on", "value": {"k": "v"}},
        ]));
        let mut node = Node::from_json(&original);
        let mut expected = original.clone();
        json_patch::patch(&mut expected, &patch).expect("the reference applies");
        for op in &patch {
            apply(&mut node, op).expect("applies");
        }
        assert_eq!(node.to_json(), expected);
    }

    #[test]
    fn missing_targets_are_errors() {
        let mut node = Node::from_json(&json!({"a": [1]}));
        for patch in [
            json!([{"op": "remove", "path": "/b"}]),
            json!([{"op": "replace", "path": "/a/3", "value": 1}]),
            json!([{"op": "add", "path": "/x/y", "value": 1}]),
            json!([{"op": "add", "path": "/a/5", "value": 1}]),
        ] {
            let op = &ops(patch)[0];
            assert!(apply(&mut node, op).is_err(), "{op:?}");
        }
    }
}
