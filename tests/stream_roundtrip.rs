//! Property tests of the emitter: any JSON value written by kubectl-smi reads back as the
//! same value, both by the tool's own reader and by PyYAML (YAML 1.1).

use kubectl_smi::stream::{Layout, Limits, Node, emit, read_yaml_document};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value};

use crate::support::{self, ok, write_file};

/// Strings that YAML readers like to turn into something else, and some that need escapes.
const TRICKY: &[&str] = &[
    "on",
    "off",
    "On",
    "OFF",
    "yes",
    "no",
    "y",
    "n",
    "Y",
    "N",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    " ",
    "0755",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    "-1",
    "+1",
    ".5",
    ".inf",
    "-.inf",
    ".nan",
    "2001-12-14",
    "2001-12-14 21:59:43.10 -5",
    "12:30:45",
    "<<",
    "=",
    "- a",
    "? a",
    ": a",
    "a: b",
    "a #b",
    "#a",
    "@a",
    "`a",
    "%a",
    "!a",
    "&a",
    "*a",
    "|",
    ">",
    "'",
    "\"",
    "[a]",
    "{a: b}",
    "a,b",
    "trailing ",
    " leading",
    "tab\there",
    "line\nbreak",
    "two\n\n",
    "keep\n\n\n",
    "\nleading newline",
    "  indented\nblock",
    "nel\u{85}",
    "ls\u{2028}",
    "bom\u{feff}",
    "bell\u{7}",
    "del\u{7f}",
    "é ü 漢字 🎉",
    "\\backslash",
    "C:\\path",
    "http://x.y/z?a=b#c",
    "kube-system",
    "dtp-prod-filesvc",
];

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(TRICKY).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
        1 => "[a-z0-9 :#\\-\n]{0,16}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        (-1e9f64..1e9)
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((string(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn document() -> impl Strategy<Value = Value> {
    proptest::collection::vec((string(), value()), 1..6)
        .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>()))
}

fn written(value: &Value, layout: Layout) -> String {
    emit(&Node::from_json(value), layout)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn what_is_written_reads_back_the_same(doc in document(), indent in 2usize..5, indent_sequences in any::<bool>()) {
        let text = written(&doc, Layout { indent, indent_sequences });
        let node = read_yaml_document(&text, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?
            .expect("not empty");
        prop_assert_eq!(node.to_json(), doc, "{}", text);
    }
}

#[test]
fn pyyaml_reads_what_is_written_as_the_same_data() {
    if !support::python_has("yaml") {
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut stream = String::new();
    let mut expected = Vec::new();
    for _ in 0..400 {
        let doc = document().new_tree(&mut runner).unwrap().current();
        stream.push_str("---\n");
        stream.push_str(&written(&doc, Layout::default()));
        expected.push(doc);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "docs.yaml", &stream);
    let script = r#"
import json, sys, yaml
docs = list(yaml.load_all(open(sys.argv[1], encoding='utf-8'), Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader)))
print(json.dumps(docs, default=str))
"#;
    let json = ok(std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path));
    let read: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(read.len(), expected.len());
    for (i, (got, want)) in read.iter().zip(&expected).enumerate() {
        assert!(
            json_equal(got, want),
            "document {i}: PyYAML read {got}\nexpected {want}"
        );
    }
}

/// Equality where numbers compare by value (PyYAML gives 5.0 for `5.0`, JSON may hold 5).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}
