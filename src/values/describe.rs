//! JSON Schema errors in an operator's words: what was found, what is expected (from the
//! format table and the schema itself, never a raw schema dump), and what was probably meant.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind as Kind;
use serde_json::Value;

use super::format::{self, Format};
use super::problem::Rule;

/// A problem before it is placed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// JSON pointer of the value the problem is about (for a missing key: where it belongs).
    pub pointer: String,
    /// Where to point in the file.
    pub place: Place,
    pub rule: Rule,
    pub found: Found,
    pub expected: String,
    pub suggestion: Option<String>,
    /// A number or boolean where a string is expected: suggest the value quoted.
    pub quote: bool,
}

/// The part of the file a problem is shown at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The value at this pointer.
    Value(String),
    /// The key of the entry at this pointer (the mapping a key is missing from, an unknown key).
    Key(String),
    /// An item of the comma-separated string at this pointer: `offset` bytes into the string,
    /// `item` as read there (shown at its own column when the file writes it on one line).
    Item {
        /// The string's pointer.
        pointer: String,
        /// Where the item starts in the string, in bytes.
        offset: usize,
        /// The item, trimmed.
        item: String,
    },
}

/// What was found, described once the file that wrote it is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A value: described with the way it is written in the file.
    Value(Value),
    /// Fixed words ("no `filesvc` key").
    Words(String),
}

/// The findings one schema error stands for (an unknown-keys error names several keys).
pub fn findings(schema: &Value, error: &ValidationError<'_>) -> Vec<Finding> {
    let pointer = error.instance_path().as_str().to_owned();
    let schema_path = error.schema_path().as_str();
    // The subschema holding the failed keyword: the path minus its last segment.
    let subschema_path = schema_path
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent);
    let subschema = schema.pointer(subschema_path).unwrap_or(&Value::Null);
    let condition = condition(schema, schema_path);
    let value = || Found::Value(error.instance().clone().into_owned());
    let finding = |rule, expected: String| Finding {
        pointer: pointer.clone(),
        place: Place::Value(pointer.clone()),
        rule,
        found: value(),
        expected: with_condition(expected, &condition),
        suggestion: None,
        quote: false,
    };
    match error.kind() {
        Kind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            // The object's own schema of the key: an `if`/`then` rule may name the key in its
            // `properties` too, only to refuse an empty value.
            let property_schema = parent_property(schema, subschema_path, key)
                .or_else(|| subschema.pointer(&format!("/properties/{}", escape(key))))
                .unwrap_or(&Value::Null);
            vec![Finding {
                pointer: format!("{pointer}/{}", escape(key)),
                place: Place::Key(pointer.clone()),
                rule: Rule::Missing,
                found: Found::Words(format!("no `{key}` key")),
                expected: with_condition(
                    format!("`{key}`: {}", expected_of(property_schema)),
                    &condition,
                ),
                suggestion: None,
                quote: false,
            }]
        }
        Kind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| unknown_key(schema, subschema, &pointer, key))
            .collect(),
        Kind::FalseSchema => {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let what = if error.instance().is_object() {
                "section"
            } else {
                "key"
            };
            vec![Finding {
                place: Place::Key(pointer.clone()),
                found: Found::Words(format!("the `{key}` {what}")),
                ..finding(Rule::NotAllowed, format!("no `{key}` {what}"))
            }]
        }
        Kind::Type { .. } if type_includes(subschema, "array") && is_scalar(error.instance()) => {
            let mut f = finding(Rule::Type, list_expected(subschema));
            // A value that may also be a string has no one-item list to suggest (a number
            // is no host:port); nor is a value under smi.secrets ever echoed.
            if !type_includes(subschema, "string") && !pointer.starts_with("/smi/secrets") {
                f.suggestion = as_flow_list(subschema, error.instance());
            }
            vec![f]
        }
        Kind::Type { .. } => {
            let scalar = matches!(error.instance().as_ref(), Value::Number(_) | Value::Bool(_));
            vec![Finding {
                quote: scalar && type_includes(subschema, "string"),
                ..finding(Rule::Type, expected_of(subschema))
            }]
        }
        Kind::Pattern { pattern } if *pattern == format::HOST_PORT_LIST.pattern => {
            let text = error.instance().as_str().unwrap_or_default().to_owned();
            let items = list_item_findings(&pointer, &text);
            if items.is_empty() {
                vec![finding(Rule::Format, format::HOST_PORT_LIST.expected())]
            } else {
                items
            }
        }
        Kind::Pattern { pattern } => {
            let expected = format::by_pattern(pattern)
                .map_or_else(|| format!("text matching {pattern}"), Format::expected);
            vec![finding(Rule::Format, expected)]
        }
        // A value that must be given, left empty (`generator:`): absent, as Helm reads it.
        Kind::Not { schema: not } if not.get("type").and_then(Value::as_str) == Some("null") => {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let property = parent_property(schema, subschema_path, key).unwrap_or(&Value::Null);
            vec![Finding {
                place: Place::Key(pointer.clone()),
                ..finding(Rule::Missing, expected_of(property))
            }]
        }
        Kind::Not { schema: not } => {
            let pattern = not
                .get("pattern")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let expected = match format::by_pattern(pattern) {
                Some(f) => format!(
                    "{} with {}",
                    f.name,
                    f.forbidden_rule(pattern).unwrap_or("another form")
                ),
                None => "another value".to_owned(),
            };
            vec![finding(Rule::Format, expected)]
        }
        Kind::MinLength { limit } | Kind::MaxLength { limit } => {
            let bound = if matches!(error.kind(), Kind::MinLength { .. }) {
                "at least"
            } else {
                "at most"
            };
            let what = format_of(subschema).map_or("a string", |f| f.name);
            vec![finding(
                Rule::Range,
                format!("{what} of {bound} {limit} character{}", plural(*limit)),
            )]
        }
        Kind::MinItems { limit } => {
            vec![finding(
                Rule::Range,
                format!("a list of at least {limit} item{}", plural(*limit)),
            )]
        }
        Kind::MaxItems { limit } => {
            vec![finding(
                Rule::Range,
                format!("a list of at most {limit} item{}", plural(*limit)),
            )]
        }
        Kind::Minimum { .. } | Kind::Maximum { .. } => {
            vec![finding(Rule::Range, expected_of(subschema))]
        }
        Kind::Enum { options } => {
            let mut f = finding(Rule::Enum, expected_of(subschema));
            f.suggestion = error
                .instance()
                .as_str()
                .and_then(|found| closest_option(found, options));
            vec![f]
        }
        Kind::Constant { expected_value } => {
            vec![finding(Rule::Inconsistent, format!("`{expected_value}`"))]
        }
        _ => vec![finding(Rule::Type, error.masked().to_string())],
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// What a list-typed value expects, with how to write a list in YAML: a scalar there is
/// the most common way to get it wrong (`cidrs: 10.0.0.0/16`).
fn list_expected(schema: &Value) -> String {
    if type_includes(schema, "string") {
        return expected_of(schema);
    }
    format!(
        "{}, written as a YAML list: `[a, b]` on one line, or one item per `- ` line under the key",
        expected_of(schema)
    )
}

/// The scalar as a one-line YAML list (`10.0.0.0/8,10.1.0.0/16` → `[10.0.0.0/8, 10.1.0.0/16]`),
/// when the list's items are scalars.
fn as_flow_list(schema: &Value, value: &Value) -> Option<String> {
    let items = schema.get("items")?;
    if !(type_includes(items, "string") || type_includes(items, "integer")) {
        return None;
    }
    let shown: Vec<String> = match value {
        Value::String(text) => format::list_items(text)
            .into_iter()
            .filter(|(_, item)| !item.is_empty())
            .map(|(_, item)| flow_scalar(item))
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => return None,
    };
    (!shown.is_empty()).then(|| format!("`[{}]`", shown.join(", ")))
}

/// A string as a flow sequence item that YAML 1.1 reads back as the same string: plain
/// when it is plainly text, quoted otherwise.
fn flow_scalar(text: &str) -> String {
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:@-".contains(c))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        text.to_owned()
    } else {
        Value::String(text.to_owned()).to_string()
    }
}

/// The items of a comma-separated `host:port` string that are not one, each a finding at
/// its place in the string: an empty item says which comma is extra.
fn list_item_findings(pointer: &str, text: &str) -> Vec<Finding> {
    let items = format::list_items(text);
    let count = items.len();
    items
        .into_iter()
        .enumerate()
        .filter_map(|(index, (offset, item))| {
            let (found, expected) = if item.is_empty() {
                let (found, fix) = match index {
                    _ if count == 1 => ("an empty string", "at least one is needed"),
                    i if i + 1 == count => (
                        "an empty item after the last comma (a trailing comma)",
                        "remove the trailing comma",
                    ),
                    0 => (
                        "an empty item before the first comma",
                        "remove the leading comma",
                    ),
                    _ => ("an empty item between two commas", "remove the extra comma"),
                };
                (
                    found.to_owned(),
                    format!(
                        "a host:port address before and after every comma, e.g. `b-1.kafka.example:9096,b-2.kafka.example:9096` ({fix})"
                    ),
                )
            } else if is_host_port(item) {
                return None;
            } else {
                (
                    format!(
                        "{}, item {} of the comma-separated string",
                        Value::String(item.to_owned()),
                        index + 1
                    ),
                    format::HOST_PORT.expected(),
                )
            };
            Some(Finding {
                pointer: format!("{pointer}/{index}"),
                place: Place::Item {
                    pointer: pointer.to_owned(),
                    offset,
                    item: item.to_owned(),
                },
                rule: Rule::Format,
                found: Found::Words(found),
                expected,
                suggestion: None,
                quote: false,
            })
        })
        .collect()
}

fn is_host_port(item: &str) -> bool {
    static ITEM: std::sync::OnceLock<Option<jsonschema::Validator>> = std::sync::OnceLock::new();
    ITEM.get_or_init(|| {
        jsonschema::draft7::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&Value::Object(format::HOST_PORT.keywords()))
            .ok()
    })
    .as_ref()
    .is_some_and(|v| v.is_valid(&Value::String(item.to_owned())))
}

fn unknown_key(schema: &Value, object_schema: &Value, pointer: &str, key: &str) -> Finding {
    let allowed: Vec<&str> = object_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let suggestion = closest(key, &allowed)
        .map(|k| format!("`{k}`"))
        .or_else(|| {
            let elsewhere = paths_of_key(schema, key);
            (!elsewhere.is_empty()).then(|| {
                let places: Vec<String> = elsewhere.iter().map(|p| format!("`{p}`")).collect();
                format!("{} (the key belongs there)", places.join(" or "))
            })
        });
    let child = format!("{pointer}/{}", escape(key));
    let section = super::problem::yaml_path(pointer);
    let expected = if allowed.is_empty() {
        "no keys here".to_owned()
    } else if section.is_empty() {
        format!("a key of the contract: {}", allowed.join(", "))
    } else {
        format!("a key of {section}: {}", allowed.join(", "))
    };
    Finding {
        pointer: child.clone(),
        place: Place::Key(child),
        rule: Rule::UnknownKey,
        found: Found::Words(format!("the unknown key `{key}`")),
        expected,
        suggestion,
        quote: false,
    }
}

/// A required key named by an `if`/`then` rule: its schema is in the object's `properties`,
/// two levels above `.../allOf/N/then`.
fn parent_property<'a>(schema: &'a Value, subschema_path: &str, key: &str) -> Option<&'a Value> {
    let object_path = subschema_path.split("/allOf/").next()?;
    schema.pointer(&format!("{object_path}/properties/{}", escape(key)))
}

/// "when `provider` is `aws`" for a keyword inside the `then` of an `if`, "unless ..." for
/// one inside its `else`.
fn condition(schema: &Value, schema_path: &str) -> Option<String> {
    let (rule, word) = match schema_path.split_once("/then") {
        Some((rule, _)) => (rule, "when"),
        None => (schema_path.split_once("/else")?.0, "unless"),
    };
    let properties = schema
        .pointer(&format!("{rule}/if/properties"))?
        .as_object()?;
    let parts: Vec<String> = properties
        .iter()
        .map(
            |(key, test)| match (test.get("const"), test.get("minItems")) {
                (Some(value), _) => format!("`{key}` is {}", shown(value)),
                (None, Some(_)) => format!("`{key}` is not empty"),
                _ => format!("`{key}` is set"),
            },
        )
        .collect();
    (!parts.is_empty()).then(|| format!("{word} {}", parts.join(" and ")))
}

fn with_condition(expected: String, condition: &Option<String>) -> String {
    match condition {
        Some(c) => format!("{expected} ({c})"),
        None => expected,
    }
}

/// What a schema asks for, in words.
pub fn expected_of(schema: &Value) -> String {
    if type_includes(schema, "array") && type_includes(schema, "string") {
        let items = schema
            .get("items")
            .map_or_else(|| "a value".to_owned(), expected_of);
        let text = format_of(schema).map_or("a string", |f| f.name);
        return format!(
            "a list, each item {items} (`[a, b]`, or one item per `- ` line), or {text} in one string"
        );
    }
    if let Some(f) = format_of(schema) {
        return f.expected();
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let shown: Vec<String> = options.iter().filter(|o| !o.is_null()).map(shown).collect();
        return format!("one of {}", shown.join(", "));
    }
    let types = types_of(schema);
    match types.first().copied() {
        Some("integer") | Some("number") => number_range(schema),
        Some("string") => "a string".to_owned(),
        Some("boolean") => "true or false".to_owned(),
        Some("array") => match schema.get("items").map(expected_of) {
            Some(items) if items != "a value" => format!("a list, each item {items}"),
            _ => "a list".to_owned(),
        },
        Some("object") => match schema.get("required").and_then(Value::as_array) {
            Some(keys) if !keys.is_empty() => {
                let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
                format!("a mapping with {}", keys.join(", "))
            }
            _ => "a mapping (key: value)".to_owned(),
        },
        _ => "a value".to_owned(),
    }
}

fn number_range(schema: &Value) -> String {
    let min = schema.get("minimum").and_then(Value::as_u64);
    let max = schema.get("maximum").and_then(Value::as_u64);
    match (min, max) {
        (Some(1), Some(65535)) => "a port number from 1 to 65535".to_owned(),
        (Some(min), Some(max)) if max == u64::from(u32::MAX) => {
            format!("a whole number of at least {min}")
        }
        (Some(min), Some(max)) => format!("a whole number from {min} to {max}"),
        (Some(min), None) => format!("a whole number of at least {min}"),
        (None, Some(max)) => format!("a whole number of at most {max}"),
        (None, None) => "a whole number".to_owned(),
    }
}

/// The format a string schema (or the schema of a list's items) checks.
fn format_of(schema: &Value) -> Option<&'static Format> {
    schema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(format::by_pattern)
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn type_includes(schema: &Value, ty: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(types)) => types.iter().any(|t| t == ty),
        _ => false,
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Case, `-` and `_` do not matter when comparing names: `account_id` means `accountId`.
fn normalized(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The closest name to `found`, if one is close enough to be what was meant.
pub fn closest<'a>(found: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let wanted = normalized(found);
    if let Some(exact) = candidates.iter().find(|c| normalized(c) == wanted) {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&wanted, &normalized(c)), *c))
        .filter(|(distance, c)| *distance <= (c.len().max(wanted.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn closest_option(found: &str, options: &Value) -> Option<String> {
    let options: Vec<&str> = options
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    closest(found, &options).map(|o| format!("`{o}`"))
}

/// The YAML paths where the contract has a key named like `key` (for a key put one level
/// too high or too low).
fn paths_of_key(schema: &Value, key: &str) -> Vec<String> {
    let mut found = Vec::new();
    collect_paths(schema, "", &normalized(key), &mut found);
    found.truncate(3);
    found
}

fn collect_paths(schema: &Value, path: &str, key: &str, found: &mut Vec<String>) {
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in properties {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            if normalized(name) == key {
                found.push(child.clone());
            }
            collect_paths(sub, &child, key, found);
        }
    }
    if let Some(items) = schema.get("items") {
        collect_paths(items, &format!("{path}[]"), key, found);
    }
}

/// The types a schema allows, `null` left out (an optional value is not "a null").
pub(super) fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let keys = ["region", "accountId", "roleNamePrefix", "buckets"];
        assert_eq!(closest("acountId", &keys), Some("accountId"));
        assert_eq!(closest("account_id", &keys), Some("accountId"));
        assert_eq!(closest("role-name-prefix", &keys), Some("roleNamePrefix"));
        assert_eq!(closest("bucket", &keys), Some("buckets"));
        assert_eq!(closest("tags", &keys), None);
    }

    #[test]
    fn a_comma_separated_string_is_split_trimmed_and_placed() {
        assert_eq!(
            format::list_items("a:1, b:2 ,,c:3,"),
            [(0, "a:1"), (5, "b:2"), (10, ""), (11, "c:3"), (15, "")]
        );
        let found: Vec<(String, String)> = list_item_findings("/p", " a:1,b,,")
            .into_iter()
            .map(|f| match f.found {
                Found::Words(words) => (f.pointer, words),
                Found::Value(_) => unreachable!("items are described in words"),
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "/p/1".to_owned(),
                    "\"b\", item 2 of the comma-separated string".to_owned()
                ),
                (
                    "/p/2".to_owned(),
                    "an empty item between two commas".to_owned()
                ),
                (
                    "/p/3".to_owned(),
                    "an empty item after the last comma (a trailing comma)".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_list_given_as_one_value_is_suggested_as_a_one_line_list() {
        let cidrs = serde_json::json!({"type": "array", "items": {"type": "string"}});
        let ports = serde_json::json!({"type": "array", "items": {"type": "integer"}});
        let rules = serde_json::json!({"type": "array", "items": {"type": "object"}});
        let suggest = |schema, value| as_flow_list(schema, &value);
        assert_eq!(
            suggest(&cidrs, serde_json::json!("10.0.0.0/8, 10.1.0.0/16")),
            Some("`[\"10.0.0.0/8\", \"10.1.0.0/16\"]`".to_owned())
        );
        assert_eq!(
            suggest(&cidrs, serde_json::json!("arn:aws:kms:x,on")),
            Some("`[arn:aws:kms:x, \"on\"]`".to_owned())
        );
        assert_eq!(
            suggest(&ports, serde_json::json!(443)),
            Some("`[443]`".to_owned())
        );
        assert_eq!(suggest(&rules, serde_json::json!("x")), None);
        assert!(list_expected(&cidrs).contains("one item per `- ` line"));
    }

    #[test]
    fn ports_and_counts_are_described_in_words() {
        assert_eq!(
            expected_of(&serde_json::json!({"type": "integer", "minimum": 1, "maximum": 65535})),
            "a port number from 1 to 65535"
        );
        assert_eq!(
            expected_of(
                &serde_json::json!({"type": ["string", "null"], "enum": ["TCP", "UDP", null]})
            ),
            "one of `TCP`, `UDP`"
        );
    }
}
