//! Helm hooks in the stream, and what one post-render call holds.
//!
//! Helm 4 hands a post-renderer the hooks (documents annotated `helm.sh/hook`) with the
//! rest (`combined`), alone in a call of their own (`separate`), or not at all (`nohooks`,
//! and Helm 3); nothing tells the plugin which. What a call holds is the evidence the
//! filters have: a call of hooks only is one part of a release, never the whole.

use serde_json::Value;

use crate::stream::{Field, ObjectRef, Stream, StreamError};

/// The annotation that makes a document a hook, its phases comma-separated.
pub const HOOK: &str = "helm.sh/hook";
/// The order of hooks within a phase: an integer as a string, lowest first (Helm reads a
/// missing or unreadable weight as 0).
pub const HOOK_WEIGHT: &str = "helm.sh/hook-weight";
/// When Helm deletes a hook resource.
pub const HOOK_DELETE_POLICY: &str = "helm.sh/hook-delete-policy";

const HOOK_POINTER: &str = "/metadata/annotations/helm.sh~1hook";
const WEIGHT_POINTER: &str = "/metadata/annotations/helm.sh~1hook-weight";

/// The post-render strategy the program that runs Helm uses (Helm 4.2: `combined` for the
/// `helm` command line; programs that embed Helm choose). Helm does not tell the plugin, so
/// the operator declares it with `--post-render-strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostRenderStrategy {
    /// One call with every document, hooks included (Helm 4's `helm` command).
    #[default]
    Combined,
    /// Two calls: the hooks alone, then the rest.
    Separate,
    /// One call without the hooks, which are never post-rendered (as Helm 3 does).
    NoHooks,
}

/// The fields every run records, so that telling hooks apart builds no tree.
pub fn hook_fields() -> Vec<Field> {
    vec![Field::any(HOOK_POINTER), Field::any(WEIGHT_POINTER)]
}

/// A document's hook annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// `pre-install`, `pre-upgrade`, ... in the order written.
    pub phases: Vec<String>,
    /// `helm.sh/hook-weight` as Helm reads it (0 when absent or not an integer).
    pub weight: i64,
}

/// The object's hook annotations; `None` for an ordinary manifest.
pub fn hook_of(stream: &mut Stream, object: ObjectRef) -> Result<Option<Hook>, StreamError> {
    let Some(phases) = stream.pointer(object, HOOK_POINTER)? else {
        return Ok(None);
    };
    let phases = phases
        .as_str()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let weight = match stream.pointer(object, WEIGHT_POINTER)? {
        Some(Value::String(w)) => w.trim().parse().unwrap_or(0),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        _ => 0,
    };
    Ok(Some(Hook { phases, weight }))
}

/// Whether the object is a Helm hook.
pub fn is_hook(stream: &mut Stream, object: ObjectRef) -> Result<bool, StreamError> {
    Ok(stream.pointer(object, HOOK_POINTER)?.is_some())
}

/// What one post-render call holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// No object at all (an empty chart, or templates all turned off).
    Nothing,
    /// Hooks only: the hooks call of `separate` (or a chart of hooks only).
    HooksOnly,
    /// Ordinary manifests, with or without hooks.
    Manifests,
}

/// What the stream holds.
pub fn holding(stream: &mut Stream) -> Result<Holding, StreamError> {
    let mut hooks = false;
    for object in stream.objects() {
        if !is_hook(stream, object)? {
            return Ok(Holding::Manifests);
        }
        hooks = true;
    }
    Ok(if hooks {
        Holding::HooksOnly
    } else {
        Holding::Nothing
    })
}

/// The objects that are not hooks: what objects the tool adds as ordinary manifests are
/// derived from, so that such an object is added in the one call that holds them.
pub fn ordinary_objects(stream: &mut Stream) -> Result<Vec<ObjectRef>, StreamError> {
    let mut objects = Vec::new();
    for object in stream.objects() {
        if !is_hook(stream, object)? {
            objects.push(object);
        }
    }
    Ok(objects)
}
