//! `schemas/values.schema.json`: generated from the typed values (model.rs) as JSON Schema
//! draft-07, the draft every Helm version reads, so the same file can ship in a chart.
//! The committed file is checked against this generator by a test.

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::Values;

/// Where the schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "schemas/values.schema.json";

/// The schema of the values, as JSON.
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(generate)
}

/// The schema as the committed file holds it: pretty JSON and a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(schema()).unwrap_or_default();
    text.push('\n');
    text
}

fn generate() -> Value {
    let mut settings = SchemaSettings::draft07();
    // One self-contained tree: editors, Helm and the error messages all read the same
    // keywords at the same place, with no `$ref` to follow.
    settings.inline_subschemas = true;
    settings.transforms.push(Box::new(UnitEnumsAsEnum));
    settings.transforms.push(Box::new(NoIntegerFormats));
    settings.transforms.push(Box::new(NullableInPlace));
    let generated = SchemaGenerator::new(settings).into_root_schema_for::<Values>();
    // The identifying keywords first, as a reader of the file expects them.
    let mut root = serde_json::Map::new();
    root.insert(
        "$schema".into(),
        "http://json-schema.org/draft-07/schema#".into(),
    );
    root.insert("title".into(), "kubectl-smi values".into());
    if let Value::Object(rest) = generated.to_value() {
        for (key, value) in rest {
            root.entry(key).or_insert(value);
        }
    }
    Value::Object(root)
}

/// schemars writes a unit enum with documented variants as `oneOf` of `const`s. Helm and
/// most validators then report "not valid under any of the given schemas"; an `enum`
/// reports the allowed values, so the variants' documentation moves into the description.
#[derive(Debug, Clone)]
struct UnitEnumsAsEnum;

impl Transform for UnitEnumsAsEnum {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(variants) = schema.get("oneOf").and_then(Value::as_array) else {
            return;
        };
        let mut values = Vec::new();
        let mut lines = Vec::new();
        for variant in variants {
            let Some(value) = variant.get("const").and_then(Value::as_str) else {
                return;
            };
            values.push(Value::String(value.to_owned()));
            if let Some(doc) = variant.get("description").and_then(Value::as_str) {
                lines.push(format!("`{value}`: {doc}"));
            }
        }
        let object = schema.ensure_object();
        object.remove("oneOf");
        object.insert("type".into(), "string".into());
        object.insert("enum".into(), Value::Array(values));
        if !lines.is_empty() {
            let head = object
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let description = format!("{head} {}", lines.join(" "));
            object.insert("description".into(), description.trim().to_owned().into());
        }
    }
}

/// `uint16`/`uint32` are Rust's words, not draft-07 formats: bounds say the same to every
/// validator (schemars gives no upper bound for u32, so it is added here).
#[derive(Debug, Clone)]
struct NoIntegerFormats;

impl Transform for NoIntegerFormats {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        if !super::format::has_type(schema, "integer") {
            return;
        }
        let object = schema.ensure_object();
        if object
            .remove("format")
            .and_then(|f| f.as_str().map(str::to_owned))
            .as_deref()
            == Some("uint32")
        {
            object.entry("maximum").or_insert(u32::MAX.into());
        }
    }
}

/// An optional section is `anyOf: [{object...}, {type: null}]` when schemars cannot merge
/// them. One schema with `type: [object, null]` means the same, and a mistake inside the
/// section is then reported where it is, instead of as "not valid under anyOf".
/// `default: null` goes too: an absent optional value needs no default.
#[derive(Debug, Clone)]
struct NullableInPlace;

impl Transform for NullableInPlace {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        if schema.get("default").is_some_and(Value::is_null) {
            schema.remove("default");
        }
        let Some(Value::Array(branches)) = schema.get("anyOf") else {
            return;
        };
        let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
        let [first, second] = branches.as_slice() else {
            return;
        };
        let (inner, null) = if is_null(second) {
            (first, second)
        } else {
            (second, first)
        };
        let (Some(Value::Object(inner)), true) = (Some(inner), is_null(null)) else {
            return;
        };
        let Some(ty) = inner.get("type").and_then(Value::as_str) else {
            return;
        };
        let mut merged = inner.clone();
        merged.insert("type".into(), serde_json::json!([ty, "null"]));
        if let Some(Value::Array(values)) = merged.get_mut("enum") {
            values.push(Value::Null);
        }
        let object = schema.ensure_object();
        object.remove("anyOf");
        for (key, value) in merged {
            // The field's own description and default win over the type's.
            object.entry(key).or_insert(value);
        }
    }
}
