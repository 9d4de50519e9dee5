//! Flux: the render as a HelmRelease's kustomize post-renderer, and the objects it adds for
//! a Flux Kustomization.
//!
//! helm-controller applies `spec.postRenderers[].kustomize.patches` with kustomize's own
//! engine (internal/postrender/kustomize.go: the Helm output as the one resource of an
//! in-memory kustomization, each patch with its target), in list order; it cannot add
//! objects. So every change the render makes to an object of the stream becomes patches,
//! in the order the filters made them, and every object it adds becomes a document of its
//! own. Patches are exact RFC 6902 operations from the render's change records; an `add`
//! of a whole `metadata.annotations` or `metadata.labels` map (the object had none) becomes a
//! strategic-merge patch instead, so that it merges with what the stream Flux hands over
//! has there (Helm 4 annotates every document with its template file).
//!
//! Before an export is returned, its patches are applied to the stream here (selecting by
//! the same targets) and the result, plus the added objects, must equal the render's output
//! object by object; [`check`] does the same with an existing export on a newer stream.

mod check;
mod patch;
#[cfg(test)]
mod tests;

pub use check::{CheckReport, ReadExport, check, read_export};
pub use patch::{Patch, PatchBody, Target};

use std::collections::BTreeMap;

use json_patch::PatchOperation;
use serde_json::{Value, json};

use super::GitopsError;
use crate::render::{self, Filter, PostRenderStrategy};
use crate::stream::{FILENAME_ANNOTATION, Limits, Node, ObjectRef, Stream, emit};
use patch::{apply_patch, split_metadata_maps};

/// helm-controller's API group and version of HelmRelease.
pub const HELM_RELEASE_API: &str = "helm.toolkit.fluxcd.io/v2";
/// kustomize-controller's API group and version of Kustomization.
pub const KUSTOMIZATION_API: &str = "kustomize.toolkit.fluxcd.io/v1";

/// What the export's Flux objects are named and where they point.
#[derive(Debug, Clone)]
pub struct FluxOptions {
    /// The HelmRelease's name (the fragment merges into the operator's HelmRelease).
    pub release: String,
    /// The namespace of the HelmRelease and the Kustomization (Flux's, e.g. `flux-system`).
    pub flux_namespace: String,
    /// The release namespace (`spec.targetNamespace`): `smi.namespace` of the values, where
    /// the render puts and looks for the platform's objects.
    pub target_namespace: String,
    /// What the patches assume about hooks: they target hooks too, so Helm must hand hooks
    /// to the post-renderers (`combined` or `separate`; Flux 2.9+ `spec.postRenderStrategy`).
    pub strategy: PostRenderStrategy,
    /// The Flux Kustomization that applies the added objects.
    pub kustomization: KustomizationOptions,
}

/// The Flux Kustomization of the added objects.
#[derive(Debug, Clone)]
pub struct KustomizationOptions {
    /// Its name; it lives in the Flux namespace, as its source and dependencies do.
    pub name: String,
    /// The path in the source where the added objects are committed.
    pub path: String,
    /// The source: `GitRepository/<name>` (or `OCIRepository/<name>`, `Bucket/<name>`).
    pub source: (String, String),
    /// The Kustomizations that install the CRDs of the added objects (Prometheus operator,
    /// ACK, Calico).
    pub depends_on: Vec<String>,
}

/// An export: the HelmRelease fragment's patches, and the objects the render adds.
#[derive(Debug, Clone)]
pub struct Export {
    /// The patches, in the order kustomize applies them.
    pub patches: Vec<Patch>,
    /// The objects the render adds, without Helm 4's template annotation.
    pub added: Vec<Value>,
    /// The render's warnings, for the operator.
    pub warnings: Vec<String>,
}

/// Renders `text` with `filters` and turns the change records into an export, checked to
/// reproduce the render's output before it is returned.
///
/// Errors: the render's ([`GitopsError::Render`]), an object a target cannot select
/// ([`GitopsError::Target`]), and [`GitopsError::NotReproduced`] when the patches do not
/// give the render's output.
pub fn export(
    filters: &[Box<dyn Filter>],
    text: String,
    limits: Limits,
) -> Result<Export, GitopsError> {
    let mut input = Stream::parse(text.clone(), limits)?;
    let objects = input.objects();
    let rendered = render::run(filters, text, limits)?;
    let mut current: Vec<Value> = Vec::with_capacity(objects.len());
    for object in &objects {
        current.push(input.json(*object)?);
    }
    let mut patches = Vec::new();
    let mut added = Vec::new();
    for change in &rendered.changes {
        let Some(document) = change.document else {
            added.push(added_object(change)?);
            continue;
        };
        for (index, ops) in ops_by_object(&objects, document - 1, &change.patch, &change.object)? {
            let target = Target::of(&current[index]).ok_or_else(|| GitopsError::Target {
                object: change.object.clone(),
                problem: "it has no apiVersion, kind or name to select it by".into(),
            })?;
            let selected = current.iter().filter(|o| target.selects(o)).count();
            if selected != 1 {
                return Err(GitopsError::Target {
                    object: change.object.clone(),
                    problem: format!(
                        "a kustomize target by group, version, kind, name and namespace selects {selected} objects of the stream"
                    ),
                });
            }
            for body in split_metadata_maps(ops) {
                let patch = Patch {
                    target: target.clone(),
                    body,
                };
                apply_patch(&mut current[index], &patch).map_err(GitopsError::NotReproduced)?;
                patches.push(patch);
            }
        }
    }
    let mut output = Stream::parse(
        String::from_utf8_lossy(&rendered.output).into_owned(),
        limits,
    )?;
    let mut expected = Vec::new();
    for object in output.objects() {
        expected.push(output.json(object)?);
    }
    let got: Vec<Value> = current.into_iter().chain(added.iter().cloned()).collect();
    let differences = differences(&got, &expected);
    if !differences.is_empty() {
        return Err(GitopsError::NotReproduced(differences.join("; ")));
    }
    Ok(Export {
        patches,
        added,
        warnings: rendered.warnings,
    })
}

/// The object an `add` change record adds (one `add` of the whole object at the root).
fn added_object(change: &render::Change) -> Result<Value, GitopsError> {
    match change.patch.as_slice() {
        [PatchOperation::Add(add)] if add.path.is_root() => Ok(without_filename(&add.value)),
        _ => Err(GitopsError::Target {
            object: change.object.clone(),
            problem: "an added object's record is not one `add` of the whole object".into(),
        }),
    }
}

/// The operations of one change record per object: a whole document's, or per item of a
/// `kind: List` (whose paths start with `/items/<i>`, which kustomize expands into objects).
fn ops_by_object(
    objects: &[ObjectRef],
    document: usize,
    ops: &[PatchOperation],
    name: &str,
) -> Result<Vec<(usize, Vec<PatchOperation>)>, GitopsError> {
    let in_document: Vec<usize> = (0..objects.len())
        .filter(|i| objects[*i].document == document)
        .collect();
    if let [only] = in_document.as_slice()
        && objects[*only].item.is_none()
    {
        return Ok(vec![(*only, ops.to_vec())]);
    }
    let mut by_item: BTreeMap<usize, Vec<PatchOperation>> = BTreeMap::new();
    for op in ops {
        let problem = || GitopsError::Target {
            object: name.to_owned(),
            problem: format!(
                "the change at {} is not within one item of its kind: List",
                op.path()
            ),
        };
        let path = op.path().to_string();
        let rest = path.strip_prefix("/items/").ok_or_else(problem)?;
        let (item, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let item: usize = item.parse().map_err(|_| problem())?;
        let index = *in_document
            .iter()
            .find(|i| objects[**i].item == Some(item))
            .ok_or_else(problem)?;
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!("/{tail}")
        };
        by_item
            .entry(index)
            .or_default()
            .push(with_path(op, &tail).map_err(|_| problem())?);
    }
    Ok(by_item.into_iter().collect())
}

/// `op` with its path (and `from`) set to `path`.
fn with_path(op: &PatchOperation, path: &str) -> Result<PatchOperation, serde_json::Error> {
    let mut value = serde_json::to_value(op)?;
    value["path"] = Value::String(path.to_owned());
    serde_json::from_value(value)
}

/// The object without Helm 4's template annotation (Helm removes it after post-rendering,
/// and a Flux Kustomization has no template).
fn without_filename(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut)
    {
        a.remove(FILENAME_ANNOTATION);
        if a.is_empty() {
            meta.remove("annotations");
        }
    }
    object
}

/// What differs between `got` and `expected`, object by object (by apiVersion, kind,
/// namespace and name; Helm 4's template annotation ignored); empty when they are equal.
pub fn differences(got: &[Value], expected: &[Value]) -> Vec<String> {
    let key = |o: &Value| {
        Target::of(o)
            .map(|t| t.display())
            .unwrap_or_else(|| "<an object without kind or name>".into())
    };
    let index = |objects: &[Value]| {
        let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for o in objects {
            map.entry(key(o)).or_default().push(without_filename(o));
        }
        map
    };
    let got = index(got);
    let expected = index(expected);
    let mut out = Vec::new();
    for (name, want) in &expected {
        match got.get(name) {
            None => out.push(format!("{name} is missing")),
            Some(have) if have != want => out.push(format!("{name} differs")),
            Some(_) => {}
        }
    }
    for name in got.keys().filter(|n| !expected.contains_key(*n)) {
        out.push(format!("{name} is not in the render"));
    }
    out
}

/// The export as documents: the HelmRelease fragment, the Kustomization of the added
/// objects, then the added objects.
pub fn documents(export: &Export, options: &FluxOptions) -> Vec<Value> {
    let patches: Vec<Value> = export
        .patches
        .iter()
        .map(|p| {
            let body = match &p.body {
                PatchBody::Json6902(ops) => serde_json::to_value(ops).unwrap_or(Value::Null),
                PatchBody::StrategicMerge(merge) => {
                    let target = &p.target;
                    let api_version = if target.group.is_empty() {
                        target.version.clone()
                    } else {
                        format!("{}/{}", target.group, target.version)
                    };
                    let mut metadata = json!({"name": target.name});
                    if let Some(ns) = &target.namespace {
                        metadata["namespace"] = ns.clone().into();
                    }
                    if let (Some(m), Some(maps)) =
                        (metadata.as_object_mut(), merge["metadata"].as_object())
                    {
                        m.extend(maps.clone());
                    }
                    json!({"apiVersion": api_version, "kind": target.kind, "metadata": metadata})
                }
            };
            json!({"target": p.target.to_json(), "patch": emit(&Node::from_json(&body), Default::default())})
        })
        .collect();
    let strategy = match options.strategy {
        PostRenderStrategy::Combined => "combined",
        PostRenderStrategy::Separate => "separate",
        PostRenderStrategy::NoHooks => "nohooks",
    };
    let release = json!({
        "apiVersion": HELM_RELEASE_API,
        "kind": "HelmRelease",
        "metadata": {"name": options.release, "namespace": options.flux_namespace},
        "spec": {
            "targetNamespace": options.target_namespace,
            "postRenderStrategy": strategy,
            "postRenderers": [{"kustomize": {"patches": patches}}],
        },
    });
    let k = &options.kustomization;
    let mut spec = json!({
        "interval": "10m",
        "path": k.path,
        "prune": true,
        "wait": true,
        "sourceRef": {"kind": k.source.0, "name": k.source.1},
    });
    if !k.depends_on.is_empty() {
        spec["dependsOn"] = k.depends_on.iter().map(|n| json!({"name": n})).collect();
    }
    let kustomization = json!({
        "apiVersion": KUSTOMIZATION_API,
        "kind": "Kustomization",
        "metadata": {"name": k.name, "namespace": options.flux_namespace},
        "spec": spec,
    });
    let mut docs = vec![release, kustomization];
    docs.extend(export.added.iter().cloned());
    docs
}
