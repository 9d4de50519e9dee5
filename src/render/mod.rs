//! Post-rendering: read Helm's manifest stream, run the filters in order, write the stream.
//!
//! Each filter is one type in its own file; the order of `filters()` is the order they run.

mod rewrite;

use json_patch::PatchOperation;
use serde::Serialize;

use crate::stream::{Limits, Stream, StreamError, read_input};
use crate::values::Values;

/// What a post-render needs besides the manifests.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub values: Values,
    /// Missing service accounts are errors instead of warnings.
    pub strict: bool,
    /// Re-write every document through the emitter.
    pub rewrite_all: bool,
    pub limits: Limits,
}

/// A post-render step.
pub trait Filter {
    /// Short name, shown in --explain and in the injected-by annotation.
    fn name(&self) -> &'static str;
    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError>;
}

/// The filters, in the order they run.
fn filters(options: &RenderOptions) -> Vec<Box<dyn Filter>> {
    let mut filters: Vec<Box<dyn Filter>> = Vec::new();
    if options.rewrite_all {
        filters.push(Box::new(rewrite::RewriteAll));
    }
    filters
}

/// What filters share while they run: the options, and the record of what they did.
pub struct Context<'a> {
    pub options: &'a RenderOptions,
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// One object added or changed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `Kind/namespace/name`.
    pub object: String,
    /// 1-based document number in the input; absent for added objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    pub filter: &'static str,
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
}

impl RenderError {
    pub fn hint(&self) -> Option<&str> {
        match self {
            RenderError::Stream(e) => Some(e.hint()),
        }
    }
}

/// The result of a post-render: the whole output (written only once complete), and the report.
#[derive(Debug)]
pub struct Rendered {
    pub output: Vec<u8>,
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// Post-renders the manifests read from `input`.
pub fn render(input: impl std::io::Read, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let text = read_input(input, &options.limits)?;
    let mut stream = Stream::parse(text, options.limits)?;
    let mut cx = Context {
        options,
        changes: Vec::new(),
        warnings: Vec::new(),
    };
    for filter in filters(options) {
        filter.apply(&mut stream, &mut cx)?;
    }
    let mut output = Vec::new();
    stream
        .write(&mut output)
        .map_err(|e| RenderError::Stream(StreamError::Io(e)))?;
    Ok(Rendered {
        output,
        changes: cx.changes,
        warnings: cx.warnings,
    })
}

/// The --explain report for a reviewer: one line per object, then what changed.
pub fn explain_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "kubectl-smi: no object added or changed\n".to_owned();
    }
    let mut text = String::new();
    for c in changes {
        let verb = if c.document.is_some() { "changed" } else { "added" };
        text.push_str(&format!("{verb} {} [{}]: {}\n", c.object, c.filter, c.reason));
        for op in &c.patch {
            let (name, path) = match op {
                PatchOperation::Add(o) => ("add", o.path.to_string()),
                PatchOperation::Remove(o) => ("remove", o.path.to_string()),
                PatchOperation::Replace(o) => ("replace", o.path.to_string()),
                PatchOperation::Move(o) => ("move", o.path.to_string()),
                PatchOperation::Copy(o) => ("copy", o.path.to_string()),
                PatchOperation::Test(o) => ("test", o.path.to_string()),
            };
            text.push_str(&format!("    {name} {}\n", if path.is_empty() { "/" } else { &path }));
        }
    }
    text
}
