//! Overlays: RFC 6902 JSON patches with a target selector, applied after the built-in
//! injections. Sources, in order: the defaults shipped for the provider (overlays/aws,
//! overlays/oci, compiled in), the directories given with --overlays or
//! smi.overlays.directories, and smi.overlays.patches.
//!
//! An overlay file is one YAML (or JSON) mapping:
//!   target: {apiVersion, kind, name, namespace, labels: {..}, fields: {"/json/pointer": value}}
//!   patch: [RFC 6902 operations]          # string values may use ${smi.some.path}
//!   when: smi.some.path                  # optional: apply only when that value is true
//!                                        #   (or `smi.some.path == value`)
//!   optional: true                       # optional: matching nothing is not an error
//! `add` creates missing parent mappings (metadata.annotations, say) instead of failing.
//!
//! A shipped default never decides exposure or the load balancer type, nor replaces what
//! the chart set: on a Service whose chart chooses either (any form of
//! [`crate::catalog::LoadBalancerChoice`] for the provider), a default that writes one of
//! them leaves the Service alone, and a default's `add` skips a path the object already has.
//! A user overlay may change the chart's choice; it is then a warning and in --explain.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use json_patch::PatchOperation;
use serde::Deserialize;
use serde_json::Value;

mod exposure;

use exposure::{ChartChoices, ExposureGuard};

use super::{Context, Filter, RenderError, RenderOptions, op_name};
use crate::stream::{Field, Limits, ObjectRef, Stream, StreamError, read_yaml_document};
use crate::values::Provider;

const AWS_DEFAULTS: &[(&str, &str)] = &[
    (
        "overlays/aws/external-dns.yaml",
        include_str!("../../../overlays/aws/external-dns.yaml"),
    ),
    (
        "overlays/aws/load-balancer.yaml",
        include_str!("../../../overlays/aws/load-balancer.yaml"),
    ),
];
const OCI_DEFAULTS: &[(&str, &str)] = &[
    (
        "overlays/oci/external-dns.yaml",
        include_str!("../../../overlays/oci/external-dns.yaml"),
    ),
    (
        "overlays/oci/load-balancer.yaml",
        include_str!("../../../overlays/oci/load-balancer.yaml"),
    ),
    (
        "overlays/oci/load-balancer-internal.yaml",
        include_str!("../../../overlays/oci/load-balancer-internal.yaml"),
    ),
];

/// One overlay: a target selector, the patch to apply to every object it selects, and when.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Which objects the patch applies to; every object when the selector is empty.
    pub target: Target,
    /// RFC 6902 operations; string values may use `${smi.some.path}`.
    pub patch: Vec<PatchOperation>,
    /// A values path (`smi.some.path`): the overlay applies only when that value is truthy (not
    /// absent, null, false or ""); or `smi.some.path == value`: only when that value is the
    /// string (or number or boolean) written after `==`.
    #[serde(default)]
    pub when: Option<String>,
    /// Whether matching no object is fine; otherwise it is a [`RenderError::Overlay`].
    #[serde(default)]
    pub optional: bool,
}

/// Selects objects: every field given must match (absent fields match anything).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Target {
    /// The object's `apiVersion`, exactly (e.g. `v1`).
    pub api_version: Option<String>,
    /// The object's `kind`, exactly (e.g. `Service`).
    pub kind: Option<String>,
    /// The object's `metadata.name`, exactly.
    pub name: Option<String>,
    /// The object's `metadata.namespace`, exactly.
    pub namespace: Option<String>,
    /// Labels the object must have, with these values.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// JSON pointer → the value it must have (e.g. `/spec/type: LoadBalancer`).
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// The overlays of the values and of the overlay directories (and the built-in defaults),
/// applied after the built-in injections.
#[derive(Debug)]
pub struct Overlays {
    /// Each overlay with where it came from, in the order they apply.
    overlays: Vec<Loaded>,
    /// The merged values, for `when` and `${smi...}` (with `smi.loadBalancer` filled in).
    values_json: Value,
    /// Where the provider's load balancer controllers read exposure and type.
    exposure: ExposureGuard,
}

/// One overlay and its source.
#[derive(Debug)]
struct Loaded {
    /// The file, or `smi.overlays.patches[N]`.
    file: String,
    /// Shipped with kubectl-smi (overlays/aws, overlays/oci), not the user's.
    shipped: bool,
    overlay: Overlay,
}

impl Overlays {
    /// Reads every overlay the options name; fails on a file that cannot be read or parsed.
    pub fn load(options: &RenderOptions) -> Result<Overlays, RenderError> {
        let mut values_json = options.values_json.clone();
        // The shipped defaults substitute `${smi.loadBalancer.scheme}`: its documented
        // default must be there when the values leave it out.
        if let Some(smi) = values_json.get_mut("smi").and_then(Value::as_object_mut) {
            let load_balancer =
                serde_json::to_value(&options.values.smi.load_balancer).map_err(|e| {
                    RenderError::Overlay {
                        file: "smi.loadBalancer".into(),
                        problem: e.to_string(),
                    }
                })?;
            smi.insert("loadBalancer".into(), load_balancer);
        }
        Ok(Overlays {
            overlays: load_all(options)?,
            values_json,
            exposure: ExposureGuard::new(options.values.smi.cloud.provider),
        })
    }
}

impl Filter for Overlays {
    fn name(&self) -> &'static str {
        "overlays"
    }

    /// The fields the targets select on.
    fn fields(&self) -> Vec<Field> {
        self.overlays
            .iter()
            .flat_map(|loaded| loaded.overlay.target.fields())
            .collect()
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        // Each object as the chart (and the injections) left it, before any overlay.
        let mut charts: HashMap<ObjectRef, ChartChoices> = HashMap::new();
        for Loaded {
            file,
            shipped,
            overlay,
        } in &self.overlays
        {
            if let Some(when) = &overlay.when
                && !condition(&self.values_json, when)
            {
                continue;
            }
            let patch = substitute(&overlay.patch, &self.values_json, file)?;
            let decides = *shipped && self.exposure.writes_a_choice(&patch);
            let mut matched = 0;
            for object in stream.objects() {
                if !overlay.target.matches(stream, object)? {
                    continue;
                }
                let json = stream.json(object)?;
                matched += 1;
                let chart = charts
                    .entry(object)
                    .or_insert_with(|| self.exposure.read(&json));
                if decides && chart.any() {
                    continue;
                }
                let after = if *shipped {
                    patched(&json, &unset_only(&json, &patch), file)?
                } else {
                    patched(&json, &patch, file)?
                };
                let mut reason = format!("overlay {file}");
                if !*shipped {
                    let overridden = self.exposure.overridden(chart, &json, &after);
                    for change in &overridden {
                        cx.warn(format!(
                            "{}: overlay {file} changes the load balancer the chart chose: {change}. {}",
                            stream.header(object).display_name(),
                            overridden_advice(file)
                        ));
                    }
                    if !overridden.is_empty() {
                        reason.push_str(&format!(
                            "; changes the chart's load balancer choice: {}",
                            overridden.join("; ")
                        ));
                    }
                }
                cx.change(stream, object, reason, |o| o.replace_with(&after))?;
            }
            if matched == 0 && !overlay.optional {
                return Err(RenderError::Overlay {
                    file: file.clone(),
                    problem: "its target matches no object in the manifests (set `optional: true` if that is expected)".into(),
                });
            }
        }
        Ok(())
    }
}

const SELECTORS: [&str; 4] = [
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
];
const LABELS: &str = "/metadata/labels";

impl Target {
    fn selectors(&self) -> [(&Option<String>, &'static str); 4] {
        [
            (&self.api_version, SELECTORS[0]),
            (&self.kind, SELECTORS[1]),
            (&self.name, SELECTORS[2]),
            (&self.namespace, SELECTORS[3]),
        ]
    }

    /// The JSON pointers `matches` reads: labels and fields only in the target's kind, since
    /// `matches` reads them after the kind.
    fn fields(&self) -> Vec<Field> {
        let mut fields: Vec<Field> = self
            .selectors()
            .iter()
            .filter(|(want, _)| want.is_some())
            .map(|(_, pointer)| Field::any(*pointer))
            .collect();
        let field = |pointer: &str| Field {
            pointer: pointer.to_owned(),
            kinds: self.kind.clone().map(|k| vec![k]),
        };
        if !self.labels.is_empty() {
            fields.push(field(LABELS));
        }
        fields.extend(self.fields.keys().map(|p| field(p)));
        fields
    }

    /// Whether the object is a target: reads only the fields selected on.
    fn matches(&self, stream: &mut Stream, object: ObjectRef) -> Result<bool, StreamError> {
        let mut field = |pointer: &str| stream.pointer(object, pointer);
        for (want, pointer) in self.selectors() {
            if let Some(want) = want
                && field(pointer)?.as_ref().and_then(Value::as_str) != Some(want.as_str())
            {
                return Ok(false);
            }
        }
        if !self.labels.is_empty() {
            let labels = field(LABELS)?;
            let all = self.labels.iter().all(|(k, v)| {
                labels
                    .as_ref()
                    .and_then(|l| l.get(k))
                    .and_then(Value::as_str)
                    == Some(v)
            });
            if !all {
                return Ok(false);
            }
        }
        for (pointer, want) in &self.fields {
            if field(pointer)?.as_ref() != Some(want) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn load_all(options: &RenderOptions) -> Result<Vec<Loaded>, RenderError> {
    let smi = &options.values.smi;
    let mut overlays = Vec::new();
    if smi.overlays.defaults {
        for (file, overlay) in shipped_defaults(smi.cloud.provider)? {
            overlays.push(Loaded {
                file: (*file).to_owned(),
                shipped: true,
                overlay: overlay.clone(),
            });
        }
    }
    for dir in &options.overlay_dirs {
        for file in overlay_files(dir)? {
            let shown = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| RenderError::Overlay {
                file: shown.clone(),
                problem: format!("cannot read it: {e}"),
            })?;
            overlays.push(Loaded {
                overlay: parse(&shown, &text)?,
                file: shown,
                shipped: false,
            });
        }
    }
    for (i, inline) in smi.overlays.patches.iter().enumerate() {
        let file = format!("smi.overlays.patches[{i}]");
        let overlay = inline_overlay(inline).map_err(|problem| RenderError::Overlay {
            file: file.clone(),
            problem,
        })?;
        overlays.push(Loaded {
            file,
            shipped: false,
            overlay,
        });
    }
    Ok(overlays)
}

/// An overlay written inline in `smi.overlays.patches`, or why it is not one: what the
/// render refuses, and what `validate` reports at the entry's place.
pub fn inline_overlay(inline: &Value) -> Result<Overlay, String> {
    serde_json::from_value(inline.clone()).map_err(|e| e.to_string())
}

/// Whether every overlay file of `dir` can be read and parsed, as the render reads them, or
/// the first problem (`FILE: what`): what the render refuses, and what `validate` reports at
/// the directory's place in `smi.overlays.directories`.
pub fn check_overlay_dir(dir: &Path) -> Result<(), String> {
    let failed = |e: RenderError| match e {
        RenderError::Overlay { file, problem } => format!("{file}: {problem}"),
        other => other.to_string(),
    };
    for file in overlay_files(dir).map_err(failed)? {
        let shown = file.display().to_string();
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{shown}: cannot read it: {e}"))?;
        parse(&shown, &text).map_err(failed)?;
    }
    Ok(())
}

fn overlay_files(dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RenderError::Overlay {
        file: dir.display().to_string(),
        problem: format!("cannot read the directory: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The overlays shipped for `provider`, parsed once per process (their text is built in,
/// and parsing it was a twentieth of rendering the platform example). Errors: the
/// [`RenderError::Overlay`] of a shipped file that does not parse (the tests read them all).
fn shipped_defaults(provider: Provider) -> Result<&'static [(&'static str, Overlay)], RenderError> {
    type Parsed = Result<Vec<(&'static str, Overlay)>, (String, String)>;
    fn parse_all(defaults: &[(&'static str, &str)]) -> Parsed {
        defaults
            .iter()
            .map(|(file, text)| match parse(file, text) {
                Ok(overlay) => Ok((*file, overlay)),
                Err(RenderError::Overlay { file, problem }) => Err((file, problem)),
                Err(other) => Err(((*file).to_owned(), other.to_string())),
            })
            .collect()
    }
    static AWS: LazyLock<Parsed> = LazyLock::new(|| parse_all(AWS_DEFAULTS));
    static OCI: LazyLock<Parsed> = LazyLock::new(|| parse_all(OCI_DEFAULTS));
    let parsed = match provider {
        Provider::Aws => &*AWS,
        Provider::Oci => &*OCI,
    };
    match parsed {
        Ok(overlays) => Ok(overlays),
        Err((file, problem)) => Err(RenderError::Overlay {
            file: file.clone(),
            problem: problem.clone(),
        }),
    }
}

fn parse(file: &str, text: &str) -> Result<Overlay, RenderError> {
    let problem = |problem: String| RenderError::Overlay {
        file: file.to_owned(),
        problem,
    };
    let node = read_yaml_document(text, &Limits::default())
        .map_err(|e| problem(e.to_string()))?
        .ok_or_else(|| problem("the file is empty".into()))?;
    serde_json::from_value(node.to_json()).map_err(|e| problem(e.to_string()))
}

fn lookup<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(values, |v, key| v.get(key))
}

/// Whether an overlay's `when` holds: `smi.path == value`, or `smi.path` truthy.
fn condition(values: &Value, when: &str) -> bool {
    match when.split_once("==") {
        Some((path, want)) => {
            let want = want.trim().trim_matches('"');
            match lookup(values, path.trim()) {
                Some(Value::String(s)) => s == want,
                Some(Value::Number(n)) => n.to_string() == want,
                Some(Value::Bool(b)) => want.parse::<bool>() == Ok(*b),
                _ => false,
            }
        }
        None => truthy(lookup(values, when.trim())),
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// Replaces `${smi.path}` in the patch's string values with the values' content.
fn substitute(
    patch: &[PatchOperation],
    values: &Value,
    file: &str,
) -> Result<Vec<PatchOperation>, RenderError> {
    let mut json = serde_json::to_value(patch).expect("patches serialize");
    substitute_value(&mut json, values, file)?;
    Ok(serde_json::from_value(json).expect("substitution keeps the patch's shape"))
}

fn substitute_value(value: &mut Value, values: &Value, file: &str) -> Result<(), RenderError> {
    match value {
        Value::String(s) => {
            while let Some(start) = s.find("${") {
                let end = s[start..].find('}').map(|e| start + e).ok_or_else(|| {
                    RenderError::Overlay {
                        file: file.to_owned(),
                        problem: format!("unclosed ${{ in {s:?}"),
                    }
                })?;
                let path = &s[start + 2..end];
                let replacement = match lookup(values, path) {
                    Some(Value::String(v)) => v.clone(),
                    Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                    _ => {
                        return Err(RenderError::Overlay {
                            file: file.to_owned(),
                            problem: format!("${{{path}}} is not a value set in the values"),
                        });
                    }
                };
                s.replace_range(start..=end, &replacement);
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|v| substitute_value(v, values, file)),
        Value::Object(map) => map
            .values_mut()
            .try_for_each(|v| substitute_value(v, values, file)),
        _ => Ok(()),
    }
}

/// The patch without the `add` operations whose path the object already has: a shipped
/// default fills what is unset and never replaces a value the chart set.
fn unset_only(object: &Value, patch: &[PatchOperation]) -> Vec<PatchOperation> {
    patch
        .iter()
        .filter(|op| match op {
            // An add into a list inserts; only an add at a mapping key can replace.
            PatchOperation::Add(add) => {
                let path = add.path.to_string();
                let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                !(object.pointer(parent).is_some_and(Value::is_object)
                    && object.pointer(&path).is_some())
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// The object with the patch applied (json-patch semantics; `add` creates missing parents).
fn patched(object: &Value, patch: &[PatchOperation], file: &str) -> Result<Value, RenderError> {
    let mut out = object.clone();
    for (i, op) in patch.iter().enumerate() {
        if let PatchOperation::Add(add) = op {
            create_parents(&mut out, add.path.to_string().as_str());
        }
        json_patch::patch(&mut out, std::slice::from_ref(op)).map_err(|e| {
            RenderError::Overlay {
                file: file.to_owned(),
                problem: format!("operation {i} ({} {}): {e}", op_name(op), op.path()),
            }
        })?;
    }
    Ok(out)
}

fn create_parents(object: &mut Value, path: &str) {
    let tokens: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut node = object;
    for token in tokens.iter().take(tokens.len().saturating_sub(1)) {
        let Value::Object(map) = node else {
            return;
        };
        node = map
            .entry(token.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
}

/// What to do about an overlay that changes the chart's load balancer choice: the overlay
/// wins, so the Service gets a load balancer of another kind, scheme or reach than the chart
/// asked for.
fn overridden_advice(file: &str) -> String {
    format!(
        "The overlay wins: the cloud's controller builds the load balancer the overlay describes, not the chart's (an internal one may become reachable from the internet). If that is intended, nothing to do; otherwise remove that operation from {file} and make the choice in the chart's values"
    )
}
