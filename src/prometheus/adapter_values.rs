//! Adds step 5's external metric rule under `rules.external` of a prometheus-adapter values
//! file, in place. The file is edited as text: the parser's spans locate `rules:` and
//! `external:`, and only the rule is inserted (an empty `[]` or null it replaces is the one
//! thing removed), so every other line, comment and quoting style stays as the operator wrote it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::values_text::{locate, plan};
use crate::catalog::external_metric_rule;
use crate::error::Hint;
use crate::stream::{Limits, Node, StreamError, read_input, read_yaml_document};

/// Why the rule could not be merged; the file is left untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum AdapterValuesError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The prometheus-adapter values file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not YAML this tool can read.
    #[error("{path} is not a YAML values file this tool can read, so it was not changed: {source}")]
    Parse {
        /// The prometheus-adapter values file.
        path: PathBuf,
        /// Why it could not be read as YAML.
        source: StreamError,
    },
    /// A key on the way to `rules.external` holds something else than the chart expects.
    #[error(
        "{path}: `{key}` is {found}, the prometheus-adapter chart expects {expected}; the file was not changed"
    )]
    Shape {
        /// The prometheus-adapter values file.
        path: PathBuf,
        /// `(top level)`, `rules` or `rules.external`.
        key: &'static str,
        /// What it holds, e.g. `a string`.
        found: &'static str,
        /// What the chart expects there: `a mapping` or `a list`.
        expected: &'static str,
    },
    /// `rules.external` has a different rule for the same series.
    #[error(
        "{path}: rules.external already has a rule for {metric} that differs from the guide's (entry {index}); the file was not changed"
    )]
    Conflict {
        /// The prometheus-adapter values file.
        path: PathBuf,
        /// [`QUEUE_METRIC`](crate::catalog::QUEUE_METRIC), the series the guide's rule is for (step
        /// 5).
        metric: &'static str,
        /// The 0-based index of the differing entry in `rules.external`.
        index: usize,
    },
    /// `rules` or `rules.external` is written with an alias or a flow style this edit cannot extend safely.
    #[error(
        "{path}: `{key}` is written as {how}, which this tool does not edit; the file was not changed"
    )]
    Unsupported {
        /// The prometheus-adapter values file.
        path: PathBuf,
        /// `(top level)`, `rules` or `rules.external`.
        key: &'static str,
        /// How it is written, e.g. `an alias (*name)`.
        how: &'static str,
    },
    /// The edit would have changed something besides adding the rule (a bug: nothing was written).
    #[error(
        "{path}: the edited file would not read back as the original plus the rule, so it was not changed"
    )]
    Verify {
        /// The prometheus-adapter values file, left unchanged.
        path: PathBuf,
    },
    /// The edited file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The prometheus-adapter values file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Hint for AdapterValuesError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            AdapterValuesError::Read { source, .. }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                "--merge-into edits an existing prometheus-adapter values file: check the path, or start a new file with `kubectl smi prometheus adapter-rules > FILE`"
            }
            AdapterValuesError::Read { .. } | AdapterValuesError::Write { .. } => {
                "check the path and its permissions"
            }
            AdapterValuesError::Parse { .. } => {
                "fix the YAML at the position shown, then run the command again"
            }
            AdapterValuesError::Shape { .. } => {
                "make `rules` a mapping and `rules.external` a list (or remove them), then run again"
            }
            AdapterValuesError::Conflict { .. } => {
                "remove or correct that entry; `kubectl smi prometheus adapter-rules` prints the guide's rule"
            }
            AdapterValuesError::Unsupported { .. } => {
                "add the rule by hand: `kubectl smi prometheus adapter-rules` prints it"
            }
            AdapterValuesError::Verify { .. } => {
                "add the rule by hand (`kubectl smi prometheus adapter-rules` prints it) and report this file"
            }
        })
    }
}

/// What merging did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// The rule was added; the new text of the file.
    Added(String),
    /// The file already has the rule; nothing to write.
    AlreadyPresent,
}

/// Largest values file accepted (the chart's own is 10 KB).
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// Adds the rule to the file at `path`, writing it atomically; nothing is written when the
/// rule is already there or on any error.
pub fn merge_into_file(path: &Path) -> Result<Merged, AdapterValuesError> {
    let read_error = |source| AdapterValuesError::Read {
        path: path.to_owned(),
        source,
    };
    let target = std::fs::canonicalize(path).map_err(read_error)?;
    let file = std::fs::File::open(&target).map_err(read_error)?;
    let limits = Limits {
        max_bytes: MAX_BYTES,
        ..Limits::default()
    };
    let text = read_input(file, &limits).map_err(|source| match source {
        StreamError::Io(e) => read_error(e),
        source => AdapterValuesError::Parse {
            path: path.to_owned(),
            source,
        },
    })?;
    let merged = merge_external_rule(path, &text)?;
    if let Merged::Added(new_text) = &merged {
        write_atomically(&target, new_text.as_bytes()).map_err(|source| {
            AdapterValuesError::Write {
                path: path.to_owned(),
                source,
            }
        })?;
    }
    Ok(merged)
}

/// The text of the values file `text` (named `path` in errors) with the rule added.
pub fn merge_external_rule(path: &Path, text: &str) -> Result<Merged, AdapterValuesError> {
    let limits = Limits {
        max_bytes: MAX_BYTES,
        ..Limits::default()
    };
    let parse_error = |source| AdapterValuesError::Parse {
        path: path.to_owned(),
        source,
    };
    let tree = read_yaml_document(text, &limits).map_err(parse_error)?;
    let before = tree.as_ref().map(Node::to_json);
    let rule = external_metric_rule();
    if rule_present(path, before.as_ref(), &rule)? {
        return Ok(Merged::AlreadyPresent);
    }
    let located = locate(tree.as_ref());
    let edits =
        plan(text, &located, &rule).map_err(|(key, how)| AdapterValuesError::Unsupported {
            path: path.to_owned(),
            key,
            how,
        })?;
    let mut after = text.to_owned();
    let mut edits = edits;
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.at.start));
    for edit in edits {
        after.replace_range(edit.at, &edit.text);
    }
    let expected = with_rule(before.unwrap_or(Value::Null), rule);
    let read_back = read_yaml_document(&after, &limits)
        .ok()
        .flatten()
        .map(|n| n.to_json());
    if read_back.as_ref() != Some(&expected) {
        return Err(AdapterValuesError::Verify {
            path: path.to_owned(),
        });
    }
    Ok(Merged::Added(after))
}

/// Why the chart would not use `rules.external` at all, if it would not: `rules.existing`
/// names a ConfigMap of pre-generated rules, which overrides the other rule lists.
pub fn external_rules_ignored(text: &str) -> Option<String> {
    let limits = Limits {
        max_bytes: MAX_BYTES,
        ..Limits::default()
    };
    let values = read_yaml_document(text, &limits).ok()??.to_json();
    let existing = values.pointer("/rules/existing")?;
    let named = match existing {
        Value::Null => return None,
        Value::String(name) if name.is_empty() => return None,
        Value::String(name) => name.clone(),
        other => other.to_string(),
    };
    Some(format!(
        "rules.existing is set ({named}): prometheus-adapter then reads its rules from that ConfigMap and ignores rules.external; add the rule there instead"
    ))
}

/// Whether `rules.external` already holds the rule; refuses shapes the chart cannot read.
fn rule_present(
    path: &Path,
    values: Option<&Value>,
    rule: &Value,
) -> Result<bool, AdapterValuesError> {
    let shape = |key, found, expected| AdapterValuesError::Shape {
        path: path.to_owned(),
        key,
        found,
        expected,
    };
    let rules = match values {
        None | Some(Value::Null) => return Ok(false),
        Some(Value::Object(root)) => root.get("rules"),
        Some(other) => return Err(shape("(top level)", kind_of(other), "a mapping")),
    };
    let external = match rules {
        None | Some(Value::Null) => return Ok(false),
        Some(Value::Object(rules)) => rules.get("external"),
        Some(other) => return Err(shape("rules", kind_of(other), "a mapping")),
    };
    let items = match external {
        None | Some(Value::Null) => return Ok(false),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(shape("rules.external", kind_of(other), "a list")),
    };
    for (index, item) in items.iter().enumerate() {
        if item == rule {
            return Ok(true);
        }
        if item.get("seriesQuery") == rule.get("seriesQuery") {
            let metric = crate::catalog::QUEUE_METRIC;
            return Err(AdapterValuesError::Conflict {
                path: path.to_owned(),
                metric,
                index,
            });
        }
    }
    Ok(false)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `values` as the chart will read it once the rule is added.
fn with_rule(values: Value, rule: Value) -> Value {
    let mut root = match values {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let rules = root.entry("rules").or_insert(Value::Null);
    if !rules.is_object() {
        *rules = json!({});
    }
    let external = rules
        .as_object_mut()
        .map(|r| r.entry("external").or_insert(Value::Null));
    if let Some(external) = external {
        match external {
            Value::Array(items) => items.push(rule),
            other => *other = json!([rule]),
        }
    }
    Value::Object(root)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// keeping the file's permissions: readers see the old file or the new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.kubectl-smi-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
