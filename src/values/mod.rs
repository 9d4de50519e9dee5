//! Values files: read as Helm reads them (YAML 1.1 scalars), merged as Helm merges several
//! `-f` files (later files win, maps merge key by key, `null` removes a key), then typed.

mod describe;
pub mod format;
mod keywords;
mod model;
pub mod needs;
mod positions;
mod problem;
pub mod reference;
mod rules;
pub mod schema;
mod skeleton;
mod validate;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use model::{
    ActiveMq, Autoscaler, Aws, AwsIdentity, AwsSecretsManagerBackup, AwsSecurityGroups, Buckets,
    Cloud, Dns, EgressRule, Endpoints, ExternalAws, ExternalOci, ExternalProvider, ExternalSecrets,
    ExternalStore, FileBackup, HostPort, Kafka, LoadBalancer, LoadBalancerScheme, NetworkPolicy,
    Oci, OciVaultBackup, Overlays, PolicyDns, PolicyEngine, Prometheus, Protocol, Provider,
    RuleAction, SecretBackup, Secrets, Smi, StoreKind, Values, partition_of_region,
};
pub use problem::{Problem, Rule};
pub use skeleton::{placeholders, skeleton};

use crate::error::Hint;
use crate::stream::{Limits, Node, StreamError, read_yaml_document};
use positions::PositionIndex;

/// Values files are a few kilobytes; anything near this size is a mistake (a wrong file
/// passed, a rendered manifest instead of values), refused before it is parsed.
pub const MAX_VALUES_BYTES: usize = 4 * 1024 * 1024;

/// Why values could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    /// No values file was given.
    #[error("no values file given")]
    NoFiles,
    /// A values file cannot be read.
    #[error("cannot read values file {path}: {source}")]
    Read {
        /// The values file given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The values break the contract: every problem, each at its file, line and column.
    #[error("{}", problems_text(problems))]
    Invalid {
        /// Every problem of every file, in file order.
        problems: Vec<Problem>,
    },
}

impl Hint for ValuesError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            ValuesError::NoFiles => {
                "pass the platform's values file with -f values.yaml (or set SMI_VALUES)"
            }
            ValuesError::Read { .. } => "check the path and its permissions",
            ValuesError::Invalid { .. } => {
                "fix each value at the place shown; `kubectl smi schema` prints the contract and docs/values.md explains every key"
            }
        })
    }
}

fn problems_text(problems: &[Problem]) -> String {
    let count = problems.len();
    let mut text = format!(
        "the values are not valid ({count} problem{}):",
        if count == 1 { "" } else { "s" }
    );
    for problem in problems {
        text.push_str("\n  ");
        text.push_str(&problem.to_string().replace('\n', "\n  "));
    }
    text
}

/// One values file as read.
#[derive(Debug, Clone)]
pub struct ValuesFile {
    /// The path as given on the command line.
    pub path: PathBuf,
    /// The file's text, for placing problems by line and column.
    pub text: String,
    /// Its content as Helm reads it (an empty file is an empty mapping).
    pub json: Value,
    /// Where each value is written in `text`.
    pub positions: PositionIndex,
}

/// Values files read in order, and their merge.
#[derive(Debug, Clone)]
pub struct LoadedValues {
    /// The files, in the order given (a later file wins).
    pub files: Vec<ValuesFile>,
    /// Their merge, as Helm merges values files: mappings deep-merged, null removes a key, anything
    /// else replaced.
    pub merged: Value,
}

impl LoadedValues {
    /// The typed `smi` section, once the merged values pass the schema and the rules it
    /// cannot state; otherwise every problem, placed in the file that set the value.
    pub fn typed(&self) -> Result<Values, ValuesError> {
        validate::check(self).map_err(|problems| ValuesError::Invalid { problems })
    }

    /// The typed values for `command`: as [`LoadedValues::typed`], and also refused when
    /// they lack what `command` needs (see [`needs`]), with the problems `validate` reports.
    pub fn typed_for(&self, command: needs::Command) -> Result<Values, ValuesError> {
        let values = self.typed()?;
        let problems: Vec<Problem> = validate::needs(self, &values, Some(command))
            .into_iter()
            .map(|(problem, _)| problem)
            .collect();
        if problems.is_empty() {
            Ok(values)
        } else {
            Err(ValuesError::Invalid { problems })
        }
    }

    /// Every unmet need of every command in the typed `values` (read from these files), each
    /// placed like a problem of the contract, with the commands that have it.
    pub fn needs(&self, values: &Values) -> Vec<(Problem, &'static [needs::Command])> {
        validate::needs(self, values, None)
    }

    /// A problem with the value at the JSON `pointer` (`/smi/overlays/patches/0`), placed in
    /// the file that sets it, for checks made outside this module (the render's overlays).
    pub fn problem_at(&self, pointer: &str, rule: Rule, found: &str, expected: &str) -> Problem {
        validate::problem_at(self, pointer, rule, found, expected)
    }

    /// The directory of the last values file, against which relative paths in values resolve.
    pub fn base_dir(&self) -> PathBuf {
        self.files
            .last()
            .and_then(|f| f.path.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// Loads, merges and validates values files: what every command that reads values calls.
pub fn load_valid(paths: &[PathBuf]) -> Result<(LoadedValues, Values), ValuesError> {
    let loaded = load(paths)?;
    let values = loaded.typed()?;
    Ok((loaded, values))
}

/// Reads one values file given as text (named `path` in messages), merged as Helm merges a
/// single `-f` file: what [`load`] does for one file, without reading it from disk.
pub fn load_text(path: &Path, text: String) -> Result<LoadedValues, ValuesError> {
    let file = parse(path, text)?;
    let mut merged = Value::Object(Map::new());
    merge(&mut merged, &file.json);
    Ok(LoadedValues {
        files: vec![file],
        merged,
    })
}

/// Reads and merges values files. A file that is not readable YAML mapping is a problem
/// of its own; every file is read so that all such problems are reported at once.
pub fn load(paths: &[PathBuf]) -> Result<LoadedValues, ValuesError> {
    if paths.is_empty() {
        return Err(ValuesError::NoFiles);
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match read_file(path) {
            Ok(file) => files.push(file),
            Err(ValuesError::Invalid { problems: found }) => problems.extend(found),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(ValuesError::Invalid { problems });
    }
    let mut merged = Value::Object(Map::new());
    for file in &files {
        merge(&mut merged, &file.json);
    }
    Ok(LoadedValues { files, merged })
}

fn limits() -> Limits {
    Limits {
        max_bytes: MAX_VALUES_BYTES,
        ..Limits::default()
    }
}

/// Reads and parses one values file (at most [`MAX_VALUES_BYTES`]).
/// Errors: [`ValuesError::Read`] when it cannot be read; [`ValuesError::Invalid`] when it is not
/// UTF-8 YAML holding one mapping.
pub fn read_file(path: &Path) -> Result<ValuesFile, ValuesError> {
    let read_error = |source| ValuesError::Read {
        path: path.to_owned(),
        source,
    };
    let handle = std::fs::File::open(path).map_err(read_error)?;
    let text = crate::stream::read_input(handle, &limits()).map_err(|source| match source {
        StreamError::Io(e) => read_error(e),
        source => file_problem(path, &source),
    })?;
    parse(path, text)
}

/// Parses the text of a values file named `path`.
pub fn parse(path: &Path, text: String) -> Result<ValuesFile, ValuesError> {
    let node = read_yaml_document(&text, &limits()).map_err(|e| file_problem(path, &e))?;
    if let Some(problem) = infinite_number(path, &text) {
        return Err(ValuesError::Invalid {
            problems: vec![problem],
        });
    }
    let mut json = node
        .as_ref()
        .map_or(Value::Object(Map::new()), Node::to_json);
    integral_numbers(&mut json);
    let found = match &json {
        Value::Object(_) | Value::Null => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
    };
    if let Some(found) = found {
        let at = first_content_line(&text);
        return Err(ValuesError::Invalid {
            problems: vec![Problem {
                file: path.to_owned(),
                line: at,
                column: 1,
                path: String::new(),
                rule: Rule::NotAMapping,
                found: format!("{found} at the top of the file"),
                expected: "a mapping (key: value) with the `smi:` section at the top".to_owned(),
                suggestion: None,
            }],
        });
    }
    let json = if json.is_null() {
        Value::Object(Map::new())
    } else {
        json
    };
    let positions = PositionIndex::new(&text, node.as_ref());
    Ok(ValuesFile {
        path: path.to_owned(),
        text,
        json,
        positions,
    })
}

/// `.inf`, `-.inf` and `.nan` are floats to YAML 1.1, but JSON has no such numbers: Helm's
/// values reader refuses the whole file ("json: unsupported value: +Inf"), wherever the value
/// is. The first one, as a problem at its place.
fn infinite_number(path: &Path, text: &str) -> Option<Problem> {
    use granit_parser::{Event, Options, Parser, ScalarStyle};
    const WORDS: [&str; 12] = [
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN",
    ];
    let mut options = Options::default();
    options.set_emit_comments(false);
    for next in Parser::new_from_str_with_options(text, options) {
        let Ok((event, span)) = next else { break };
        if let Event::Scalar(value, ScalarStyle::Plain, _, tag) = event
            && WORDS.contains(&value.as_ref())
            && tag.is_none_or(|t| t.suffix() == "float")
        {
            return Some(Problem {
                file: path.to_owned(),
                line: span.start.line(),
                column: span.start.col() + 1,
                path: String::new(),
                rule: Rule::Type,
                found: format!(
                    "`{value}`, a float JSON cannot hold (Helm's values reader refuses the whole file)"
                ),
                expected: format!(
                    "a finite number, or the text quoted (\"{value}\") if a string is meant"
                ),
                suggestion: None,
            });
        }
    }
    None
}

/// Helm holds every number of a values file as a float64, so `27017.0` and `2.7017e4` are
/// the integer 27017 to it and to JSON Schema: such numbers are read as integers here too
/// (up to 2^53, where float64 stops holding every integer).
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= 9_007_199_254_740_992.0
            {
                *n = if f < 0.0 {
                    (f as i64).into()
                } else {
                    (f as u64).into()
                };
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn first_content_line(text: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && l != "---"
        })
        .map_or(1, |i| i + 1)
}

/// A values file that cannot be read as one YAML document, as a problem at its place.
fn file_problem(path: &Path, error: &StreamError) -> ValuesError {
    let (line, column, found, expected) = match error {
        StreamError::TooLarge { limit } => (
            1,
            1,
            format!("a file larger than {} MiB", limit / (1024 * 1024)),
            "a values file (a few kilobytes): is this the right file?".to_owned(),
        ),
        StreamError::InvalidUtf8 { at } => (
            at.line,
            at.column,
            "bytes that are not UTF-8 text".to_owned(),
            "a YAML text file in UTF-8 (is this a binary or an encrypted file?)".to_owned(),
        ),
        StreamError::Syntax { at, message } => (
            at.line,
            at.column,
            format!("invalid YAML: {message}"),
            "valid YAML: check the indentation and quoting at this place".to_owned(),
        ),
        StreamError::NotAnObject { at, .. } | StreamError::TooManyDocuments { at, .. } => (
            at.line,
            at.column,
            "a second YAML document (`---`)".to_owned(),
            "one YAML document per values file: split it into two files, each given with -f"
                .to_owned(),
        ),
        StreamError::TooDeep { at, limit } => (
            at.line,
            at.column,
            format!("nesting deeper than {limit} levels"),
            "values nested a few levels deep (is this generated by mistake?)".to_owned(),
        ),
        StreamError::TooManyNodes { at, limit } => (
            at.line,
            at.column,
            format!("more than {limit} values once anchors and aliases are expanded"),
            "values without an alias bomb".to_owned(),
        ),
        StreamError::RecursiveAlias { at } => (
            at.line,
            at.column,
            "an alias inside the node it refers to".to_owned(),
            "aliases that refer to other nodes".to_owned(),
        ),
        other => (
            1,
            1,
            other.to_string(),
            "a readable YAML values file".to_owned(),
        ),
    };
    ValuesError::Invalid {
        problems: vec![Problem {
            file: path.to_owned(),
            line,
            column,
            path: String::new(),
            rule: Rule::Syntax,
            found,
            expected,
            suggestion: None,
        }],
    }
}

/// Helm's merge of `-f` files: maps merge recursively, anything else is replaced, and a
/// `null` removes the key.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                if value.is_null() {
                    base.remove(key);
                } else if let Some(existing) = base.get_mut(key) {
                    merge(existing, value);
                } else {
                    base.insert(key.clone(), value.clone());
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_files_win_and_maps_merge() {
        let mut base = json!({"smi": {"dns": {"app": "a", "api": "b"}, "environment": "dev"}});
        merge(
            &mut base,
            &json!({"smi": {"dns": {"app": "x"}, "environment": null}}),
        );
        assert_eq!(base, json!({"smi": {"dns": {"app": "x", "api": "b"}}}));
    }

    #[test]
    fn values_are_read_as_helm_reads_them() {
        let file = parse(
            Path::new("v.yaml"),
            "a: on\nb: '0755'\nc: 0755\n".to_owned(),
        )
        .unwrap();
        assert_eq!(file.json, json!({"a": true, "b": "0755", "c": 493}));
    }

    #[test]
    fn merge_keys_are_applied_as_helm_applies_them() {
        let text = "\
base: &base {region: us-east-1, accountId: '1', x: base}
more: &more {x: more, z: more}
a: {<<: *base, x: own}
b:
  <<: [*more, *base]
c: {<<: plain}
d: {'<<': *base}
";
        let file = parse(Path::new("v.yaml"), text.to_owned()).unwrap();
        let json = &file.json;
        assert_eq!(
            json["a"],
            json!({"region": "us-east-1", "accountId": "1", "x": "own"})
        );
        // Earlier mappings of a merge sequence win.
        assert_eq!(
            json["b"],
            json!({"x": "more", "z": "more", "region": "us-east-1", "accountId": "1"})
        );
        // Not a mapping, or a quoted key: an ordinary key named `<<`.
        assert_eq!(json["c"], json!({"<<": "plain"}));
        assert_eq!(json["d"]["<<"]["x"], "base");
    }

    #[test]
    fn integral_floats_are_integers_as_to_helm() {
        let file = parse(
            Path::new("v.yaml"),
            "a: 27017.0\nb: 2.7017e4\nc: 1.5\nd: -3.0\ne: [1e20]\n".to_owned(),
        )
        .unwrap();
        assert_eq!(
            file.json,
            json!({"a": 27017, "b": 27017, "c": 1.5, "d": -3, "e": [1e20]})
        );
        assert!(file.json["a"].is_u64() && file.json["d"].is_i64());
    }

    #[test]
    fn an_infinite_float_is_refused_as_helm_refuses_it() {
        for text in [
            "global:\n  x: .inf\n",
            "a: [1, -.Inf]\n",
            "b: !!float .nan\n",
        ] {
            let err = parse(Path::new("v.yaml"), text.to_owned()).unwrap_err();
            assert!(
                err.to_string().contains("a float JSON cannot hold"),
                "{err}"
            );
        }
        let quoted = parse(Path::new("v.yaml"), "a: '.inf'\nb: !!str .nan\n".to_owned()).unwrap();
        assert_eq!(quoted.json, json!({"a": ".inf", "b": ".nan"}));
    }

    #[test]
    fn text_after_a_document_end_marker_is_a_problem_not_a_crash() {
        let err = parse(
            Path::new("v.yaml"),
            "global:\n...\nsmi:\n  environment: prod\n".to_owned(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("one YAML document per values file"),
            "{err}"
        );
    }

    #[test]
    fn a_list_is_not_a_values_file() {
        let err = parse(Path::new("v.yaml"), "# values\n- a\n".to_owned()).unwrap_err();
        assert!(
            err.to_string()
                .contains("v.yaml:2:1: found a list at the top of the file"),
            "{err}"
        );
    }
}
