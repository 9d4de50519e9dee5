//! `gitops flux --check`: an existing export applied to a newer stream, compared with the
//! render of that stream.

use serde_json::Value;

use super::patch::{Patch, PatchBody, Target, apply_patch};
use super::{HELM_RELEASE_API, KUSTOMIZATION_API, differences};
use crate::gitops::GitopsError;
use crate::render::{self, Filter};
use crate::stream::{Limits, Stream, read_yaml_document};

/// An export read back from its documents (the HelmRelease's patches and the added objects).
#[derive(Debug, Clone)]
pub struct ReadExport {
    /// The patches, in order.
    pub patches: Vec<Patch>,
    /// The documents that are neither the HelmRelease nor a Flux Kustomization.
    pub added: Vec<Value>,
}

/// Reads an export file written by [`documents`]; `file` names it in errors.
pub fn read_export(file: &str, text: String, limits: Limits) -> Result<ReadExport, GitopsError> {
    let problem = |problem: String| GitopsError::Export {
        file: file.to_owned(),
        problem,
    };
    let mut stream = Stream::parse(text, limits)?;
    let mut patches = None;
    let mut added = Vec::new();
    for object in stream.objects() {
        let json = stream.json(object)?;
        match (json["apiVersion"].as_str(), json["kind"].as_str()) {
            (Some(HELM_RELEASE_API), Some("HelmRelease")) => {
                let mut list = Vec::new();
                let renderers = json["spec"]["postRenderers"].as_array().cloned();
                for renderer in renderers.unwrap_or_default() {
                    let entries = renderer["kustomize"]["patches"].as_array().cloned();
                    for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
                        list.push(read_patch(entry, limits).map_err(|p| {
                            problem(format!("spec.postRenderers[].kustomize.patches[{i}]: {p}"))
                        })?);
                    }
                }
                patches = Some(list);
            }
            (Some(KUSTOMIZATION_API), Some("Kustomization")) => {}
            _ => added.push(json),
        }
    }
    let patches = patches.ok_or_else(|| problem("it has no HelmRelease document".into()))?;
    Ok(ReadExport { patches, added })
}

fn read_patch(entry: &Value, limits: Limits) -> Result<Patch, String> {
    let target = Target::from_json(&entry["target"])
        .ok_or("its target is not an exact version, kind and name")?;
    let text = entry["patch"].as_str().ok_or("it has no patch text")?;
    let body = read_yaml_document(text, &limits)
        .map_err(|e| e.to_string())?
        .map(|node| node.to_json())
        .ok_or("its patch is empty")?;
    let body = if body.is_array() {
        PatchBody::Json6902(serde_json::from_value(body).map_err(|e| e.to_string())?)
    } else if body.is_object() {
        let mut merge = body;
        if let Some(m) = merge.as_object_mut() {
            m.remove("apiVersion");
            m.remove("kind");
        }
        if let Some(meta) = merge["metadata"].as_object_mut() {
            meta.remove("name");
            meta.remove("namespace");
        }
        PatchBody::StrategicMerge(merge)
    } else {
        return Err("its patch is neither RFC 6902 operations nor a strategic-merge patch".into());
    };
    Ok(Patch { target, body })
}

/// The outcome of [`check`]: what no longer holds (empty when the export still yields the
/// render's result).
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// One line per object that differs, is missing or extra, and per patch that selects
    /// nothing or fails.
    pub problems: Vec<String>,
    /// Patches and added objects read from the export.
    pub patches: usize,
}

/// Applies an existing export to a (newer) stream `text` as helm-controller and the
/// Kustomization would, and compares the result with the render of `text` object by object.
pub fn check(
    existing: &ReadExport,
    filters: &[Box<dyn Filter>],
    text: String,
    limits: Limits,
) -> Result<CheckReport, GitopsError> {
    let mut input = Stream::parse(text.clone(), limits)?;
    let mut objects = Vec::new();
    for object in input.objects() {
        objects.push(input.json(object)?);
    }
    let rendered = render::run(filters, text, limits)?;
    let mut problems = Vec::new();
    for (i, patch) in existing.patches.iter().enumerate() {
        let mut matched = 0;
        for object in objects.iter_mut() {
            if patch.target.selects(object) {
                matched += 1;
                if let Err(e) = apply_patch(object, patch) {
                    problems.push(format!("patch {i} fails: {e}"));
                }
            }
        }
        if matched == 0 {
            problems.push(format!(
                "patch {i} selects no object ({} is not in the stream)",
                patch.target.display()
            ));
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
    objects.extend(existing.added.iter().cloned());
    problems.extend(differences(&objects, &expected));
    Ok(CheckReport {
        problems,
        patches: existing.patches.len(),
    })
}
