//! `docs/values.md`, the key-by-key reference of the values, written from the schema's
//! descriptions, the format table and the rules checked in code, so that it says what the
//! validator checks. A test keeps the committed file current.

use serde_json::Value;

use super::format::{self, Format};
use super::rules;

/// Where the reference is committed, relative to the repository root.
pub const REFERENCE_PATH: &str = "docs/values.md";

/// The reference, as Markdown.
pub fn markdown(schema: &Value) -> String {
    let mut out = String::new();
    out.push_str("# Values reference\n\n");
    out.push_str(
        "<!-- Generated from the typed values (src/values/model.rs) by `UPDATE_GOLDEN=1 cargo nextest run values_reference`. Do not edit by hand. -->\n\n",
    );
    if let Some(d) = description(schema) {
        out.push_str(&format!("{d}\n\n"));
    }
    out.push_str(
        "Check a values file with `kubectl smi validate -f values.yaml`; the JSON Schema is `schemas/values.schema.json` (`kubectl smi schema`). Complete examples: `examples/values-aws.yaml` (EKS Pod Identity), `examples/values-aws-irsa.yaml` (IRSA), `examples/values-oci.yaml` (OKE).\n\n",
    );
    out.push_str("Keys marked *required* must be present; the others take the default shown, or are left out. An empty value (`key:` or `key: null`) counts as absent for optional keys.\n");
    section(&mut out, schema, "");
    out.push_str("\n## Rules beyond single values\n\n");
    for (rule, text) in rules::DESCRIPTIONS {
        out.push_str(&format!("- **{rule}**: {text}\n"));
    }
    out.push_str("\n## What commands need\n\n");
    out.push_str("Values the contract allows but some commands cannot work with; `validate` reports each, naming the commands that need it.\n\n");
    for (need, text) in super::needs::DESCRIPTIONS {
        out.push_str(&format!("- **{need}**: {text}\n"));
    }
    out.push_str("\n## Formats\n\n");
    out.push_str("Checked by pattern (RE2 syntax, which Helm's validator also compiles):\n\n");
    for f in format::ALL {
        format_entry(&mut out, f);
    }
    out
}

fn section(out: &mut String, schema: &Value, path: &str) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    if !path.is_empty() {
        out.push_str(&format!("\n## `{path}`\n\n"));
        if let Some(d) = description(schema) {
            out.push_str(&format!("{d}\n\n"));
        }
        for line in conditions(schema) {
            out.push_str(&format!("- {line}\n"));
        }
        if !conditions(schema).is_empty() {
            out.push('\n');
        }
        out.push_str("| key | value | required / default | what it is |\n|---|---|---|---|\n");
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, sub) in properties {
            let need = if required.contains(&key.as_str()) {
                "*required*".to_owned()
            } else {
                match sub.get("default") {
                    Some(d) if !is_empty_default(d) => format!("`{}`", compact(d)),
                    _ => "optional".to_owned(),
                }
            };
            out.push_str(&format!(
                "| `{key}` | {} | {need} | {} |\n",
                value_words(sub),
                cell(description(sub).unwrap_or_default())
            ));
        }
    }
    for (key, sub) in properties {
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        section(out, sub, &child);
        if let Some(items) = sub.get("items") {
            section(out, items, &format!("{child}[]"));
        }
    }
}

/// The `if`/`then` rules of an object, in words.
fn conditions(schema: &Value) -> Vec<String> {
    let Some(rules) = schema.get("allOf").and_then(Value::as_array) else {
        return Vec::new();
    };
    rules
        .iter()
        .filter_map(|rule| {
            let when: Vec<String> = rule
                .pointer("/if/properties")?
                .as_object()?
                .iter()
                .map(|(k, t)| match t.get("const") {
                    Some(v) => format!("`{k}` is `{}`", compact(v)),
                    None => format!("`{k}` is not empty"),
                })
                .collect();
            let (word, then) = match (rule.get("then"), rule.get("else")) {
                (Some(then), _) => ("When", then),
                (None, Some(otherwise)) => ("Unless", otherwise),
                (None, None) => return None,
            };
            let mut musts = Vec::new();
            for key in then
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                musts.push(format!("`{}` is required", key.as_str()?));
            }
            for (key, test) in then
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                match test {
                    Value::Bool(false) => musts.push(format!("`{key}` is not allowed")),
                    other => match other.get("const") {
                        Some(v) => musts.push(format!("`{key}` must be `{}`", compact(v))),
                        None => continue,
                    },
                }
            }
            Some(format!(
                "{word} {}: {}.",
                when.join(" and "),
                musts.join(", ")
            ))
        })
        .collect()
}

fn value_words(schema: &Value) -> String {
    let types = super::describe::types_of(schema);
    if types.contains(&"array") && types.contains(&"string") {
        let list = value_words(&only_type(schema, "array"));
        return match pattern_format(schema) {
            Some(f) => format!("{list}; or {} ([format](#{}))", f.name, anchor(f)),
            None => format!("{list}; or a string"),
        };
    }
    if let Some(f) = pattern_format(schema) {
        return format!("{} ([format](#{}))", f.name, anchor(f));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let shown: Vec<String> = options
            .iter()
            .filter(|o| !o.is_null())
            .map(|o| format!("`{}`", compact(o)))
            .collect();
        return format!("one of {}", shown.join(", "));
    }
    let types = super::describe::types_of(schema);
    match types.first().copied() {
        Some("integer") => super::describe::expected_of(schema),
        Some("boolean") => "`true` or `false`".to_owned(),
        Some("string") => "a string".to_owned(),
        Some("object") if schema.get("properties").is_some() => "a mapping (below)".to_owned(),
        Some("object") => "a mapping".to_owned(),
        Some("array") => {
            let items = schema.get("items").unwrap_or(&Value::Null);
            let each = if items.get("properties").is_some() {
                "a mapping (below)".to_owned()
            } else {
                value_words(items)
            };
            let min = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .filter(|m| *m > 0);
            match min {
                Some(m) => format!("a list of at least {m}, each {each}"),
                None => format!("a list, each {each}"),
            }
        }
        _ => "any value".to_owned(),
    }
}

/// A schema that takes several types, narrowed to one (its other keywords kept).
fn only_type(schema: &Value, ty: &str) -> Value {
    let mut narrowed = schema.clone();
    if let Some(object) = narrowed.as_object_mut() {
        object.insert("type".into(), ty.into());
        object.remove("pattern");
    }
    narrowed
}

fn format_entry(out: &mut String, f: &Format) {
    out.push_str(&format!("### {}\n\n", title(f)));
    out.push_str(&format!("- Rule: {}", f.rule));
    let also: Vec<&str> = f.forbidden.iter().map(|(_, rule)| *rule).collect();
    if !also.is_empty() {
        out.push_str(&format!("; {}", also.join("; ")));
    }
    out.push_str(&format!(".\n- Pattern: `{}`\n", f.pattern));
    let examples: Vec<String> = f
        .valid
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| format!("`{v}`"))
        .collect();
    out.push_str(&format!("- Examples: {}\n\n", examples.join(", ")));
}

fn pattern_format(schema: &Value) -> Option<&'static Format> {
    schema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(format::by_pattern)
}

/// The format's heading: its name without the article.
fn title(f: &Format) -> String {
    let name = f
        .name
        .strip_prefix("an ")
        .or_else(|| f.name.strip_prefix("a "))
        .unwrap_or(f.name);
    capitalized(name)
}

/// The anchor GitHub gives the format's heading.
fn anchor(f: &Format) -> String {
    title(f)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn description(schema: &Value) -> Option<&str> {
    schema.get("description").and_then(Value::as_str)
}

fn is_empty_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(_) => true,
        _ => false,
    }
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
