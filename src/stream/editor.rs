//! Changing one object's tree in place, and recording the change as the RFC 6902 operations
//! `json_patch::diff(before, after)` would give, without converting the object to JSON.
//!
//! Every edit first "touches" the path it changes: the JSON of that subtree before any edit
//! is kept (a small part of the object: a list of env entries, an absent annotations
//! mapping). Touched paths never nest: touching an ancestor of touched paths folds them into
//! it (their earlier values are put back into the ancestor's snapshot). The operations are
//! then found by walking the changed tree along the touched paths in document order and
//! diffing each snapshot against its subtree now, so they come out in exactly the order and
//! form of a whole-document diff (`--explain=json` and the GitOps export rely on both).

use std::cell::RefCell;

use json_patch::PatchOperation;
use json_patch::jsonptr::PointerBuf;
use serde_json::Value;

use super::edit::{EditError, apply};
use super::tree::{Content, Entry, Item, Node, parse_index};

/// A path in an object: JSON Pointer tokens, unescaped (`["metadata", "annotations", "a/b"]`).
pub type Path = [String];

/// One edit session on an object (a document, or an item of a `kind: List`), handed to the
/// closure of [`Stream::edit`](super::Stream::edit). Reads answer from the tree as it is now;
/// writes change it and are recorded.
pub struct Edit<'a> {
    root: &'a mut Node,
    /// Paths changed so far, with their JSON before the first change (`None`: absent).
    touched: Vec<(Vec<String>, Option<Value>)>,
    /// The first edit that could not be made in place.
    failed: RefCell<Option<EditError>>,
}

impl<'a> Edit<'a> {
    pub(super) fn new(root: &'a mut Node) -> Edit<'a> {
        Edit {
            root,
            touched: Vec::new(),
            failed: RefCell::new(None),
        }
    }

    /// The node at `path`, as it is now. A value that only a merge key (`<<`) brings in
    /// cannot be read or changed in place: the edit then fails (see [`Edit::finish`]).
    pub fn get(&self, path: &Path) -> Option<&Node> {
        let (node, depth) = self.walk_to(path);
        (depth == path.len()).then_some(node)
    }

    /// The deepest node on `path` and how many tokens of it were found.
    fn walk_to(&self, path: &Path) -> (&Node, usize) {
        let mut node: &Node = self.root;
        for (depth, token) in path.iter().enumerate() {
            match node.child(token) {
                Some(child) => node = child,
                None => {
                    if node.has_merge_key() && node.to_json().get(token.as_str()).is_some() {
                        self.fail(EditError::Merged {
                            path: pointer_text(&path[..=depth]),
                        });
                    }
                    return (node, depth);
                }
            }
        }
        (node, path.len())
    }

    fn fail(&self, error: EditError) {
        self.failed.borrow_mut().get_or_insert(error);
    }

    /// The JSON value at `path`, as Kubernetes reads it now.
    pub fn json(&self, path: &Path) -> Option<Value> {
        self.get(path).map(Node::to_json)
    }

    /// The text of the string scalar at `path`, if there is one.
    pub fn str(&self, path: &Path) -> Option<String> {
        match self.json(path)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// How many items the list at `path` holds (0 when absent or not a list).
    pub fn len(&self, path: &Path) -> usize {
        match self.get(path).map(|n| &n.content) {
            Some(Content::Sequence(items)) => items.len(),
            _ => 0,
        }
    }

    /// Makes the value at `path` equal `value`, creating the mappings on the way (a value on
    /// the way that is not a mapping is replaced by one, as a patch `add` would need).
    /// A node that already holds `value` is left as written; one that differs changes only
    /// where it differs (untouched entries keep their styles and comments).
    pub fn set(&mut self, path: &Path, value: Value) {
        // The first node on the way that is missing or cannot hold the next key.
        let (node, depth) = self.walk_to(path);
        if self.failed.borrow().is_some() {
            return;
        }
        if depth == path.len() {
            let current = node.to_json();
            if current == value {
                return;
            }
            self.touch(path);
            let target = self.root.pointer_mut(path).expect("found above");
            match (&current, &value) {
                // Collections change entry by entry: the rest keeps its styles and comments.
                (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => {
                    for op in json_patch::diff(&current, &value).0 {
                        if let Err(e) = apply(target, &op) {
                            self.failed.get_mut().get_or_insert(e);
                        }
                    }
                }
                _ => *target = Node::from_json(&value),
            }
            return;
        }
        // `path[depth]` is missing from the node at `path[..depth]`.
        let mut nested = value;
        for key in path[depth + 1..].iter().rev() {
            nested = Value::Object([(key.clone(), nested)].into_iter().collect());
        }
        let parent_is_mapping = matches!(node.content, Content::Mapping(_));
        if parent_is_mapping {
            self.touch(&path[..=depth]);
            let parent = self.root.pointer_mut(&path[..depth]).expect("found above");
            if let Content::Mapping(entries) = &mut parent.content {
                entries.push(Entry {
                    key: Node::from_json(&Value::String(path[depth].clone())),
                    value: Node::from_json(&nested),
                    comments: None,
                });
            }
        } else if depth > 0 {
            // Not a mapping (a scalar, a list): replaced by one, as the chart's value could
            // not hold the key.
            let object = Value::Object([(path[depth].clone(), nested)].into_iter().collect());
            self.touch(&path[..depth]);
            let target = self.root.pointer_mut(&path[..depth]).expect("found above");
            *target = Node::from_json(&object);
        } else {
            self.failed.get_mut().get_or_insert(EditError::Root);
        }
    }

    /// Appends `value` to the list at `path`; the list is created when absent (and replaces
    /// a value there that is not a list).
    pub fn push(&mut self, path: &Path, value: Value) {
        match self.get(path).map(|n| &n.content) {
            Some(Content::Sequence(_)) => {
                self.touch(path);
                let list = self.root.pointer_mut(path).expect("found above");
                if let Content::Sequence(items) = &mut list.content {
                    items.push(Item {
                        value: Node::from_json(&value),
                        comments: None,
                    });
                }
            }
            _ => self.set(path, Value::Array(vec![value])),
        }
    }

    /// Makes the whole object equal `after` (a JSON view changed by a JSON patch, as
    /// overlays are), changing only where they differ.
    pub fn replace_with(&mut self, after: &Value) {
        self.set(&[], after.clone());
    }

    /// Whether an edit of this session changed the object (setting a value to what it is
    /// is no change; one edit undone by another still counts).
    pub fn changed(&self) -> bool {
        !self.touched.is_empty()
    }

    /// The operations the session made. Errors: the first edit that could not be made in
    /// place ([`EditError`]).
    pub(super) fn finish(self) -> Result<Vec<PatchOperation>, EditError> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(self.operations()),
        }
    }

    /// Keeps the value at `path` before its first change.
    fn touch(&mut self, path: &Path) {
        if self
            .touched
            .iter()
            .any(|(p, _)| path.starts_with(p.as_slice()))
        {
            return;
        }
        let mut before = self.root.pointer(path).map(Node::to_json);
        // Touched paths below this one: their earlier values go back into its snapshot.
        let (inner, outer): (Vec<_>, Vec<_>) = std::mem::take(&mut self.touched)
            .into_iter()
            .partition(|(p, _)| p.starts_with(path));
        self.touched = outer;
        if let Some(before) = before.as_mut() {
            restore(before, path.len(), inner);
        }
        self.touched.push((path.to_vec(), before));
    }

    /// The operations of a whole-document `json_patch::diff`, found along the touched paths.
    fn operations(&self) -> Vec<PatchOperation> {
        let mut ops = Vec::new();
        let touched: Vec<&(Vec<String>, Option<Value>)> = self.touched.iter().collect();
        walk(Some(self.root), &mut Vec::new(), &touched, &mut ops);
        ops
    }
}

fn pointer_text(path: &Path) -> String {
    PointerBuf::from_tokens(path.iter().map(String::as_str)).to_string()
}

/// Puts the earlier values of touched paths below a snapshot (`depth` tokens deep) back.
fn restore(snapshot: &mut Value, depth: usize, inner: Vec<(Vec<String>, Option<Value>)>) {
    for (path, before) in inner {
        let rel = &path[depth..];
        let Some((last, parents)) = rel.split_last() else {
            if let Some(before) = before {
                *snapshot = before;
            }
            continue;
        };
        let mut parent = &mut *snapshot;
        for token in parents {
            parent = match parent {
                Value::Object(map) => map.get_mut(token.as_str()),
                Value::Array(items) => parse_index(token).and_then(|i| items.get_mut(i)),
                _ => None,
            }
            .expect("a touched path's parents exist in the ancestor's snapshot");
        }
        match (parent, before) {
            (Value::Object(map), Some(before)) => {
                map.insert(last.clone(), before);
            }
            (Value::Object(map), None) => {
                map.shift_remove(last.as_str());
            }
            (Value::Array(items), Some(before)) => {
                if let Some(item) = parse_index(last).and_then(|i| items.get_mut(i)) {
                    *item = before;
                }
            }
            _ => {}
        }
    }
}

/// Emits, for the subtree at `path` (now `node`), the operations `json_patch::diff` gives
/// for the touched paths at or below it, in its order.
fn walk(
    node: Option<&Node>,
    path: &mut Vec<String>,
    touched: &[&(Vec<String>, Option<Value>)],
    ops: &mut Vec<PatchOperation>,
) {
    if touched.is_empty() {
        return;
    }
    if let Some((_, before)) = touched.iter().find(|(p, _)| p.len() == path.len()) {
        diff_at(before.as_ref(), node.map(Node::to_json), path, ops);
        return;
    }
    let depth = path.len();
    let below = |key: &str| -> Vec<&(Vec<String>, Option<Value>)> {
        touched
            .iter()
            .filter(|(p, _)| p[depth] == key)
            .copied()
            .collect()
    };
    match node.map(|n| &n.content) {
        Some(Content::Mapping(entries)) if mapping_is_simple(entries) => {
            for entry in entries {
                let Some(key) = entry.key.json_key_cow() else {
                    continue;
                };
                if !touched.iter().any(|(p, _)| p[depth] == *key) {
                    continue;
                }
                let under = below(&key);
                path.push(key.into_owned());
                walk(Some(&entry.value), path, &under, ops);
                path.pop();
            }
            // Keys that are gone: removed after the others, as diff does.
            for (p, before) in touched {
                let key = &p[depth];
                if p.len() == depth + 1 && !entries.iter().any(|e| e.key.is_key(key)) {
                    path.push(key.clone());
                    diff_at(before.as_ref(), None, path, ops);
                    path.pop();
                }
            }
        }
        Some(Content::Sequence(items)) => {
            // The items touched below, in document order.
            let mut indices: Vec<usize> = touched
                .iter()
                .filter_map(|(p, _)| parse_index(&p[depth]))
                .filter(|i| *i < items.len())
                .collect();
            indices.sort_unstable();
            indices.dedup();
            for index in indices {
                let under: Vec<&(Vec<String>, Option<Value>)> = touched
                    .iter()
                    .filter(|(p, _)| parse_index(&p[depth]) == Some(index))
                    .copied()
                    .collect();
                path.push(index.to_string());
                walk(Some(&items[index].value), path, &under, ops);
                path.pop();
            }
        }
        _ => {
            // A mapping with merge keys or repeated keys (its JSON view is not its entries in
            // order), or a node that is gone: diff the whole subtree, its earlier value
            // rebuilt from the snapshots.
            let after = node.map(Node::to_json);
            let mut before = after.clone();
            if let Some(before) = before.as_mut() {
                let inner = touched.iter().map(|t| (*t).clone()).collect();
                restore(before, path.len(), inner);
            }
            diff_at(before.as_ref(), after, path, ops);
        }
    }
}

/// Whether a mapping's JSON view is its entries in order: no merge key, no repeated key.
fn mapping_is_simple(entries: &[Entry]) -> bool {
    let mut keys = Vec::with_capacity(entries.len());
    for e in entries {
        if e.key.is_merge_key() {
            return false;
        }
        match e.key.json_key_cow() {
            Some(k) => keys.push(k),
            None => return false,
        }
    }
    keys.sort_unstable();
    keys.windows(2).all(|pair| pair[0] != pair[1])
}

/// The operations that turn `before` into `after` at `path` (`None`: absent).
fn diff_at(
    before: Option<&Value>,
    after: Option<Value>,
    path: &[String],
    ops: &mut Vec<PatchOperation>,
) {
    let pointer = PointerBuf::from_tokens(path.iter().map(String::as_str));
    match (before, after) {
        (None, None) => {}
        (None, Some(after)) => ops.push(PatchOperation::Add(json_patch::AddOperation {
            path: pointer,
            value: after,
        })),
        (Some(_), None) => ops.push(PatchOperation::Remove(json_patch::RemoveOperation {
            path: pointer,
        })),
        (Some(before), Some(after)) => {
            for op in json_patch::diff(before, &after).0 {
                ops.push(prefixed(op, &pointer));
            }
        }
    }
}

/// `op` with its path (and `from`) below `prefix`.
pub(super) fn prefixed(op: PatchOperation, prefix: &PointerBuf) -> PatchOperation {
    if prefix.is_root() {
        return op;
    }
    let join = |p: &json_patch::jsonptr::Pointer| prefix.concat(p);
    match op {
        PatchOperation::Add(o) => PatchOperation::Add(json_patch::AddOperation {
            path: join(&o.path),
            value: o.value,
        }),
        PatchOperation::Remove(o) => PatchOperation::Remove(json_patch::RemoveOperation {
            path: join(&o.path),
        }),
        PatchOperation::Replace(o) => PatchOperation::Replace(json_patch::ReplaceOperation {
            path: join(&o.path),
            value: o.value,
        }),
        PatchOperation::Move(o) => PatchOperation::Move(json_patch::MoveOperation {
            from: join(&o.from),
            path: join(&o.path),
        }),
        PatchOperation::Copy(o) => PatchOperation::Copy(json_patch::CopyOperation {
            from: join(&o.from),
            path: join(&o.path),
        }),
        PatchOperation::Test(o) => PatchOperation::Test(json_patch::TestOperation {
            path: join(&o.path),
            value: o.value,
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stream::{Limits, read_yaml_document};

    fn path(p: &str) -> Vec<String> {
        p.split('/').skip(1).map(str::to_owned).collect()
    }

    /// Runs `script` on the document `yaml` and checks the recorded operations are exactly
    /// `json_patch::diff(before, after)` and that they turn `before` into `after`.
    fn check(yaml: &str, script: impl FnOnce(&mut Edit<'_>)) -> Vec<PatchOperation> {
        let mut node = read_yaml_document(yaml, &Limits::default())
            .expect("valid YAML")
            .expect("a document");
        let before = node.to_json();
        let mut edit = Edit::new(&mut node);
        script(&mut edit);
        let ops = edit.finish().expect("the edits apply");
        let after = node.to_json();
        assert_eq!(ops, json_patch::diff(&before, &after).0, "{yaml}");
        let mut replayed = before.clone();
        json_patch::patch(&mut replayed, &ops).expect("the operations apply");
        assert_eq!(replayed, after);
        ops
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the name
  labels: {app: web}
spec:
  template:
    spec:
      containers:
        - name: a
          env: [{name: X, value: '1'}]
        - name: b
      volumes: []
";

    #[test]
    fn operations_are_those_of_a_whole_document_diff() {
        let ops = check(DEPLOYMENT, |e| {
            // In edit order unlike document order: the operations follow the document.
            e.push(
                &path("/spec/template/spec/containers/1/envFrom"),
                json!({"secretRef": {"name": "s"}}),
            );
            e.push(
                &path("/spec/template/spec/containers/0/env"),
                json!({"name": "Y"}),
            );
            e.set(&path("/metadata/annotations/a~1b"), json!("v"));
            e.set(&path("/metadata/labels/app"), json!("web2"));
            e.push(&path("/spec/template/spec/volumes"), json!({"name": "v"}));
        });
        let paths: Vec<String> = ops.iter().map(|o| o.path().to_string()).collect();
        assert_eq!(
            paths,
            [
                "/metadata/labels/app",
                "/metadata/annotations",
                "/spec/template/spec/containers/0/env/1",
                "/spec/template/spec/containers/1/envFrom",
                "/spec/template/spec/volumes/0",
            ]
        );
    }

    #[test]
    fn an_ancestor_touched_after_its_descendants_keeps_their_earlier_values() {
        check(DEPLOYMENT, |e| {
            e.set(&path("/metadata/labels/tier"), json!("front"));
            e.push(
                &path("/spec/template/spec/containers/0/env"),
                json!({"name": "Y"}),
            );
            e.set(&path("/metadata"), json!({"name": "other"}));
            e.push(
                &path("/spec/template/spec/containers"),
                json!({"name": "c"}),
            );
        });
    }

    #[test]
    fn values_in_the_way_that_cannot_hold_a_key_are_replaced() {
        check("a: 1\nb: [x]\nc: null\n", |e| {
            e.set(&path("/a/k"), json!(true));
            e.push(&path("/c"), json!(2));
            e.set(&path("/b/0"), json!("y"));
        });
    }

    #[test]
    fn setting_what_is_there_changes_nothing() {
        let yaml = "on: yes\nnum: 010\nm: {k: v}\n";
        let ops = check(yaml, |e| {
            e.set(&path("/true"), json!(true));
            e.set(&path("/num"), json!(8));
            e.set(&path("/m"), json!({"k": "v"}));
        });
        assert!(ops.is_empty(), "{ops:?}");
    }

    #[test]
    fn repeated_keys_and_whole_replacements_diff_like_json() {
        check("a: 1\na: 2\nb: {c: 1}\n", |e| {
            e.set(&path("/b/d"), json!(1));
        });
        check(DEPLOYMENT, |e| {
            let mut after = e.json(&[]).unwrap();
            after["spec"]["template"]["spec"]["containers"]
                .as_array_mut()
                .unwrap()
                .remove(0);
            after["metadata"].as_object_mut().unwrap().remove("labels");
            e.replace_with(&after);
        });
    }

    #[test]
    fn values_a_merge_key_brings_in_are_not_changed_in_place() {
        let yaml = "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n";
        let mut node = read_yaml_document(yaml, &Limits::default())
            .unwrap()
            .unwrap();
        let mut edit = Edit::new(&mut node);
        edit.set(&path("/m/x/z"), json!(1));
        assert!(matches!(edit.finish(), Err(EditError::Merged { .. })));
        // A key that no merge brings in is added as usual.
        check(yaml, |e| e.set(&path("/m/w"), json!(3)));
    }
}
