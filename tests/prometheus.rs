//! Step 5: the scriptmanager ServiceMonitor (validated against the prometheus-operator CRD)
//! and the adapter rule merged into prometheus-adapter values files in place.

use std::path::Path;

use kubectl_smi::prometheus::{Merged, merge_external_rule, service_monitor};
use kubectl_smi::stream::{Limits, read_yaml_document};
use kubectl_smi::values;
use serde_json::{Value, json};

use crate::support::{example, kubectl_smi, ok, ok_output, python_has, shared_data, write_file};

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let limits = Limits {
        max_bytes: 64 << 20,
        ..Limits::default()
    };
    read_yaml_document(&text, &limits)
        .unwrap()
        .unwrap()
        .to_json()
}

fn smi(example_name: &str) -> kubectl_smi::values::Smi {
    values::load(&[example(example_name)])
        .unwrap()
        .typed()
        .unwrap()
        .smi
}

#[test]
fn the_service_monitor_is_the_guides_for_the_values() {
    let monitor = service_monitor(&smi("values-oci.yaml"));
    assert_eq!(
        monitor["metadata"],
        json!({"name": "scriptmanager-prod", "namespace": "monitoring", "labels": {"release": "kube-prometheus-stack"}})
    );
    assert_eq!(
        monitor["spec"]["selector"],
        json!({"matchLabels": {"app.kubernetes.io/instance": "scriptmanager-prod"}})
    );
    assert_eq!(
        monitor["spec"]["namespaceSelector"],
        json!({"matchNames": ["dtp"]}),
        "the platform's namespace, not the environment"
    );
    assert_eq!(
        monitor["spec"]["endpoints"],
        json!([{"port": "http-web", "interval": "5s"}])
    );
}

#[test]
fn the_service_monitor_validates_against_the_prometheus_operator_crd() {
    let Some(crd) = shared_data("crds/monitoring.coreos.com_servicemonitors.yaml") else {
        return;
    };
    let crd = read_yaml(&crd);
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1")
        .unwrap();
    let schema = &version["schema"]["openAPIV3Schema"];
    let validator = jsonschema::validator_for(schema).unwrap();
    for name in ["values-aws.yaml", "values-oci.yaml", "values-aws-irsa.yaml"] {
        let monitor = service_monitor(&smi(name));
        let errors: Vec<String> = validator
            .iter_errors(&monitor)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // The schema is strict enough to catch a wrong shape, so the check above means something.
    let mut broken = service_monitor(&smi("values-aws.yaml"));
    broken["spec"]["endpoints"] = json!({"port": "http-web"});
    assert!(!validator.is_valid(&broken));
}

#[test]
fn servicemonitor_prints_yaml_that_a_yaml_1_1_reader_reads_as_the_object() {
    let yaml = ok(kubectl_smi()
        .args(["prometheus", "servicemonitor", "-f"])
        .arg(example("values-aws.yaml")));
    let expected = service_monitor(&smi("values-aws.yaml"));
    if python_has("yaml") {
        assert_eq!(pyyaml_json(&yaml), expected);
    }
    let json = ok(kubectl_smi()
        .args(["prometheus", "servicemonitor", "-o", "json", "-f"])
        .arg(example("values-aws.yaml")));
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), expected);
}

/// What PyYAML (a YAML 1.1 reader, like Kubernetes') reads from `yaml`, as JSON.
fn pyyaml_json(yaml: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "in.yaml", yaml);
    let json = ok(std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&path));
    serde_json::from_str(&json).unwrap()
}

fn rule() -> Value {
    kubectl_smi::catalog::external_metric_rule()
}

#[test]
fn adapter_rules_prints_the_guides_rule_as_chart_values() {
    let yaml = ok(kubectl_smi().args(["prometheus", "adapter-rules"]));
    if python_has("yaml") {
        assert_eq!(pyyaml_json(&yaml), json!({"rules": {"external": [rule()]}}));
    }
    let json = ok(kubectl_smi().args(["prometheus", "adapter-rules", "-o", "json"]));
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        json!({"rules": {"external": [rule()]}})
    );
}

/// The rule as the merge writes it in block style, its dash at `column`.
fn block(column: usize) -> String {
    let pad = " ".repeat(column);
    [
        r#"- seriesQuery: "{__name__=~\"scriptmanager_job_queue_size\",service!=\"\"}""#,
        "  metricsQuery: avg(<<.Series>>{<<.LabelMatchers>>}) by (service)",
        "  resources:",
        "    overrides:",
        "      namespace:",
        "        resource: namespace",
    ]
    .iter()
    .map(|line| format!("{pad}{line}\n"))
    .collect()
}

const FLOW_RULE: &str = r#"{"seriesQuery":"{__name__=~\"scriptmanager_job_queue_size\",service!=\"\"}","metricsQuery":"avg(<<.Series>>{<<.LabelMatchers>>}) by (service)","resources":{"overrides":{"namespace":{"resource":"namespace"}}}}"#;

fn merged(input: &str) -> String {
    match merge_external_rule(Path::new("values.yaml"), input) {
        Ok(Merged::Added(text)) => text,
        other => panic!("{input:?}: {other:?}"),
    }
}

#[test]
fn the_rule_goes_where_the_file_has_room_for_it_and_nothing_else_moves() {
    let cases: Vec<(&str, String, String)> = vec![
        (
            "an empty file",
            "".into(),
            format!("rules:\n  external:\n{}", block(4)),
        ),
        (
            "comments only",
            "# values\n".into(),
            format!("# values\nrules:\n  external:\n{}", block(4)),
        ),
        (
            "no rules key",
            "a: 1  # one\n".into(),
            format!("a: 1  # one\nrules:\n  external:\n{}", block(4)),
        ),
        (
            "no newline at the end",
            "a: 1".into(),
            format!("a: 1\nrules:\n  external:\n{}", block(4)),
        ),
        (
            "rules without external",
            "rules:\n  default: true\nother: x\n".into(),
            format!(
                "rules:\n  default: true\n  external:\n{}other: x\n",
                block(4)
            ),
        ),
        (
            "an empty list with a comment",
            "rules:\n  external: []  # none yet\n    # - example\n".into(),
            format!(
                "rules:\n  external:  # none yet\n{}    # - example\n",
                block(4)
            ),
        ),
        (
            "a null external",
            "rules:\n  external:\nz: 1\n".into(),
            format!("rules:\n  external:\n{}z: 1\n", block(4)),
        ),
        (
            "a ~ external",
            "rules:\n  external: ~\n".into(),
            format!("rules:\n  external:\n{}", block(4)),
        ),
        (
            "a null rules",
            "rules:\n".into(),
            format!("rules:\n  external:\n{}", block(4)),
        ),
        (
            "an empty flow rules",
            "rules: {}\n".into(),
            format!("rules:\n  external:\n{}", block(4)),
        ),
        (
            "a flow rules",
            "rules: {default: true}\n".into(),
            format!("rules: {{default: true, external: [{FLOW_RULE}]}}\n"),
        ),
        (
            "a flow list",
            "rules:\n  external: [{seriesQuery: x}]\n".into(),
            format!("rules:\n  external: [{{seriesQuery: x}}, {FLOW_RULE}]\n"),
        ),
        (
            "a block list, unindented",
            "rules:\n  external:\n  - seriesQuery: x\n    metricsQuery: y  # mine\nz: 1\n".into(),
            format!(
                "rules:\n  external:\n  - seriesQuery: x\n    metricsQuery: y  # mine\n{}z: 1\n",
                block(2)
            ),
        ),
        (
            "a block scalar last",
            "rules:\n  x: |\n    text\n".into(),
            format!("rules:\n  x: |\n    text\n  external:\n{}", block(4)),
        ),
        (
            "CRLF line ends",
            "a: 1\r\n".into(),
            format!(
                "a: 1\r\nrules:\r\n  external:\r\n{}",
                block(4).replace('\n', "\r\n")
            ),
        ),
    ];
    for (case, input, expected) in cases {
        let output = merged(&input);
        assert_eq!(output, expected, "{case}");
        assert_eq!(
            merge_external_rule(Path::new("v"), &output).unwrap(),
            Merged::AlreadyPresent,
            "{case}: a second merge changes nothing"
        );
    }
}

#[test]
fn files_the_merge_cannot_extend_safely_are_refused() {
    let conflicting = "rules:\n  external:\n    - seriesQuery: '{__name__=~\"scriptmanager_job_queue_size\",service!=\"\"}'\n      metricsQuery: sum(x)\n";
    let cases = [
        (
            "rules: []\n",
            "`rules` is a list, the prometheus-adapter chart expects a mapping",
        ),
        (
            "rules:\n  external: 5\n",
            "`rules.external` is a number, the prometheus-adapter chart expects a list",
        ),
        ("- a\n", "`(top level)` is a list"),
        (
            conflicting,
            "already has a rule for scriptmanager_job_queue_size that differs from the guide's (entry 0)",
        ),
        (
            "base: &b []\nrules:\n  external: *b\n",
            "`rules.external` is written as an alias",
        ),
        ("a: [\n", "is not a YAML values file this tool can read"),
        (
            "a: 1\n---\nb: 2\n",
            "is not a YAML values file this tool can read",
        ),
    ];
    for (input, fragment) in cases {
        let err = merge_external_rule(Path::new("values.yaml"), input).unwrap_err();
        assert!(err.to_string().contains(fragment), "{input:?}: {err}");
        assert!(
            err.to_string().contains("not changed") || err.to_string().contains("not a YAML"),
            "{err}"
        );
    }
}

#[test]
fn merging_into_the_real_chart_values_twice_adds_the_rule_once_and_keeps_the_rest() {
    let Some(chart) = shared_data("charts/prometheus-adapter-values.yaml") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.yaml");
    std::fs::copy(&chart, &path).unwrap();
    let original = std::fs::read_to_string(&path).unwrap();

    let first = kubectl_smi()
        .args(["prometheus", "adapter-rules", "--merge-into"])
        .arg(&path)
        .output()
        .unwrap();
    ok_output(&first);
    assert!(String::from_utf8_lossy(&first.stderr).contains("added the external metric rule"));
    let after_one = std::fs::read_to_string(&path).unwrap();

    let second = kubectl_smi()
        .args(["prometheus", "adapter-rules", "--merge-into"])
        .arg(&path)
        .output()
        .unwrap();
    ok_output(&second);
    assert!(
        String::from_utf8_lossy(&second.stderr)
            .contains("unchanged, rules.external already has the rule")
    );
    let after_two = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after_one, after_two,
        "the second run leaves the file as it was"
    );
    assert_eq!(after_two.matches("scriptmanager_job_queue_size").count(), 1);

    // Every comment and every line of the original is still there, in order.
    let mut remaining = after_two.lines();
    for line in original.lines().filter(|l| !l.trim().is_empty()) {
        let kept = line.replace("external: []", "external:");
        assert!(remaining.any(|l| l == kept), "lost or moved: {line:?}");
    }

    if python_has("yaml") {
        let mut expected = pyyaml_json(&original);
        expected["rules"]["external"] = json!([rule()]);
        assert_eq!(
            pyyaml_json(&after_two),
            expected,
            "PyYAML reads the original plus the rule"
        );
    }
    assert_eq!(read_yaml(&path)["rules"]["external"], json!([rule()]));
}

#[test]
fn a_file_that_cannot_be_parsed_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.yaml");
    let broken = "rules:\n  external: [\n# unterminated\n";
    std::fs::write(&path, broken).unwrap();
    let out = kubectl_smi()
        .args(["prometheus", "adapter-rules", "--merge-into"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("so it was not changed") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn a_missing_file_is_not_created_and_the_hint_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adapter-values.yaml");
    let out = kubectl_smi()
        .args(["prometheus", "adapter-rules", "--merge-into"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("adapter-values.yaml")
            && stderr
                .contains("hint: --merge-into edits an existing prometheus-adapter values file")
            && stderr.contains("kubectl smi prometheus adapter-rules > FILE"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(!path.exists(), "a mistyped path is not created");
}

#[cfg(unix)]
#[test]
fn the_merge_keeps_the_files_permissions_and_writes_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.yaml");
    std::fs::write(&target, "rules:\n  default: true\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("values.yaml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    ok(kubectl_smi()
        .args(["prometheus", "adapter-rules", "--merge-into"])
        .arg(&link));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("scriptmanager_job_queue_size")
    );
}

#[test]
fn a_values_file_whose_rules_come_from_a_configmap_gets_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.yaml");
    std::fs::write(&path, "rules:\n  existing: my-rules\n").unwrap();
    let out = kubectl_smi()
        .args(["prometheus", "adapter-rules", "--merge-into"])
        .arg(&path)
        .output()
        .unwrap();
    ok_output(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: rules.existing is set (my-rules)"),
        "{stderr}"
    );
    assert!(kubectl_smi::prometheus::external_rules_ignored("rules:\n  existing:\n").is_none());
}
