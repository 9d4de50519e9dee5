//! Validation of merged values: the schema (every error at once), the rules it cannot
//! state, then the typed read; each problem placed in the file that set the value.

use std::sync::OnceLock;

use serde_json::Value;

use super::describe::{self, Finding, Found, Place};
use super::needs::{self, Command};
use super::positions::{Position, PositionIndex, Written};
use super::problem::{Problem, Rule, yaml_path};
use super::{LoadedValues, Values, rules, schema};
use crate::catalog::{CatalogError, secret_catalog};

/// The validator of the generated schema. Patterns use the `regex` engine (RE2 syntax,
/// like Go's regexp in Helm), so a pattern Helm could not compile fails here too.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft7::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(schema::schema())
            .expect("the generated schema compiles (checked by the schema tests)")
    })
}

/// The typed values, or every problem found in them.
pub fn check(loaded: &LoadedValues) -> Result<Values, Vec<Problem>> {
    let schema = schema::schema();
    let mut findings: Vec<Finding> = validator()
        .iter_errors(&loaded.merged)
        .flat_map(|error| describe::findings(schema, &error))
        .collect();
    findings.extend(rules::check(&loaded.merged));
    if findings.is_empty() {
        match serde_path_to_error::deserialize::<_, Values>(&loaded.merged) {
            Ok(values) => match catalog_refusal(&values) {
                None => return Ok(values),
                Some(finding) => findings.push(finding),
            },
            // The schema is generated from these types, so this means a bug; still, the
            // operator gets a placed problem and not a panic.
            Err(e) => findings.push(type_finding(&e)),
        }
    }
    Err(place(loaded, findings))
}

/// The unmet needs of `values` that `command` has (every command's when `None`), each placed
/// in the file that sets (or should set) the value, with the commands that have it.
pub fn needs(
    loaded: &LoadedValues,
    values: &Values,
    command: Option<Command>,
) -> Vec<(Problem, &'static [Command])> {
    needs::check(values)
        .into_iter()
        .filter(|need| command.is_none_or(|c| need.commands.contains(&c)))
        .map(|need| {
            let problem = place(loaded, vec![need.finding])
                .pop()
                .expect("one finding is one problem");
            (problem, need.commands)
        })
        .collect()
}

/// One problem, worded by the caller, at the value of `pointer`.
pub fn problem_at(
    loaded: &LoadedValues,
    pointer: &str,
    rule: Rule,
    found: &str,
    expected: &str,
) -> Problem {
    let finding = Finding {
        place: Place::Value(pointer.to_owned()),
        pointer: pointer.to_owned(),
        rule,
        found: Found::Words(found.to_owned()),
        expected: expected.to_owned(),
        suggestion: None,
        quote: false,
    };
    place(loaded, vec![finding])
        .pop()
        .expect("one finding is one problem")
}

fn type_finding(error: &serde_path_to_error::Error<serde_json::Error>) -> Finding {
    let pointer: String = error
        .path()
        .iter()
        .map(|segment| format!("/{segment}"))
        .collect();
    Finding {
        place: Place::Value(pointer.clone()),
        pointer,
        rule: Rule::Type,
        found: Found::Words("a value the typed contract refuses".to_owned()),
        expected: error.inner().to_string(),
        suggestion: None,
        quote: false,
    }
}

/// The secret catalog the commands build from these values, refused: the schema and the
/// rules report every such mistake first, so this means a rule is missing; still, the
/// operator gets a placed problem, and no command starts with a catalog it would refuse.
fn catalog_refusal(values: &Values) -> Option<Finding> {
    let catalog = &values.smi.secrets.catalog;
    let CatalogError::Inconsistent { secret, message } = secret_catalog(catalog).err()?;
    let pointer = match catalog.iter().rposition(|s| s.name == secret) {
        Some(index) => format!("/smi/secrets/catalog/{index}"),
        None => "/smi/secrets/catalog".to_owned(),
    };
    Some(Finding {
        place: Place::Value(pointer.clone()),
        pointer,
        rule: Rule::Inconsistent,
        found: Found::Words(format!("a secret the catalog refuses ({message})")),
        expected: "a secret as the catalog describes them (docs/values.md, smi.secrets.catalog)"
            .to_owned(),
        suggestion: None,
        quote: false,
    })
}

/// Turns findings into problems at file, line and column, in file order.
fn place(loaded: &LoadedValues, findings: Vec<Finding>) -> Vec<Problem> {
    let indexes: Vec<&PositionIndex> = loaded.files.iter().map(|f| &f.positions).collect();
    let mut placed: Vec<(usize, Problem)> = findings
        .into_iter()
        .map(|finding| {
            let (file, position, written) = match &finding.place {
                Place::Item {
                    pointer,
                    offset,
                    item,
                } => locate_item(loaded, pointer, *offset, item),
                _ => locate(&indexes, &finding),
            };
            let redact = finding.pointer.starts_with("/smi/secrets");
            let source = written.and_then(|w| w.source.as_deref());
            let suggestion = match (finding.quote, source) {
                (true, Some(text)) if !redact => Some(format!(
                    "{} (quoted, YAML keeps it a string)",
                    Value::String(text.to_owned())
                )),
                _ => finding.suggestion,
            };
            let problem = Problem {
                file: loaded
                    .files
                    .get(file)
                    .map(|f| f.path.clone())
                    .unwrap_or_default(),
                line: position.line,
                column: position.column,
                path: yaml_path(&finding.pointer),
                rule: finding.rule,
                found: found_text(&finding.found, written, redact),
                expected: finding.expected,
                suggestion,
            };
            (file, problem)
        })
        .collect();
    placed.sort_by(|(fa, a), (fb, b)| {
        (fa, a.line, a.column, &a.path, a.rule).cmp(&(fb, b.line, b.column, &b.path, b.rule))
    });
    // One problem per value for its format: the pattern's words already give the lengths.
    placed.dedup_by(|(_, later), (_, first)| {
        later == first
            || (later.path == first.path
                && later.line == first.line
                && first.rule == Rule::Format
                && later.rule == Rule::Range)
    });
    placed.into_iter().map(|(_, p)| p).collect()
}

/// The last file that writes the pointer (later files win in the merge), or else the
/// closest ancestor it writes; the start of the last file when nothing matches.
fn locate<'a>(
    indexes: &[&'a PositionIndex],
    finding: &Finding,
) -> (usize, Position, Option<&'a Written>) {
    let (mut pointer, want_key) = match &finding.place {
        Place::Value(p) => (p.as_str(), false),
        Place::Key(p) => (p.as_str(), true),
        // Placed by `locate_item`, which reads the file's text.
        Place::Item { pointer, .. } => (pointer.as_str(), false),
    };
    let last = indexes.len().saturating_sub(1);
    loop {
        let hit = indexes
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, index)| index.get(pointer).map(|w| (i, w)));
        if let Some((file, written)) = hit {
            let exact = pointer == finding.pointer;
            let position = match (want_key || !exact, written.key) {
                (true, Some(key)) => key,
                _ => written.value,
            };
            return (file, position, exact.then_some(written));
        }
        match pointer.rsplit_once('/') {
            Some((parent, _)) => pointer = parent,
            None => return (last, Position::START, None),
        }
    }
}

/// An item of a comma-separated string: at its own column when the file writes the string
/// on one line with the item as it reads (plain, or quoted without escapes before it), else
/// at the string.
fn locate_item<'a>(
    loaded: &'a LoadedValues,
    pointer: &str,
    offset: usize,
    item: &str,
) -> (usize, Position, Option<&'a Written>) {
    let Some((file, written)) = loaded
        .files
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, f)| f.positions.get(pointer).map(|w| (i, w)))
    else {
        return (loaded.files.len().saturating_sub(1), Position::START, None);
    };
    let mut position = written.value;
    let source = loaded.files[file]
        .text
        .lines()
        .nth(position.line.saturating_sub(1))
        .and_then(|line| {
            let start = line
                .char_indices()
                .nth(position.column.saturating_sub(1))?
                .0;
            line.get(start..)
        });
    if let Some(source) = source {
        let quote = usize::from(source.starts_with(['"', '\'']));
        let start = quote + offset;
        let escapes_before = source
            .get(quote..start)
            .is_none_or(|before| before.contains(['\\', '\'', '"']));
        if !escapes_before && source.get(start..start + item.len()) == Some(item) {
            position.column += source[..start].chars().count();
        }
    }
    (file, position, None)
}

/// What was found, with how the file writes it when YAML read it as something else
/// (`on` is the boolean true to Helm; `012345678901` is a number).
fn found_text(found: &Found, written: Option<&Written>, redact: bool) -> String {
    let value = match found {
        Found::Words(words) => return words.clone(),
        Found::Value(value) => value,
    };
    let source = written.and_then(|w| w.source.as_deref());
    match value {
        Value::String(_) if redact => "a string".to_owned(),
        Value::String(s) => {
            let shown: String = s.chars().take(80).collect();
            let cut = if shown.len() < s.len() { "…" } else { "" };
            format!("{}{cut}", Value::String(shown))
        }
        Value::Number(n) => {
            let n = number_text(n);
            match source {
                Some(text) if text != n => format!("`{text}`, which YAML reads as the number {n}"),
                _ => format!("the number {n}"),
            }
        }
        Value::Bool(b) => match source {
            Some(text) if text != b.to_string() => {
                format!("`{text}`, which Helm's YAML reads as the boolean {b}")
            }
            _ => format!("the boolean {b}"),
        },
        Value::Null => "an empty value (null)".to_owned(),
        Value::Array(items) => format!(
            "a list of {} item{}",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// A number as an operator writes it: `12345678901`, not `12345678901.0`.
fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}
