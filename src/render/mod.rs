//! Post-rendering: read Helm's manifest stream, run the filters in order, write the stream.
//!
//! Each filter is one type in its own file, a value built from the values it needs
//! ([`filters`] builds them all, so bad values fail before the manifests are read); the
//! order of [`filters`] is the order they run. [`run`] runs any list of filters on a text,
//! which is how each filter is tested in process.

mod autoscaler;
mod hooks;
mod identity;
mod ingress_hosts;
mod namespace;
mod network_policy;
mod overlays;
mod rewrite;
mod secret_refs;
mod service_monitor;
#[cfg(test)]
mod tests;
mod workload;

pub use autoscaler::Autoscaler;
pub use hooks::{HOOK, HOOK_DELETE_POLICY, HOOK_WEIGHT, PostRenderStrategy};
pub use identity::Identity;
pub use ingress_hosts::IngressHosts;
pub use namespace::NamespaceMismatch;
pub use network_policy::NetworkPolicy;
pub use overlays::{Overlay, Overlays, Target, check_overlay_dir, inline_overlay};
pub use rewrite::RewriteAll;
pub use secret_refs::SecretRefs;
pub use service_monitor::ServiceMonitor;

use json_patch::PatchOperation;
use serde::Serialize;
use serde_json::Value;

use crate::catalog::INJECTED_BY;
use crate::error::Hint;
use crate::stream::{
    Content, Edit, Field, Fields, Limits, ObjectRef, Prebuild, Stream, StreamError, read_input,
};
use crate::values::Values;

/// What a post-render needs besides the manifests.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The parsed values (`smi:` and the charts' keys).
    pub values: Values,
    /// The merged values as JSON, for `${smi...}` in overlays.
    pub values_json: Value,
    /// Overlay directories (--overlays, then smi.overlays.directories).
    pub overlay_dirs: Vec<std::path::PathBuf>,
    /// Missing service accounts are errors instead of warnings.
    pub strict: bool,
    /// How Helm hands hooks over (declared by the operator; Helm does not say).
    pub strategy: PostRenderStrategy,
    /// Re-write every document through the emitter.
    pub rewrite_all: bool,
    /// The reading budget of the manifest stream.
    pub limits: Limits,
}

/// A post-render step: a value that carries its own settings, built from the values.
pub trait Filter {
    /// Short name, shown in --explain and in the injected-by annotation.
    fn name(&self) -> &'static str;
    /// JSON pointers this filter reads in many documents (see `Stream::pointer`): the scan
    /// records them, so that reading them builds no tree.
    fn fields(&self) -> Vec<Field> {
        Vec::new()
    }
    /// Reads and changes the stream; every change goes through `cx`, which records it under
    /// this filter's name.
    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError>;
    /// The documents this filter is about to change, as far as the reading pass can tell
    /// (see [`Prebuild`]): their trees are built during that pass. Only a head start, so
    /// it may name too many or too few: the output is the same either way.
    fn prebuild(&self) -> Option<Prebuild<'_>> {
        None
    }
}

/// The filters for these options, in the order they run. Fails on values or overlay files
/// no filter can use, before any manifest is read.
pub fn filters(options: &RenderOptions) -> Result<Vec<Box<dyn Filter>>, RenderError> {
    let smi = &options.values.smi;
    let mut filters: Vec<Box<dyn Filter>> = vec![
        Box::new(Identity::new(smi, options.strict, options.strategy)?),
        Box::new(NetworkPolicy::new(smi)?),
        Box::new(ServiceMonitor::new(smi)),
        Box::new(Autoscaler::new(smi)),
        Box::new(SecretRefs::new(smi)?),
        Box::new(Overlays::load(options)?),
        // After the overlays, which may add the external-dns annotation it compares.
        Box::new(IngressHosts::new(smi)),
    ];
    if options.rewrite_all {
        filters.push(Box::new(RewriteAll));
    }
    Ok(filters)
}

/// What filters share while they run: the record of what they did, under the name of the
/// filter running (the runner sets it).
pub struct Context {
    /// Every object added or changed so far, in order.
    pub changes: Vec<Change>,
    /// Warnings for the operator (printed on stderr, and in the Helm 4 log).
    pub warnings: Vec<String>,
    /// The name of the filter now running.
    pub filter: &'static str,
}

impl Context {
    /// Changes an object with `edit`, which works on its tree in place (see [`Edit`]), marks
    /// it with the injected-by annotation, and records the change (as RFC 6902 operations)
    /// under the running filter's name. Nothing is recorded when nothing changed.
    pub fn change(
        &mut self,
        stream: &mut Stream,
        object: ObjectRef,
        reason: impl Into<String>,
        edit: impl FnOnce(&mut Edit<'_>),
    ) -> Result<(), RenderError> {
        let filter = self.filter;
        let patch = stream.edit(object, |e| {
            edit(e);
            if e.changed() {
                mark_injected(e, filter);
            }
        })?;
        self.record(stream, object, reason.into(), patch);
        Ok(())
    }

    /// Records an edit of `object` under the running filter's name, unless it changed nothing.
    fn record(
        &mut self,
        stream: &Stream,
        object: ObjectRef,
        reason: String,
        patch: Vec<PatchOperation>,
    ) {
        if patch.is_empty() {
            return;
        }
        self.changes.push(Change {
            object: stream.header(object).display_name(),
            document: Some(object.document + 1),
            filter: self.filter,
            reason,
            patch,
        });
    }

    /// [`Context::change`] of many objects: each job names its object (in stream order) and
    /// the reason, and `edit` changes the object from the job's data. The edits run through
    /// [`Stream::edit_each`] (on two threads when there are many); the changes are recorded
    /// in the jobs' order, and the first failed edit is the error.
    pub fn change_each<J: Sync>(
        &mut self,
        stream: &mut Stream,
        jobs: Vec<(ObjectRef, String, J)>,
        edit: impl Fn(&mut Edit<'_>, &J) + Sync,
    ) -> Result<(), RenderError> {
        let filter = self.filter;
        let patches = stream.edit_each(
            &jobs,
            |(object, _, _)| *object,
            |e, (_, _, job)| {
                edit(e, job);
                if e.changed() {
                    mark_injected(e, filter);
                }
            },
        );
        for ((object, reason, _), patch) in jobs.into_iter().zip(patches) {
            self.record(stream, object, reason, patch?);
        }
        Ok(())
    }

    /// Adds an object to the release, or updates the one of the same kind and name that the
    /// stream already has (never a duplicate).
    pub fn add_or_update(
        &mut self,
        stream: &mut Stream,
        reason: impl Into<String>,
        mut object: Value,
    ) -> Result<(), RenderError> {
        let filter = self.filter;
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let namespace = object["metadata"]["namespace"].as_str();
        // One stating another namespace is another object, and stays where the chart put it.
        let existing = stream.objects().into_iter().find(|o| {
            let h = stream.header(*o);
            h.kind == kind
                && h.name.as_deref() == Some(&name)
                && same_group(&h.api_version, &api_version)
                && (h.namespace.is_none() || h.namespace.as_deref() == namespace)
        });
        if let Some(existing) = existing {
            let reason = reason.into();
            return self.change(stream, existing, reason, |current| {
                merge_into(current, &mut Vec::new(), &object);
            });
        }
        mark_added(&mut object, filter);
        let display = display_name(&object);
        let object = stream.add(&format!("kubectl-smi/{filter}/{name}.yaml"), object);
        self.changes.push(Change {
            object: display,
            document: None,
            filter,
            reason: reason.into(),
            patch: vec![PatchOperation::Add(json_patch::AddOperation {
                path: json_patch::jsonptr::PointerBuf::root(),
                value: object,
            })],
        });
        Ok(())
    }

    /// A warning for the operator.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }
}

/// Same API group (the version may differ between the chart and the tool).
fn same_group(a: &str, b: &str) -> bool {
    let group = |v: &str| v.rsplit_once('/').map_or("", |(g, _)| g).to_owned();
    group(a) == group(b)
}

fn display_name(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or("?");
    let name = object["metadata"]["name"].as_str().unwrap_or("?");
    match object["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// Makes the object carry everything `desired` says at `path` (maps merged, lists and
/// scalars replaced), keeping what the chart set that the tool does not care about.
fn merge_into(current: &mut Edit<'_>, path: &mut Vec<String>, desired: &Value) {
    let Value::Object(desired) = desired else {
        current.set(path, desired.clone());
        return;
    };
    if !matches!(
        current.get(path).map(|n| &n.content),
        Some(Content::Mapping(_))
    ) {
        current.set(path, Value::Object(desired.clone()));
        return;
    }
    for (key, value) in desired {
        path.push(key.clone());
        merge_into(current, path, value);
        path.pop();
    }
}

/// Adds this filter's name to the `smi.dtplatform.io/injected-by` annotation (objects whose
/// `metadata` is not a mapping are left as they are).
fn mark_injected(object: &mut Edit<'_>, filter: &str) {
    let is_mapping = |path: &[String]| {
        matches!(
            object.get(path).map(|n| &n.content),
            Some(Content::Mapping(_))
        )
    };
    let annotations = ["metadata".to_owned(), "annotations".to_owned()];
    if !is_mapping(&annotations[..1])
        || (object.get(&annotations).is_some() && !is_mapping(&annotations))
    {
        return;
    }
    let path = [
        "metadata".to_owned(),
        "annotations".to_owned(),
        INJECTED_BY.to_owned(),
    ];
    let mut filters: Vec<String> = object
        .str(&path)
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    if !filters.iter().any(|f| f == filter) {
        filters.push(filter.to_owned());
        object.set(&path, Value::String(filters.join(",")));
    }
}

/// The injected-by annotation a new object carries.
fn mark_added(object: &mut Value, filter: &str) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(annotations) = annotations.as_object_mut() else {
        return;
    };
    let mut filters: Vec<&str> = annotations
        .get(INJECTED_BY)
        .and_then(Value::as_str)
        .map(|v| v.split(',').collect())
        .unwrap_or_default();
    if !filters.contains(&filter) {
        filters.push(filter);
        let joined = filters.join(",");
        annotations.insert(INJECTED_BY.to_owned(), Value::String(joined));
    }
}

/// One object added or changed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `Kind/namespace/name`.
    pub object: String,
    /// 1-based document number in the input; absent for added objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    /// The name of the filter that made the change (see [`Filter::name`]).
    pub filter: &'static str,
    /// Why, in words: which rule of the guide or which overlay.
    pub reason: String,
    /// The JSON patch applied to the object (for an added object: one `add` of the whole).
    pub patch: Vec<PatchOperation>,
}

/// Why a post-render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The stream could not be read or changed.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The provider's section is missing from the values.
    #[error("the values have no {0} section for the chosen provider")]
    MissingSection(&'static str),
    /// The role ARNs need the AWS account id, and post-rendering makes no network calls.
    #[error("smi.cloud.aws.accountId is needed to write the role ARNs on the service accounts")]
    MissingAccountId,
    /// With --strict: service accounts of the table that the release lacks; the hint
    /// depends on the Helm that sent the stream and the declared post-render strategy.
    #[error("service accounts missing from the manifests: {names}")]
    MissingServiceAccounts {
        /// The missing service accounts, comma-separated.
        names: String,
        /// What to do, for the Helm version and post-render strategy of the stream and the
        /// cloud identity in use.
        hint: String,
    },
    /// The scriptmanager Service cannot be scraped as step 5 requires.
    #[error("{object}: {problem}")]
    Prometheus {
        /// The Service, as `Kind/namespace/name`.
        object: String,
        /// What about it does not fit the ServiceMonitor of step 5.
        problem: String,
        /// What to do, given as the error's [`Hint`].
        hint: &'static str,
    },
    /// An overlay could not be read or applied.
    #[error("overlay {file}: {problem}")]
    Overlay {
        /// The overlay file's path, or `smi.overlays.patches[N]`.
        file: String,
        /// What failed: reading, parsing, a `${smi...}` substitution, an operation, or a target
        /// that matches nothing.
        problem: String,
    },
    /// The secret catalog in the values is not usable.
    #[error("{0}")]
    Catalog(String),
    /// A value the network policy needs is not usable.
    #[error("smi.networkPolicy: {0}")]
    NetworkPolicy(String),
    /// An object a filter keys on states a namespace other than the values' namespace, so
    /// what the tool adds for it (in the values' namespace) would miss it.
    #[error(transparent)]
    Namespace(Box<NamespaceMismatch>),
}

impl Hint for RenderError {
    fn hint(&self) -> Option<&str> {
        match self {
            RenderError::Stream(e) => e.hint(),
            RenderError::MissingSection(_) => {
                Some("set smi.cloud.provider to the cloud whose section you filled in")
            }
            RenderError::MissingAccountId => Some(
                "add smi.cloud.aws.accountId (a quoted 12-digit string); `aws sts get-caller-identity` shows it",
            ),
            RenderError::MissingServiceAccounts { hint, .. } => Some(hint.as_str()),
            RenderError::Prometheus { hint, .. } => Some(hint),
            RenderError::Overlay { .. } => Some(
                "check the overlay's target selector and the paths of its operations against `helm template` output",
            ),
            RenderError::NetworkPolicy(_) => {
                Some("see docs/injections.md for the network policy values")
            }
            RenderError::Catalog(_) => {
                Some("see docs/injections.md for the shape of a secret catalog entry")
            }
            RenderError::Namespace(e) => Some(&e.hint),
        }
    }
}

/// The output for a stream of no document (empty, or whitespace only): Helm 4 refuses an
/// empty output, and reads this as zero documents.
pub const NO_MANIFESTS: &str = "# kubectl-smi: no manifests\n";

/// The result of a post-render: the whole output (written only once complete), and the report.
#[derive(Debug)]
pub struct Rendered {
    /// The post-rendered manifest stream (YAML), to write to standard output.
    pub output: Vec<u8>,
    /// Every object added or changed, in the order the filters ran.
    pub changes: Vec<Change>,
    /// Warnings for the operator, one sentence each.
    pub warnings: Vec<String>,
}

/// Post-renders the manifests read from `input`: the filters are built first (bad values
/// fail before anything is read), then the stream is read and run through them.
pub fn render(input: impl std::io::Read, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let filters = filters(options)?;
    let text = read_input(input, &options.limits)?;
    let empty = text.trim().is_empty();
    let mut rendered = run(&filters, text, options.limits)?;
    // A post-render of nothing is legitimate (a chart that renders nothing, and under the
    // separate strategy a release without hooks), but in a pipe it is also what a failed
    // `helm template` leaves: say so, except where Helm itself sends empty calls.
    if empty && options.strategy != PostRenderStrategy::Separate {
        rendered.warnings.push(EMPTY_INPUT_WARNING.to_owned());
    }
    Ok(rendered)
}

/// The warning for a standard input holding no manifests at all.
pub const EMPTY_INPUT_WARNING: &str = "standard input held no manifests, so the output is `# kubectl-smi: no manifests` (no document). If the chart renders nothing, that is right; if a command piped into this one failed (e.g. `helm template`), its error is above: in scripts, `set -o pipefail` makes the pipeline fail with it";

/// Runs `filters` in order on the manifest stream `text`, within `limits`. The output is
/// complete or absent: an error leaves nothing half-written.
pub fn run(
    filters: &[Box<dyn Filter>],
    text: String,
    limits: Limits,
) -> Result<Rendered, RenderError> {
    let fields = Fields::new(
        filters
            .iter()
            .flat_map(|f| f.fields())
            .chain(hooks::hook_fields()),
    );
    let prebuilds: Vec<Prebuild<'_>> = filters.iter().filter_map(|f| f.prebuild()).collect();
    let prebuild = (!prebuilds.is_empty()).then(|| Prebuild {
        kinds: prebuilds
            .iter()
            .flat_map(|p| p.kinds.iter().cloned())
            .collect(),
        wanted: Box::new(|header, field| {
            prebuilds
                .iter()
                .any(|p| p.kinds.contains(&header.kind) && (p.wanted)(header, field))
        }),
    });
    let mut stream = Stream::parse_prebuilding(text, limits, fields, prebuild.as_ref())?;
    let mut cx = Context {
        changes: Vec::new(),
        warnings: Vec::new(),
        filter: "",
    };
    for filter in filters {
        cx.filter = filter.name();
        filter.apply(&mut stream, &mut cx)?;
    }
    let mut output = Vec::with_capacity(stream.output_size_hint());
    stream
        .write(&mut output)
        .map_err(|e| RenderError::Stream(StreamError::Io(e)))?;
    stream.free();
    if output.iter().all(u8::is_ascii_whitespace) {
        // Helm 4 refuses an empty output; a comment is a stream of no document to every
        // reader (a chart that renders nothing installs).
        output = NO_MANIFESTS.as_bytes().to_vec();
    }
    Ok(Rendered {
        output,
        changes: cx.changes,
        warnings: cx.warnings,
    })
}

/// The --explain report for a reviewer: one line per object and why, then the paths that
/// changed (the full JSON patch is in `--explain=json`).
pub fn explain_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "kubectl-smi: no object added or changed\n".to_owned();
    }
    let mut text = String::new();
    for c in changes {
        let verb = if c.document.is_some() {
            "changed"
        } else {
            "added"
        };
        text.push_str(&format!(
            "{verb} {} [{}]: {}\n",
            c.object, c.filter, c.reason
        ));
        if c.document.is_none() || c.patch.is_empty() {
            continue;
        }
        let paths: Vec<String> = c
            .patch
            .iter()
            .map(|op| format!("{} {}", op_name(op), op.path()))
            .collect();
        let shown = paths.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        match paths.len() {
            0..=3 => text.push_str(&format!("    {shown}\n")),
            n => text.push_str(&format!("    {shown} and {} more\n", n - 3)),
        }
    }
    text
}

/// The RFC 6902 name of a JSON Patch operation: `add`, `remove`, `replace`, `move`, `copy` or
/// `test`.
pub fn op_name(op: &PatchOperation) -> &'static str {
    match op {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}
