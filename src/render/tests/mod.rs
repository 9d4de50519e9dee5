//! In-process table tests of each filter: input YAML → expected YAML and the expected change
//! records, through [`super::run`], the helper that runs a list of filters on a text. The
//! Helm contract (argv, stdin, exit codes) is tested on the binary in `tests/`.

mod autoscaler;
mod calls;
mod identity;
mod ingress_hosts;
mod network_policy;
mod overlays;
mod secret_refs;
mod service_monitor;

use std::path::{Path, PathBuf};

use super::{Filter, RenderOptions, Rendered, run};
use crate::stream::Limits;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// The options of `render -f examples/<example> -f <overrides>` (the overrides as a later
/// values file, merged as Helm merges values).
pub fn options(example_values: &str, overrides: &str) -> RenderOptions {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let extra = dir.path().join("overrides.yaml");
    std::fs::write(&extra, overrides).expect("the overrides file");
    let loaded = crate::values::load(&[example(example_values), extra]).expect("values load");
    RenderOptions {
        values: loaded.typed().expect("the values are valid"),
        values_json: loaded.merged.clone(),
        overlay_dirs: Vec::new(),
        strict: false,
        strategy: Default::default(),
        rewrite_all: false,
        limits: Limits::default(),
    }
}

/// Runs `filter` alone on `input`.
pub fn render_with(filter: impl Filter + 'static, input: &str) -> Rendered {
    let filters: Vec<Box<dyn Filter>> = vec![Box::new(filter)];
    run(&filters, input.to_owned(), Limits::default()).expect("the filter runs")
}

/// The output as text.
pub fn output(rendered: &Rendered) -> &str {
    std::str::from_utf8(&rendered.output).expect("UTF-8 output")
}

/// Each change as `filter OBJECT: op path, op path...` (the RFC 6902 operations' names and
/// paths; their values are in the expected YAML).
pub fn changes(rendered: &Rendered) -> Vec<String> {
    rendered
        .changes
        .iter()
        .map(|c| {
            let ops: Vec<String> = c
                .patch
                .iter()
                .map(|op| format!("{} {}", super::op_name(op), op.path()))
                .collect();
            format!("{} {}: {}", c.filter, c.object, ops.join(", "))
        })
        .collect()
}

/// One case of a filter's table.
pub struct Case {
    /// What the case shows.
    pub name: &'static str,
    /// The manifest stream.
    pub input: &'static str,
    /// The whole output.
    pub expected: &'static str,
    /// [`changes`] of the run.
    pub changes: &'static [&'static str],
}

/// Runs every case with a filter made by `filter`; reports each failing case by name.
pub fn check_table<F: Filter + 'static>(cases: &[Case], filter: impl Fn() -> F) {
    for case in cases {
        let rendered = render_with(filter(), case.input);
        assert_eq!(
            output(&rendered),
            case.expected,
            "case {:?}: output",
            case.name
        );
        assert_eq!(
            changes(&rendered),
            case.changes,
            "case {:?}: changes",
            case.name
        );
    }
}

/// One stream a filter refuses.
pub struct Refusal<'a> {
    /// What the case shows.
    pub name: &'static str,
    /// The manifest stream.
    pub input: &'a str,
    /// Fragments the message and its hint hold (as `message\nhint`).
    pub says: &'static [&'static str],
}

/// Runs every case with a filter made by `filter`: each is an error whose message and hint
/// hold the case's fragments; reports each failing case by name.
pub fn check_refusals<F: Filter + 'static>(cases: &[Refusal<'_>], filter: impl Fn() -> F) {
    use crate::error::Hint;
    for case in cases {
        let filters: Vec<Box<dyn Filter>> = vec![Box::new(filter())];
        let error = match run(&filters, case.input.to_owned(), Limits::default()) {
            Ok(rendered) => panic!("case {:?}: not refused: {}", case.name, output(&rendered)),
            Err(error) => error,
        };
        let text = format!("{error}\n{}", error.hint().unwrap_or_default());
        for fragment in case.says {
            assert!(
                text.contains(fragment),
                "case {:?}: {fragment:?} in {text}",
                case.name
            );
        }
    }
}
