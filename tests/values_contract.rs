//! The values contract: the examples are valid, the committed schema and reference are what
//! the types generate, the schema is draft-07 that Helm and a second validator accept, and
//! every document the schema accepts is one the typed values read.

use std::path::Path;

use kubectl_smi::values::{Values, format, reference, schema};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::golden::assert_file;
use crate::support::{available, example, kubectl_smi, ok, repo};

const EXAMPLES: [&str; 3] = ["values-aws.yaml", "values-aws-irsa.yaml", "values-oci.yaml"];

/// Compares a committed file with what the code generates; UPDATE_GOLDEN=1 rewrites it.
fn golden(relative: &str, generated: &str) {
    assert_file(&repo().join(relative), generated);
}

#[test]
fn each_example_validates() {
    for name in EXAMPLES {
        let stdout = ok(kubectl_smi().args(["validate", "-f"]).arg(example(name)));
        assert!(stdout.contains(": valid (provider "), "{name}: {stdout}");
        let json = ok(kubectl_smi()
            .args(["validate", "-o", "json", "-f"])
            .arg(example(name)));
        let report: Value = serde_json::from_str(&json).expect("JSON report");
        assert_eq!(report["valid"], true);
        assert_eq!(report["problems"], json!([]));
    }
}

#[test]
fn values_schema_file_is_what_the_types_generate() {
    golden(schema::SCHEMA_PATH, &schema::schema_text());
}

#[test]
fn values_reference_is_current() {
    golden(
        reference::REFERENCE_PATH,
        &reference::markdown(schema::schema()),
    );
}

#[test]
fn kubectl_smi_schema_prints_the_committed_schema() {
    let printed = ok(kubectl_smi().arg("schema"));
    let committed = std::fs::read(repo().join(schema::SCHEMA_PATH)).expect("committed schema");
    assert_eq!(printed.into_bytes(), committed);
}

#[test]
fn the_schema_is_valid_draft_07() {
    let schema = schema::schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    if let Err(e) = jsonschema::draft7::meta::validate(schema) {
        panic!("not a valid draft-07 schema: {e} at {}", e.instance_path());
    }
}

/// Every subschema of the schema, with its JSON pointer.
fn subschemas<'a>(schema: &'a Value, pointer: String, out: &mut Vec<(String, &'a Value)>) {
    out.push((pointer.clone(), schema));
    for keyword in ["properties"] {
        if let Some(map) = schema.get(keyword).and_then(Value::as_object) {
            for (key, sub) in map {
                subschemas(sub, format!("{pointer}/{keyword}/{key}"), out);
            }
        }
    }
    if let Some(items) = schema.get("items") {
        subschemas(items, format!("{pointer}/items"), out);
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for (i, sub) in schema
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            subschemas(sub, format!("{pointer}/{keyword}/{i}"), out);
        }
    }
    for keyword in ["if", "then", "not"] {
        if let Some(sub) = schema.get(keyword) {
            subschemas(sub, format!("{pointer}/{keyword}"), out);
        }
    }
}

fn all_subschemas() -> Vec<(String, &'static Value)> {
    let mut out = Vec::new();
    subschemas(schema::schema(), String::new(), &mut out);
    out
}

#[test]
fn every_property_has_a_description() {
    let missing: Vec<String> = all_subschemas()
        .into_iter()
        .filter(|(pointer, _)| {
            pointer.rsplit('/').nth(1) == Some("properties") && !pointer.contains("/allOf/")
        })
        .filter(|(_, s)| {
            s.get("description")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
        .map(|(pointer, _)| pointer)
        .collect();
    assert!(
        missing.is_empty(),
        "properties without a description: {missing:#?}"
    );
}

#[test]
fn strict_inside_smi_and_lenient_at_the_root() {
    let schema = schema::schema();
    assert!(
        schema.get("additionalProperties").is_none(),
        "Helm adds `global` and `enabled` to subcharts"
    );
    let open: Vec<String> = all_subschemas()
        .into_iter()
        .filter(|(pointer, s)| {
            pointer.starts_with("/properties/smi") && s.get("properties").is_some()
        })
        .filter(|(pointer, _)| !pointer.contains("/allOf/"))
        .filter(|(_, s)| s.get("additionalProperties") != Some(&json!(false)))
        .map(|(pointer, _)| pointer)
        .collect();
    assert!(
        open.is_empty(),
        "objects under smi that accept unknown keys: {open:#?}"
    );

    let mut values: Value = read_example_json("values-oci.yaml");
    values["global"] = json!({"imageRegistry": "r.example.com"});
    values["enabled"] = json!(true);
    values["dtplatform-api"] = json!({"replicas": 3});
    assert!(
        validator().is_valid(&values),
        "chart keys at the root are the charts' business"
    );
    values["smi"]["replicas"] = json!(3);
    assert!(
        !validator().is_valid(&values),
        "an unknown key under smi is an error"
    );
}

#[test]
fn every_pattern_is_re2_syntax_that_helm_can_compile() {
    let mut patterns = Vec::new();
    for (pointer, s) in all_subschemas() {
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            patterns.push((pointer, p));
        }
    }
    assert!(patterns.len() > 20, "formats are checked by pattern");
    for (pointer, pattern) in patterns {
        // Go's regexp (Helm) has no look-around or back-references, and its \d \w \s are
        // ASCII while other engines' are Unicode: spell classes out.
        assert!(
            regex::Regex::new(pattern).is_ok(),
            "{pointer}: {pattern} is not RE2 syntax"
        );
        for class in ["\\d", "\\w", "\\s", "\\D", "\\W", "\\S"] {
            assert!(
                !pattern.contains(class),
                "{pointer}: {pattern} uses {class}"
            );
        }
    }
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft7::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(schema::schema())
            .expect("the schema compiles")
    })
}

fn read_example_json(name: &str) -> Value {
    let text = std::fs::read_to_string(example(name)).expect("example");
    kubectl_smi::values::parse(Path::new(name), text)
        .expect("example parses")
        .json
}

#[test]
fn the_examples_deserialize_into_the_typed_values() {
    for name in EXAMPLES {
        let json = read_example_json(name);
        assert!(validator().is_valid(&json), "{name}");
        let values: Values = serde_json::from_value(json).expect(name);
        assert_eq!(
            values.smi.dns.app,
            "app.example-domain.com".replace(
                "app.",
                if name.contains("irsa") {
                    "app.staging."
                } else {
                    "app."
                }
            )
        );
    }
}

/// A strategy for documents shaped by `schema`: required keys always, optional keys
/// sometimes, strings from the format table's valid examples, numbers within bounds.
pub fn document(schema: &'static Value, depth: u32) -> BoxedStrategy<Value> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return proptest::sample::select(options.clone()).boxed();
    }
    let non_null: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
    let main = match non_null.first().copied() {
        Some("string") => string(schema),
        Some("integer") => {
            let min = schema.get("minimum").and_then(Value::as_u64).unwrap_or(0);
            let max = schema
                .get("maximum")
                .and_then(Value::as_u64)
                .unwrap_or(1_000_000);
            prop_oneof![Just(min), Just(max), min..=max]
                .prop_map(Value::from)
                .boxed()
        }
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        Some("array") if depth < 6 => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let items: &'static Value = schema.get("items").unwrap_or(&Value::Null);
            proptest::collection::vec(document(items, depth + 1), min..min + 3)
                .prop_map(Value::Array)
                .boxed()
        }
        Some("object") if depth < 6 => object(schema, depth),
        _ => Just(Value::Null).boxed(),
    };
    if types.contains(&"null") {
        prop_oneof![4 => main, 1 => Just(Value::Null)].boxed()
    } else {
        main
    }
}

fn string(schema: &'static Value) -> BoxedStrategy<Value> {
    let pattern = schema.get("pattern").and_then(Value::as_str);
    match pattern.and_then(format::by_pattern) {
        Some(f) => proptest::sample::select(f.valid.to_vec())
            .prop_map(Value::from)
            .boxed(),
        None => "[a-z][a-z0-9/-]{0,12}".prop_map(Value::from).boxed(),
    }
}

fn object(schema: &'static Value, depth: u32) -> BoxedStrategy<Value> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        // An open mapping (secrets, overlay patches): any small mapping.
        return proptest::collection::btree_map("[a-z]{1,6}", "[a-z]{0,6}", 0..3)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect()))
            .boxed();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let entries: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
        .iter()
        .map(|(key, sub)| {
            let key = key.clone();
            let value = document(sub, depth + 1);
            if required.contains(&key.as_str()) {
                value.prop_map(move |v| Some((key.clone(), v))).boxed()
            } else {
                proptest::option::of(value.prop_map(move |v| (key.clone(), v))).boxed()
            }
        })
        .collect();
    entries
        .prop_map(|entries| Value::Object(entries.into_iter().flatten().collect()))
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        max_global_rejects: 200_000,
        max_local_rejects: 200_000,
        ..ProptestConfig::default()
    })]

    /// The no-drift guarantee, the other way round from generation: whatever the schema
    /// accepts (Helm included), the typed values read.
    #[test]
    fn every_schema_valid_document_deserializes_into_the_typed_values(
        mut document in document(schema::schema(), 0),
        chart_key in "[a-z]{1,8}",
    ) {
        document[format!("x{chart_key}")] = json!({"anything": [1, "two"]});
        prop_assume!(validator().is_valid(&document));
        let typed: Result<Values, _> = serde_json::from_value(document.clone());
        prop_assert!(typed.is_ok(), "{:?}\n{}", typed.err(), serde_json::to_string_pretty(&document).unwrap_or_default());
    }
}

#[test]
fn the_examples_pass_check_jsonschema_a_second_validator() {
    if !available(
        "check-jsonschema",
        &["--version"],
        "check-jsonschema is not installed (pip install -r tests/requirements.txt)",
    ) {
        return;
    }
    let schema_file = repo().join(schema::SCHEMA_PATH);
    let mut command = std::process::Command::new("check-jsonschema");
    command.arg("--schemafile").arg(&schema_file);
    for name in EXAMPLES {
        command.arg(example(name));
    }
    ok(&mut command);

    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(example("values-aws.yaml")).expect("example");
    std::fs::write(
        &bad,
        text.replace("filesvc: dtp-prod-filesvc", "filesvc: Dtp_Prod"),
    )
    .expect("write");
    let output = std::process::Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema_file)
        .arg(&bad)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success() && stdout.contains("buckets.filesvc"),
        "{stdout}"
    );
}

#[test]
fn a_problem_is_shown_in_the_file_that_set_the_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let overlay = dir.path().join("prod.yaml");
    std::fs::write(&overlay, "smi:\n  cloud:\n    aws:\n      buckets:\n        kafka: Dtp_Kafka\n        filesvc: null\n").expect("write");
    let output = kubectl_smi()
        .args(["validate", "-o", "json", "-f"])
        .arg(example("values-aws.yaml"))
        .arg("-f")
        .arg(&overlay)
        .env("SMI_VALUES", "")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let places: Vec<(String, String, u64)> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap_or_default().to_owned(),
                p["file"].as_str().unwrap_or_default().to_owned(),
                p["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let overlay = overlay.display().to_string();
    assert!(
        places.contains(&("smi.cloud.aws.buckets.kafka".into(), overlay.clone(), 5)),
        "{places:?}"
    );
    // `filesvc: null` removed the bucket (Helm's merge): missing, at the overlay's `buckets:`.
    assert!(
        places.contains(&("smi.cloud.aws.buckets.filesvc".into(), overlay, 4)),
        "{places:?}"
    );
}

#[test]
fn smi_values_lists_files_for_validate_too() {
    ok(kubectl_smi()
        .arg("validate")
        .env("SMI_VALUES", example("values-oci.yaml")));
    let output = kubectl_smi().arg("validate").output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no values file given"));
}

/// Runs validate and render on a hostile file: both end in a clear error, no panic.
fn refused(file: &Path, says: &str) {
    let validate = kubectl_smi()
        .args(["validate", "-f"])
        .arg(file)
        .output()
        .expect("runs");
    let render = kubectl_smi()
        .args(["render", "-f"])
        .arg(file)
        .write_stdin("")
        .output()
        .expect("runs");
    for output in [validate, render] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(!all.contains("panicked"), "{all}");
        assert!(all.contains(says), "expected `{says}` in:\n{all}");
    }
}

#[test]
fn hostile_values_files_end_in_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);

    let huge = "smi:\n".to_owned()
        + &"  # padding padding padding padding padding padding padding padding\n"
            .repeat(50 * 1024 * 1024 / 68);
    std::fs::write(path("huge.yaml"), huge).expect("write");
    refused(&path("huge.yaml"), "found a file larger than 4 MiB");

    let deep_block: String = (0..500)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    std::fs::write(path("deep-block.yaml"), deep_block).expect("write");
    refused(&path("deep-block.yaml"), "nesting deeper than");

    std::fs::write(path("deep-flow.yaml"), "[".repeat(100_000)).expect("write");
    refused(&path("deep-flow.yaml"), "nesting deeper than");

    let garbage: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(path("garbage.yaml"), garbage).expect("write");
    refused(&path("garbage.yaml"), "garbage.yaml:");

    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    std::fs::write(path("bomb.yaml"), bomb).expect("write");
    refused(&path("bomb.yaml"), "anchors and aliases");

    std::fs::write(path("nul.yaml"), "smi:\n  environment: \"a\u{0}b\"\n").expect("write");
    refused(&path("nul.yaml"), "nul.yaml:2:");
}

#[test]
fn helm_4_users_find_the_problems_in_the_log_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("values.yaml");
    let text = std::fs::read_to_string(example("values-aws.yaml")).expect("example");
    std::fs::write(&bad, text.replace("port: 27017", "port: 70000")).expect("write");
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("    mongodb:"))
        .expect("mongodb");
    let log = dir.path().join("last-error.log");
    let output = kubectl_smi()
        .args(["--values"])
        .arg(&bad)
        .env("HELM_PLUGIN_NAME", "kubectl-smi")
        .env("SMI_LOG_FILE", &log)
        .pipe_stdin(example("rendered-helm4.yaml"))
        .expect("example")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let logged = std::fs::read_to_string(&log).expect("the log file is written");
    assert!(
        logged.contains(&format!("{}:{line}:", bad.display()))
            && logged.contains("smi.endpoints.mongodb.port"),
        "{logged}"
    );
}
