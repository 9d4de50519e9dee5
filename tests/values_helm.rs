//! `kubectl smi validate` against Helm's own readers: for the example values files, every
//! invalid document of the values tests (values_invalid's table), documents that exercise
//! the YAML 1.1 reader, and a few hundred property-generated documents (schema-valid ones,
//! and those made invalid by one mutation each), validate's verdict (valid or not) is the
//! verdict of the real Helm 4.2.3 engine: the values file read with Helm's own reader, then
//! checked against a chart carrying `kubectl smi schema` as values.schema.json, coalesced as
//! `helm install` does.
//!
//! The rules validate checks in code, beyond the schema (src/values/rules.rs: distinct DNS
//! names, maxReplicas >= minReplicas, partition vs region, the secret catalog's unique names
//! and derived keys), are differences by design: Helm accepts such a document, validate does
//! not. Each is pinned below by a case of the table. Any other disagreement fails the test
//! with the document.

use std::path::{Path, PathBuf};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::support::{example, helm4, kubectl_smi, ok};

/// How many generated documents: schema-valid ones, and ones with one mutation each.
const GENERATED_VALID: usize = 120;
const GENERATED_MUTATED: usize = 240;

/// The table cases validate refuses by a rule of rules.rs alone, and the rule: Helm accepts
/// them (JSON Schema cannot state these rules).
const BY_DESIGN: &[(&str, &str)] = &[
    ("a duplicate DNS name", "distinct DNS names"),
    ("fewer replicas at most than at least", "replicas in order"),
    (
        "a partition that does not match the region",
        "partition and region agree",
    ),
    ("the same key twice in a secret", "secrets and keys once"),
    (
        "the same secret twice in the catalog",
        "secrets and keys once",
    ),
    (
        "a public key of a missing key",
        "derived keys name a private key",
    ),
    (
        "a certificate of a key that is not a private key",
        "derived keys name a private key",
    ),
];

/// Reader documents validate refuses by design where Helm's reader silently keeps the first
/// YAML document of the file and drops the rest: validate says "one YAML document per values
/// file" instead of ignoring what the operator wrote.
const ONE_DOCUMENT: [&str; 2] = [
    "reader: a second document after the values",
    "reader: a document end marker",
];
const ONE_DOCUMENT_SAYS: &str = "one YAML document per values file";

/// The rule of rules.rs a problem of validate comes from, if it comes from one.
fn code_rule(problem: &Value) -> Option<&'static str> {
    let expected = problem["expected"].as_str().unwrap_or_default();
    let path = problem["path"].as_str().unwrap_or_default();
    let rule = problem["rule"].as_str().unwrap_or_default();
    if rule == "distinct" && path.starts_with("smi.dns.") {
        Some("distinct DNS names")
    } else if path == "smi.prometheus.scriptworkerAutoscaler.maxReplicas"
        && expected.starts_with("at least minReplicas")
    {
        Some("replicas in order")
    } else if path == "smi.cloud.aws.partition" && expected.contains("the partition of region") {
        Some("partition and region agree")
    } else if rule == "distinct" && path.starts_with("smi.secrets.catalog[") {
        Some("secrets and keys once")
    } else if path.starts_with("smi.secrets.catalog[")
        && expected.starts_with("the keys Kubernetes requires of the type")
    {
        Some("typed secrets hold their keys")
    } else if path.starts_with("smi.secrets.catalog[")
        && expected.contains("derives from a generated private key")
    {
        Some("derived keys name a private key")
    } else if expected.contains("(needed by `kubectl smi ") {
        Some("what a command needs")
    } else {
        None
    }
}

/// One values file to judge.
struct Doc {
    name: String,
    bytes: Vec<u8>,
}

impl Doc {
    fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Doc {
        Doc {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

/// Documents that differ from an example by how YAML 1.1 spells one value: where Go's
/// reader and ours could part.
fn reader_documents() -> Vec<Doc> {
    let aws = std::fs::read_to_string(example("values-aws.yaml")).unwrap();
    let edit = |name: &str, find: &str, replace: &str| {
        assert_eq!(aws.matches(find).count(), 1, "{name}: {find}");
        Doc::new(format!("reader: {name}"), aws.replacen(find, replace, 1))
    };
    vec![
        edit("a port written 27017.0", "port: 27017", "port: 27017.0"),
        edit("a port written 2.7017e4", "port: 27017", "port: 2.7017e4"),
        edit("a port written 27017.5", "port: 27017", "port: 27017.5"),
        edit("a port in hexadecimal", "port: 27017", "port: 0x6989"),
        edit("a port with a plus sign", "port: 27017", "port: +27017"),
        edit("a port with an underscore", "port: 27017", "port: 27_017"),
        edit("a port in octal", "port: 587", "port: 01113"),
        edit("a port as .inf", "port: 587", "port: .inf"),
        edit("a port tagged as a string", "port: 587", "port: !!str 587"),
        edit("a quoted port", "port: 587", "port: '587'"),
        edit(
            "an account id tagged !!str",
            "accountId: \"123456789012\"",
            "accountId: !!str 123456789012",
        ),
        edit("an environment of ~", "environment: prod", "environment: ~"),
        edit(
            "an environment written `null`",
            "environment: prod",
            "environment: null",
        ),
        edit(
            "an environment written `no`",
            "environment: prod",
            "environment: no",
        ),
        edit(
            "an environment written `y`",
            "environment: prod",
            "environment: y",
        ),
        edit(
            "a boolean written `yes`",
            "    loadBalancer:",
            "    externalDns: yes\n    loadBalancer:",
        ),
        edit(
            "a boolean written `On`",
            "    loadBalancer:",
            "    externalDns: On\n    loadBalancer:",
        ),
        edit(
            "a boolean written `1`",
            "    loadBalancer:",
            "    externalDns: 1\n    loadBalancer:",
        ),
        edit(
            "a repeated key",
            "  namespace: prod\n",
            "  namespace: prod\n  namespace: staging\n",
        ),
        Doc::new(
            "reader: a merge key from an anchor at the root",
            aws.replacen(
                "global:\n",
                "dnsdefaults: &dns {app: app.example-domain.com}\nglobal:\n",
                1,
            )
            .replacen("    app: app.example-domain.com\n", "    <<: *dns\n", 1),
        ),
        edit(
            "a tab after a value",
            "environment: prod",
            "environment: prod\t",
        ),
        edit(
            "an MSK bootstrap string",
            "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
            "      bootstrap: b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096,b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
        ),
        edit(
            "an MSK bootstrap string with spaces, quoted",
            "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
            "      bootstrap: ' b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096 ,  b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096 '\n",
        ),
        edit(
            "a bootstrap string folded over two lines",
            "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
            "      bootstrap: >\n        b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096,\n        b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
        ),
        edit(
            "a ZooKeeper string of one node",
            "      zookeeper:\n        - z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181\n",
            "      zookeeper: z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181\n",
        ),
        edit(
            "a bootstrap string separated by semicolons",
            "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
            "      bootstrap: b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096;b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
        ),
        Doc::new(
            "reader: a document end marker",
            format!("{aws}...\nextra: 1\n"),
        ),
        Doc::new(
            "reader: an .inf outside smi",
            format!("{aws}extra:\n  ratio: .inf\n"),
        ),
        Doc::new(
            "reader: a second document after the values",
            format!("{aws}---\nextra: 1\n"),
        ),
        Doc::new("reader: smi left empty", "smi:\n"),
        Doc::new("reader: smi as null", "smi: null\n"),
        Doc::new("reader: only a comment", "# nothing yet\n"),
        Doc::new(
            "reader: a JSON values file",
            serde_json::to_string(&json_of("values-oci.yaml")).unwrap(),
        ),
    ]
}

fn json_of(name: &str) -> Value {
    let text = std::fs::read_to_string(example(name)).unwrap();
    kubectl_smi::values::parse(Path::new(name), text)
        .expect("the example parses")
        .json
}

/// Every node under /smi: its JSON pointer.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    if at.starts_with("/smi") {
        out.push(at.clone());
    }
    match value {
        Value::Object(map) => {
            for (key, sub) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(sub, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                pointers(sub, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

const BAD_STRINGS: &[&str] = &[
    "",
    "UPPER",
    "has space",
    "a..b",
    "é",
    "line\nbreak",
    "trailing-",
    "-lead",
    "1.2.3.4",
    "https://x.example.com",
    "ocid1.x",
    "a:1",
    "on",
    "0755",
    "x.example.com",
    "5",
];

/// Applies mutation `kind` to the node `pick` selects; returns what it did, or None when the
/// document has no node of that sort.
fn mutate(doc: &mut Value, kind: u8, pick: usize, variant: usize) -> Option<String> {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let of_sort = |test: &dyn Fn(&Value) -> bool| -> Vec<String> {
        all.iter()
            .filter(|p| test(doc.pointer(p).unwrap()))
            .cloned()
            .collect()
    };
    let choose = |nodes: Vec<String>| -> Option<String> {
        (!nodes.is_empty()).then(|| nodes[pick % nodes.len()].clone())
    };
    match kind {
        // A value of another type.
        0 => {
            let at = choose(of_sort(&|v| v != &Value::Null))?;
            let others = [
                json!(7),
                json!("7"),
                json!(true),
                json!([]),
                json!({}),
                json!(null),
                json!(3.5),
                json!(["a"]),
            ];
            let node = doc.pointer_mut(&at).unwrap();
            let kind_of = |v: &Value| std::mem::discriminant(v);
            let candidates: Vec<&Value> = others
                .iter()
                .filter(|o| kind_of(o) != kind_of(node))
                .collect();
            let new = candidates[variant % candidates.len()].clone();
            let said = format!("{at}: {node} -> {new}");
            *node = new;
            Some(said)
        }
        // An unknown key in a mapping.
        1 => {
            let at = choose(of_sort(&|v| v.is_object()))?;
            let keys = ["zz", "Namespace", "extra_key", "region", "enabled", "<<"];
            let key = keys[variant % keys.len()];
            doc.pointer_mut(&at)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert(key.to_owned(), json!("x"));
            Some(format!("{at}: key {key} added"))
        }
        // A number out of range, or written as a float.
        2 => {
            let at = choose(of_sort(&|v| v.is_number()))?;
            let node = doc.pointer_mut(&at).unwrap();
            let same_as_float = json!(node.as_f64().unwrap_or(1.0));
            let numbers = [
                json!(0),
                json!(-1),
                json!(65535),
                json!(65536),
                json!(4294967295u64),
                json!(4294967296u64),
                json!(1.5),
                same_as_float,
                json!(1e10),
            ];
            let new = numbers[variant % numbers.len()].clone();
            let said = format!("{at}: {node} -> {new}");
            *node = new;
            Some(said)
        }
        // A string that breaks a format.
        3 => {
            let at = choose(of_sort(&|v| v.is_string()))?;
            let node = doc.pointer_mut(&at).unwrap();
            let long = "x".repeat(300);
            let new = match variant % (BAD_STRINGS.len() + 1) {
                i if i < BAD_STRINGS.len() => BAD_STRINGS[i].to_owned(),
                _ => long,
            };
            let said = format!("{at}: {node} -> {new:?}");
            *node = Value::String(new);
            Some(said)
        }
        // A key removed.
        4 => {
            let at = choose(of_sort(&|v| v.as_object().is_some_and(|m| !m.is_empty())))?;
            let map = doc.pointer_mut(&at).unwrap().as_object_mut().unwrap();
            let key = map.keys().nth(variant % map.len()).unwrap().clone();
            map.remove(&key);
            Some(format!("{at}: key {key} removed"))
        }
        // A list emptied, or an item repeated.
        _ => {
            let at = choose(of_sort(&|v| v.is_array()))?;
            let items = doc.pointer_mut(&at).unwrap().as_array_mut().unwrap();
            if variant.is_multiple_of(2) || items.is_empty() {
                items.clear();
                Some(format!("{at}: emptied"))
            } else {
                let first = items[0].clone();
                items.push(first);
                Some(format!("{at}: first item repeated"))
            }
        }
    }
}

/// Schema-valid documents from values_contract's strategy (half written as YAML by
/// serde-saphyr, half as JSON), then documents with one mutation each.
fn generated_documents() -> Vec<Doc> {
    let schema = kubectl_smi::values::schema::schema();
    let strategy = crate::values_contract::document(schema, 0);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    // Documents the schema accepts (by the crate's own validator: a generator's filter
    // only; the verdicts compared are validate's and Helm's), so that each mutated one
    // has exactly one fault.
    let schema_valid = jsonschema::draft7::options()
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .expect("the schema compiles");
    let mut next = || {
        (0..200)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .find(|doc| schema_valid.is_valid(doc))
            .map(within_the_rules)
            .expect("the strategy makes schema-valid documents")
    };
    let mut docs = Vec::new();
    for n in 0..GENERATED_VALID {
        let doc = next();
        let bytes = if n.is_multiple_of(2) {
            serde_saphyr::to_string(&doc).unwrap()
        } else {
            serde_json::to_string(&doc).unwrap()
        };
        docs.push(Doc::new(format!("generated #{n}"), bytes));
    }
    let mut choices = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]),
    );
    let knobs = (0u8..6, 0usize..10_000, 0usize..10_000);
    let mut made = 0;
    while made < GENERATED_MUTATED {
        let mut doc = next();
        let (kind, pick, variant) = knobs.new_tree(&mut choices).unwrap().current();
        let Some(said) = mutate(&mut doc, kind, pick, variant) else {
            continue;
        };
        let bytes = if made.is_multiple_of(2) {
            serde_json::to_string(&doc).unwrap()
        } else {
            serde_saphyr::to_string(&doc).unwrap()
        };
        docs.push(Doc::new(format!("mutated #{made} ({said})"), bytes));
        made += 1;
    }
    docs
}

/// A generated document made to keep the rules checked in code (distinct DNS names,
/// replicas in order, no partition, unique catalog names, no derived keys), so that
/// validate is expected to accept it exactly when Helm does.
fn within_the_rules(mut doc: Value) -> Value {
    if let Some(Value::Object(dns)) = doc.pointer_mut("/smi/dns") {
        for key in ["app", "api", "id"] {
            if dns.contains_key(key) {
                dns.insert(key.into(), json!(format!("{key}.example-domain.com")));
            }
        }
    }
    if let Some(Value::Object(aws)) = doc.pointer_mut("/smi/cloud/aws") {
        aws.remove("partition");
    }
    if let Some(Value::Object(autoscaler)) =
        doc.pointer_mut("/smi/prometheus/scriptworkerAutoscaler")
    {
        let number = |key: &str| autoscaler.get(key).and_then(Value::as_u64);
        if let (Some(min), Some(max)) = (number("minReplicas"), number("maxReplicas"))
            && max < min
        {
            autoscaler.insert("minReplicas".into(), json!(max));
            autoscaler.insert("maxReplicas".into(), json!(min));
        }
    }
    if let Some(Value::Array(catalog)) = doc.pointer_mut("/smi/secrets/catalog") {
        for (i, secret) in catalog.iter_mut().enumerate() {
            secret["name"] = json!(format!("smi-extra-{i}"));
            if let Some(Value::Array(keys)) = secret.get_mut("keys") {
                keys.retain(|k| k.get("of").is_none());
                for (j, key) in keys.iter_mut().enumerate() {
                    key["name"] = json!(format!("KEY_{j}"));
                }
            }
        }
    }
    doc
}

/// validate's verdict on one file: valid, and its problems (JSON) when not.
fn validate(file: &Path) -> Result<(bool, Vec<Value>), String> {
    let output = kubectl_smi()
        .args(["validate", "-o", "json", "-f"])
        .arg(file)
        .output()
        .expect("kubectl-smi runs");
    match output.status.code() {
        Some(0 | 1) => {
            let report: Value =
                serde_json::from_slice(&output.stdout).map_err(|e| format!("not JSON: {e}"))?;
            let problems = report["problems"].as_array().cloned().unwrap_or_default();
            Ok((report["valid"] == true, problems))
        }
        _ => Err(crate::support::text(&output)),
    }
}

/// Every document's verdicts: validate's (in parallel) and Helm's (one engine batch).
struct Verdicts {
    ours: Vec<Result<(bool, Vec<Value>), String>>,
    helm: Vec<Value>,
    files: Vec<PathBuf>,
}

fn verdicts(dir: &Path, docs: &[Doc]) -> Verdicts {
    let chart = dir.join("schema-chart");
    std::fs::create_dir_all(&chart).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: schema-chart\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("values.schema.json"),
        ok(kubectl_smi().arg("schema")),
    )
    .unwrap();
    let files: Vec<PathBuf> = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let file = dir.join(format!("doc-{i:03}.yaml"));
            std::fs::write(&file, &doc.bytes).unwrap();
            file
        })
        .collect();
    let requests: Vec<Value> = files
        .iter()
        .map(|file| {
            json!({"op": "validate_schema", "chart": chart, "values_files": [file],
                "coalesce": true})
        })
        .collect();
    let (helm, ours) = std::thread::scope(|scope| {
        let helm = scope.spawn(|| {
            let started = std::time::Instant::now();
            let answers = helm4::run(&requests, &[]);
            eprintln!(
                "Helm judged {} documents in {:?}",
                requests.len(),
                started.elapsed()
            );
            answers
        });
        let chunks: Vec<_> = files
            .chunks(files.len().div_ceil(3))
            .map(|chunk| scope.spawn(move || chunk.iter().map(|f| validate(f)).collect::<Vec<_>>()))
            .collect();
        let ours: Vec<_> = chunks.into_iter().flat_map(|c| c.join().unwrap()).collect();
        (helm.join().unwrap(), ours)
    });
    Verdicts { ours, helm, files }
}

/// Helm's verdict: valid, or why not. A file its reader refuses is invalid.
fn helm_verdict(answer: &Value) -> Result<bool, String> {
    if answer["ok"] == true {
        return Ok(answer["valid"] == true);
    }
    match answer["error_type"].as_str() {
        // Helm's values reader refused the file; Python refusing to decode bytes that are not
        // UTF-8 stands for it (Go's YAML reader refuses them too).
        Some("HelmValuesError" | "UnicodeDecodeError") => Ok(false),
        _ => Err(format!("the engine failed: {answer}")),
    }
}

#[test]
fn validate_and_helm_give_the_same_verdicts_but_for_the_rules_checked_in_code() {
    if !helm4::available() {
        return;
    }
    let mut docs: Vec<Doc> = ["values-aws.yaml", "values-aws-irsa.yaml", "values-oci.yaml"]
        .iter()
        .map(|name| {
            Doc::new(
                format!("example {name}"),
                std::fs::read(example(name)).unwrap(),
            )
        })
        .collect();
    let table = crate::values_invalid::invalid_documents();
    let table_start = docs.len();
    docs.extend(
        table
            .iter()
            .map(|(mistake, bytes)| Doc::new(format!("table: {mistake}"), bytes.clone())),
    );
    docs.extend(reader_documents());
    let generated_start = docs.len();
    docs.extend(generated_documents());

    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let Verdicts {
        ours,
        helm: answers,
        files,
    } = verdicts(dir.path(), &docs);
    eprintln!(
        "{} documents judged by validate and by Helm in {:?}",
        docs.len(),
        started.elapsed()
    );

    let mut unexpected = Vec::new();
    let mut by_design: Vec<(String, &'static str)> = Vec::new();
    let (mut helm_valid, mut helm_invalid) = (0, 0);
    for (i, doc) in docs.iter().enumerate() {
        let helm = helm_verdict(&answers[i]).unwrap_or_else(|e| panic!("{}: {e}", doc.name));
        let (valid, problems) = match ours[i].clone() {
            Ok(verdict) => verdict,
            Err(e) => {
                unexpected.push(format!(
                    "{} ({}): validate failed: {e}",
                    doc.name,
                    files[i].display()
                ));
                continue;
            }
        };
        if i >= generated_start {
            if helm {
                helm_valid += 1;
            } else {
                helm_invalid += 1;
            }
        }
        if doc.name.starts_with("reader: ") {
            eprintln!(
                "{}: Helm {}, validate {}",
                doc.name,
                if helm { "valid" } else { "invalid" },
                if valid { "valid" } else { "invalid" }
            );
        }
        if helm == valid {
            continue;
        }
        if ONE_DOCUMENT.contains(&doc.name.as_str())
            && helm
            && problems.iter().any(|p| {
                p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(ONE_DOCUMENT_SAYS))
            })
        {
            by_design.push((doc.name.clone(), "one document per values file"));
            continue;
        }
        let rules: Vec<Option<&str>> = problems.iter().map(code_rule).collect();
        if helm && !problems.is_empty() && rules.iter().all(Option::is_some) {
            by_design.push((doc.name.clone(), rules[0].unwrap()));
            continue;
        }
        let said: Vec<&str> = problems
            .iter()
            .map(|p| p["message"].as_str().unwrap_or("?"))
            .collect();
        unexpected.push(format!(
            "{} ({}): Helm says {}, validate says {}{}\n    Helm: {}\n    document: {}",
            doc.name,
            files[i].display(),
            if helm { "valid" } else { "invalid" },
            if valid { "valid" } else { "invalid" },
            if said.is_empty() {
                String::new()
            } else {
                format!(": {}", said.join(" | "))
            },
            helm_message(&answers[i]),
            String::from_utf8_lossy(&doc.bytes).replace('\n', "\n      ")
        ));
    }
    // What each reader makes of the examples and the reader documents, value for value.
    let readable: Vec<(usize, String)> = docs
        .iter()
        .enumerate()
        .filter(|(i, d)| *i < table_start || d.name.starts_with("reader: "))
        .filter_map(|(i, d)| String::from_utf8(d.bytes.clone()).ok().map(|t| (i, t)))
        .collect();
    let requests: Vec<Value> = readable
        .iter()
        .map(|(_, text)| json!({"op": "read_values", "yaml": text}))
        .collect();
    let read = helm4::run(&requests, &[]);
    for ((i, text), helm) in readable.iter().zip(&read) {
        let ours = kubectl_smi::values::parse(&files[*i], text.clone()).map(|f| f.json);
        match (helm["ok"] == true, ours) {
            (true, Ok(ours)) if helm["values"] == ours => {}
            (false, Err(_)) => {}
            (true, Err(e))
                if ONE_DOCUMENT.contains(&docs[*i].name.as_str())
                    && e.to_string().contains(ONE_DOCUMENT_SAYS) => {}
            (true, Err(e)) => unexpected.push(format!(
                "{}: Helm reads it, kubectl-smi does not: {e}",
                docs[*i].name
            )),
            (false, Ok(_)) => unexpected.push(format!(
                "{}: kubectl-smi reads it, Helm does not: {}",
                docs[*i].name, helm["error"]
            )),
            (true, Ok(ours)) => unexpected.push(format!(
                "{}: read differently:\n    Helm: {}\n    kubectl-smi: {ours}",
                docs[*i].name, helm["values"]
            )),
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} disagreements between validate and Helm's schema check:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );

    // Each rule checked in code is a difference, pinned by its case of the table.
    for (mistake, rule) in BY_DESIGN {
        let name = format!("table: {mistake}");
        assert!(
            by_design.contains(&(name.clone(), *rule)),
            "{name}: expected Helm to accept it and validate to refuse it by the rule `{rule}`; differences by design: {by_design:?}"
        );
    }
    for name in ONE_DOCUMENT {
        assert!(
            by_design.contains(&(name.to_owned(), "one document per values file")),
            "{name}: Helm keeps the first document and drops the rest; validate refuses: {by_design:?}"
        );
    }
    let table_by_design: Vec<&String> = by_design
        .iter()
        .map(|(name, _)| name)
        .filter(|name| {
            docs[table_start..generated_start]
                .iter()
                .any(|d| &d.name == *name)
        })
        .filter(|name| !name.starts_with("reader: "))
        .collect();
    assert_eq!(
        table_by_design.len(),
        BY_DESIGN.len(),
        "only the pinned cases of the table: {table_by_design:?}"
    );
    eprintln!(
        "generated: {helm_valid} valid and {helm_invalid} invalid to Helm; differences by design: {}",
        by_design.len()
    );
    assert!(
        helm_valid >= GENERATED_VALID * 9 / 10 && helm_invalid >= GENERATED_MUTATED / 2,
        "the generators make both kinds: {helm_valid} valid, {helm_invalid} invalid"
    );
}

fn helm_message(answer: &Value) -> String {
    answer["message"]
        .as_str()
        .or(answer["error"].as_str())
        .unwrap_or("-")
        .replace('\n', " ")
}
