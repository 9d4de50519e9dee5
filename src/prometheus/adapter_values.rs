//! Adds step 5's external metric rule under `rules.external` of a prometheus-adapter values
//! file, in place. The file is edited as text: the parser's spans locate `rules:` and
//! `external:`, and only the rule is inserted (an empty `[]` or null it replaces is the one
//! thing removed), so every other line, comment and quoting style stays as the operator wrote it.

use std::path::{Path, PathBuf};

use granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle};
use serde_json::{Map, Value, json};

use crate::catalog::external_metric_rule;
use crate::stream::{Layout, Limits, Node, StreamError, emit, read_input, read_yaml_document};

/// Why the rule could not be merged; the file is left untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum AdapterValuesError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not YAML this tool can read.
    #[error("{path} is not a YAML values file this tool can read, so it was not changed: {source}")]
    Parse { path: PathBuf, source: StreamError },
    /// A key on the way to `rules.external` holds something else than the chart expects.
    #[error(
        "{path}: `{key}` is {found}, the prometheus-adapter chart expects {expected}; the file was not changed"
    )]
    Shape {
        path: PathBuf,
        key: &'static str,
        found: &'static str,
        expected: &'static str,
    },
    /// `rules.external` has a different rule for the same series.
    #[error(
        "{path}: rules.external already has a rule for {metric} that differs from the guide's (entry {index}); the file was not changed"
    )]
    Conflict {
        path: PathBuf,
        metric: &'static str,
        index: usize,
    },
    /// `rules` or `rules.external` is written with an alias or a flow style this edit cannot extend safely.
    #[error(
        "{path}: `{key}` is written as {how}, which this tool does not edit; the file was not changed"
    )]
    Unsupported {
        path: PathBuf,
        key: &'static str,
        how: &'static str,
    },
    /// The edit would have changed something besides adding the rule (a bug: nothing was written).
    #[error(
        "{path}: the edited file would not read back as the original plus the rule, so it was not changed"
    )]
    Verify { path: PathBuf },
    /// The edited file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl AdapterValuesError {
    pub fn hint(&self) -> &'static str {
        match self {
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
        }
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
    let before = read_yaml_document(text, &limits)
        .map_err(parse_error)?
        .map(|n| n.to_json());
    let rule = external_metric_rule();
    if rule_present(path, before.as_ref(), &rule)? {
        return Ok(Merged::AlreadyPresent);
    }
    let located = locate(text);
    let edits = plan(path, text, &located, &rule)?;
    let mut after = text.to_owned();
    let mut edits = edits;
    edits.sort_by(|a, b| b.at.start.cmp(&a.at.start));
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

/// How a node of interest is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    BlockMapping,
    FlowMapping,
    BlockSequence,
    FlowSequence,
    /// A null written as nothing, `~` or `null`.
    Null,
    Other,
    Alias,
}

/// Where a node is in the text (byte offsets).
#[derive(Debug, Clone, Copy)]
struct Place {
    shape: Shape,
    start: usize,
    /// End of the node's last character (of its last descendant, for block collections).
    end: usize,
    /// Column of a block collection's keys or dashes.
    column: usize,
    /// Offset of a flow collection's closing bracket.
    close: usize,
    empty: bool,
}

/// The root and the `rules` / `rules.external` entries: (column of the key, value's place).
#[derive(Debug, Default)]
struct Located {
    root: Option<Place>,
    rules: Option<(usize, Place)>,
    external: Option<(usize, Place)>,
}

struct Frame {
    place: Place,
    mapping: bool,
    /// For mappings: whether the next node is a key.
    at_key: bool,
    key: Option<String>,
    key_column: usize,
    /// Mapping keys from the root to this collection; None once inside a sequence.
    path: Option<Vec<String>>,
    /// A collection used as a mapping key (complex key): never a node we look for.
    is_key: bool,
}

fn locate(text: &str) -> Located {
    let mut found = Located::default();
    let mut stack: Vec<Frame> = Vec::new();
    let offset = |span: &Span, end: bool| {
        let marker = if end { span.end } else { span.start };
        marker.byte_offset().unwrap_or(0)
    };
    for next in Parser::new_from_str(text) {
        let Ok((event, span)) = next else { break };
        let (start, end) = (offset(&span, false), offset(&span, true));
        let (shape, opens) = match &event {
            Event::Scalar(value, style, ..) => (scalar_shape(value, *style), false),
            Event::Alias(_) => (Shape::Alias, false),
            Event::MappingStart(style, ..) => {
                (pick(*style, Shape::BlockMapping, Shape::FlowMapping), true)
            }
            Event::SequenceStart(style, ..) => (
                pick(*style, Shape::BlockSequence, Shape::FlowSequence),
                true,
            ),
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(mut frame) = stack.pop() else {
                    continue;
                };
                if matches!(frame.place.shape, Shape::FlowMapping | Shape::FlowSequence) {
                    frame.place.close = start;
                    frame.place.end = end;
                }
                if frame.is_key {
                    if let Some(parent) = stack.last_mut() {
                        parent.place.end = parent.place.end.max(frame.place.end);
                    }
                } else {
                    finish(&mut found, &mut stack, frame.place);
                }
                continue;
            }
            _ => continue,
        };
        let place = Place {
            shape,
            start,
            end,
            column: span.start.col(),
            close: end,
            empty: true,
        };
        if let Some(parent) = stack.last_mut() {
            parent.place.empty = false;
            parent.place.end = parent.place.end.max(end);
            if parent.mapping && parent.at_key {
                parent.at_key = false;
                parent.key_column = span.start.col();
                parent.key = match &event {
                    Event::Scalar(key, ..) => Some(key.to_string()),
                    _ => None,
                };
                if opens {
                    let mapping = matches!(event, Event::MappingStart(..));
                    stack.push(Frame {
                        place,
                        mapping,
                        at_key: true,
                        key: None,
                        key_column: 0,
                        path: None,
                        is_key: true,
                    });
                }
                continue;
            }
        }
        if opens {
            let path = child_path(&stack);
            let mapping = matches!(event, Event::MappingStart(..));
            stack.push(Frame {
                place,
                mapping,
                at_key: true,
                key: None,
                key_column: 0,
                path,
                is_key: false,
            });
        } else {
            finish(&mut found, &mut stack, place);
        }
    }
    found
}

/// The key path of a value about to be read in the innermost collection.
fn child_path(stack: &[Frame]) -> Option<Vec<String>> {
    let Some(parent) = stack.last() else {
        return Some(Vec::new());
    };
    if !parent.mapping {
        return None;
    }
    let mut path = parent.path.clone()?;
    path.push(parent.key.clone()?);
    Some(path)
}

/// Records a finished value node if it is one we look for, and moves its parent on.
fn finish(found: &mut Located, stack: &mut [Frame], place: Place) {
    let path = child_path(stack);
    let key_column = stack.last().map_or(0, |f| f.key_column);
    if let Some(parent) = stack.last_mut() {
        parent.place.end = parent.place.end.max(place.end);
        if parent.mapping {
            parent.at_key = true;
        }
    }
    match path.as_deref() {
        Some([]) if found.root.is_none() => found.root = Some(place),
        Some([rules]) if rules == "rules" => found.rules = Some((key_column, place)),
        Some([rules, external]) if rules == "rules" && external == "external" => {
            found.external = Some((key_column, place))
        }
        _ => {}
    }
}

fn pick(style: StructureStyle, block: Shape, flow: Shape) -> Shape {
    match style {
        StructureStyle::Block => block,
        _ => flow,
    }
}

fn scalar_shape(value: &str, style: ScalarStyle) -> Shape {
    let null = matches!(value, "" | "~" | "null" | "Null" | "NULL");
    if style == ScalarStyle::Plain && null {
        Shape::Null
    } else {
        Shape::Other
    }
}

/// One change to the text.
struct Edit {
    at: std::ops::Range<usize>,
    text: String,
}

fn plan(
    path: &Path,
    text: &str,
    located: &Located,
    rule: &Value,
) -> Result<Vec<Edit>, AdapterValuesError> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let unsupported = |key, how| AdapterValuesError::Unsupported {
        path: path.to_owned(),
        key,
        how,
    };
    let flow_rule = serde_json::to_string(rule).expect("a JSON value serializes");
    let item = |column: usize| {
        indent(
            &emit(&Node::from_json(&json!([rule])), Layout::default()),
            column,
            nl,
        )
    };
    let external_entry =
        |column: usize| format!("{}external:{nl}{}", " ".repeat(column), item(column + 2));
    match (located.rules, located.external) {
        (None, _) => match located.root {
            None => Ok(vec![append_at_end(
                text,
                format!("rules:{nl}{}", external_entry(2)),
                nl,
            )]),
            Some(root) if root.shape == Shape::BlockMapping => {
                let block = format!(
                    "{}rules:{nl}{}",
                    " ".repeat(root.column),
                    external_entry(root.column + 2)
                );
                Ok(vec![insert_after_line(text, root.end, block, nl)])
            }
            Some(root) if root.shape == Shape::FlowMapping => Ok(vec![into_flow(
                root,
                format!("rules: {{external: [{flow_rule}]}}"),
            )]),
            Some(_) => Err(unsupported("(top level)", "something else than a mapping")),
        },
        (Some((key_column, rules)), None) => match rules.shape {
            Shape::BlockMapping => Ok(vec![insert_after_line(
                text,
                rules.end,
                external_entry(rules.column),
                nl,
            )]),
            Shape::FlowMapping if !rules.empty => {
                Ok(vec![into_flow(rules, format!("external: [{flow_rule}]"))])
            }
            Shape::FlowMapping | Shape::Null => Ok(replace_with_block(
                text,
                rules,
                external_entry(key_column + 2),
                nl,
            )),
            Shape::Alias => Err(unsupported("rules", "an alias (*name)")),
            _ => Err(unsupported("rules", "something else than a mapping")),
        },
        (Some(_), Some((key_column, external))) => match external.shape {
            Shape::BlockSequence => Ok(vec![insert_after_line(
                text,
                external.end,
                item(external.column),
                nl,
            )]),
            Shape::FlowSequence if !external.empty => Ok(vec![into_flow(external, flow_rule)]),
            Shape::FlowSequence | Shape::Null => {
                Ok(replace_with_block(text, external, item(key_column + 2), nl))
            }
            Shape::Alias => Err(unsupported("rules.external", "an alias (*name)")),
            _ => Err(unsupported("rules.external", "something else than a list")),
        },
    }
}

/// Indents every line of `block` by `column` spaces, with the file's line endings.
fn indent(block: &str, column: usize, nl: &str) -> String {
    let pad = " ".repeat(column);
    block
        .lines()
        .map(|line| format!("{pad}{line}{nl}"))
        .collect()
}

/// Adds an entry before the closing bracket of a non-empty flow collection.
fn into_flow(place: Place, entry: String) -> Edit {
    Edit {
        at: place.close..place.close,
        text: format!(", {entry}"),
    }
}

/// Removes an empty `[]`, `{}` or null value (and the spaces before it) and writes `block`
/// on the lines after it; a comment on the same line stays where it is.
fn replace_with_block(text: &str, place: Place, block: String, nl: &str) -> Vec<Edit> {
    let spaces =
        text[..place.start].len() - text[..place.start].trim_end_matches([' ', '\t']).len();
    vec![
        Edit {
            at: place.start - spaces..place.end,
            text: String::new(),
        },
        insert_after_line(text, place.end, block, nl),
    ]
}

/// Inserts whole lines after the line where a node ends (after its trailing comment).
fn insert_after_line(text: &str, end: usize, block: String, nl: &str) -> Edit {
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    // A block scalar's span runs into the next line's indentation: insert before that line.
    if end > 0 && line_start > 0 && text[line_start..end].trim().is_empty() {
        return Edit {
            at: line_start..line_start,
            text: block,
        };
    }
    match text[end..].find('\n') {
        Some(i) => Edit {
            at: end + i + 1..end + i + 1,
            text: block,
        },
        None => Edit {
            at: text.len()..text.len(),
            text: format!("{nl}{block}"),
        },
    }
}

fn append_at_end(text: &str, block: String, nl: &str) -> Edit {
    let separator = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        nl
    };
    Edit {
        at: text.len()..text.len(),
        text: format!("{separator}{block}"),
    }
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
