//! One kustomize patch of the export: its target selector (as kustomize compiles it) and
//! its body, and how kustomize applies these bodies.

use json_patch::PatchOperation;
use serde_json::{Map, Value, json};

/// One kustomize patch: a target selector and an RFC 6902 or strategic-merge patch.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The object it applies to.
    pub target: Target,
    /// The patch body.
    pub body: PatchBody,
}

/// The body of a kustomize patch.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchBody {
    /// RFC 6902 operations.
    Json6902(Vec<PatchOperation>),
    /// A strategic-merge patch (here: maps under `metadata` only, where it is a merge).
    StrategicMerge(Value),
}

/// A kustomize target selector, exact: every field is compared as written (names are
/// regex-escaped in the export, as kustomize anchors and compiles them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// The API group (`""` for the core group).
    pub group: String,
    /// The API version.
    pub version: String,
    /// The kind.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when the object states one.
    pub namespace: Option<String>,
}

impl Target {
    /// The target selecting `object` (its apiVersion, kind, name and namespace).
    pub fn of(object: &Value) -> Option<Target> {
        let api_version = object["apiVersion"].as_str()?;
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Some(Target {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: object["kind"].as_str()?.to_owned(),
            name: object["metadata"]["name"].as_str()?.to_owned(),
            namespace: object["metadata"]["namespace"].as_str().map(str::to_owned),
        })
    }

    /// Whether kustomize's selector for this target selects `object`: an empty group and
    /// an absent namespace select any.
    pub fn selects(&self, object: &Value) -> bool {
        let Some(other) = Target::of(object) else {
            return false;
        };
        (self.group.is_empty() || self.group == other.group)
            && self.version == other.version
            && self.kind == other.kind
            && self.name == other.name
            && self
                .namespace
                .as_ref()
                .is_none_or(|ns| other.namespace.as_ref() == Some(ns))
    }

    /// `Kind/namespace/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// The target as kustomize's selector (`group`, `version`, `kind`, `name`, `namespace`;
    /// name and namespace regex-escaped).
    pub(super) fn to_json(&self) -> Value {
        let mut target = Map::new();
        if !self.group.is_empty() {
            target.insert("group".into(), self.group.clone().into());
        }
        target.insert("version".into(), self.version.clone().into());
        target.insert("kind".into(), regex_escape(&self.kind).into());
        target.insert("name".into(), regex_escape(&self.name).into());
        if let Some(ns) = &self.namespace {
            target.insert("namespace".into(), regex_escape(ns).into());
        }
        Value::Object(target)
    }

    pub(super) fn from_json(value: &Value) -> Option<Target> {
        let field = |key: &str| value.get(key).and_then(Value::as_str);
        let namespace = match field("namespace") {
            Some(ns) => Some(regex_unescape(ns)?),
            None => None,
        };
        Some(Target {
            group: field("group").unwrap_or_default().to_owned(),
            version: field("version")?.to_owned(),
            kind: regex_unescape(field("kind")?)?,
            name: regex_unescape(field("name")?)?,
            namespace,
        })
    }
}

/// kustomize compiles each selector field as `^(?:<field>)$`: escape what a regex reads.
pub(super) fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The text a [`regex_escape`]d field selects exactly; `None` for a pattern that selects
/// more than one text (the export never writes one).
pub(super) fn regex_unescape(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            c if "\\.+*?()|[]{}^$".contains(c) => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// Splits one change's operations into a strategic-merge patch for whole new
/// `metadata.annotations` / `metadata.labels` maps (merged with what the object has in the
/// stream Flux hands over), and RFC 6902 operations for the rest.
pub(super) fn split_metadata_maps(ops: Vec<PatchOperation>) -> Vec<PatchBody> {
    let mut metadata = Map::new();
    let mut rest = Vec::new();
    for op in ops {
        if let PatchOperation::Add(add) = &op
            && add.value.is_object()
            && let Some(key) = ["annotations", "labels"]
                .into_iter()
                .find(|k| add.path.as_str() == format!("/metadata/{k}"))
        {
            metadata.insert(key.to_owned(), add.value.clone());
            continue;
        }
        rest.push(op);
    }
    let mut bodies = Vec::new();
    if !metadata.is_empty() {
        bodies.push(PatchBody::StrategicMerge(json!({ "metadata": metadata })));
    }
    if !rest.is_empty() {
        bodies.push(PatchBody::Json6902(rest));
    }
    bodies
}

/// Applies one patch to an object as kustomize does for these bodies: RFC 6902 in order,
/// or a merge of the metadata maps.
pub(super) fn apply_patch(object: &mut Value, patch: &Patch) -> Result<(), String> {
    match &patch.body {
        PatchBody::Json6902(ops) => {
            json_patch::patch(object, ops).map_err(|e| format!("{}: {e}", patch.target.display()))
        }
        PatchBody::StrategicMerge(merge) => {
            json_patch::merge(object, merge);
            Ok(())
        }
    }
}
