//! Standard output: every command prints through here, so that a closed pipe ends the run
//! quietly and JSON and YAML read the same in every command.

use std::io::Write;

use clap::ValueEnum;
use kubectl_smi::stream::{Layout, Node, emit};
use serde::Serialize;

use crate::error::Error;

/// `-o` of commands that print a report: text for people, JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// `-o` of commands that print Kubernetes objects or chart values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectFormat {
    Yaml,
    Json,
}

/// Writes `bytes` to stdout and flushes; a failure is [`Error::Output`].
pub fn write(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(Error::Output)
}

/// `value` as pretty JSON with a final newline (the `-o json` of every command).
pub fn json(value: &impl Serialize) -> String {
    // Our report types are plain data (strings, numbers, maps with string keys).
    let text = serde_json::to_string_pretty(value).expect("reports serialize to JSON");
    format!("{text}\n")
}

/// `value` as one YAML document, written as the post-renderer writes YAML (strings that a
/// YAML 1.1 reader would take for something else are quoted).
pub fn yaml(value: &serde_json::Value) -> String {
    emit(&Node::from_json(value), Layout::default())
}

/// Objects as `-o yaml` (a stream of documents, each after `---`) or `-o json` (a
/// `kind: List`, as kubectl prints several objects).
pub fn objects(objects: &[serde_json::Value], format: ObjectFormat) -> String {
    match format {
        ObjectFormat::Json => {
            json(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects}))
        }
        ObjectFormat::Yaml => objects
            .iter()
            .map(|o| format!("---\n{}", yaml(o)))
            .collect(),
    }
}
