//! The post-renderer over the platform's rendered charts (examples/), for AWS pod identity,
//! AWS IRSA and OCI, in Helm 3 and Helm 4 form.

use kubectl_smi::stream::{Limits, Stream};

use crate::support::golden::assert_golden;
use crate::support::{self, example, kubectl_smi, python_has, repo};

const VALUES: [&str; 3] = ["aws", "aws-irsa", "oci"];
const FORMS: [&str; 2] = ["helm3", "helm4"];

struct Rendered {
    stdout: String,
    stderr: String,
}

fn render_bytes(values: &str, input: &[u8], extra: &[&str]) -> Rendered {
    let out = kubectl_smi()
        .arg("render")
        .arg(format!(
            "--values={}",
            example(&format!("values-{values}.yaml")).display()
        ))
        .args(extra)
        .write_stdin(input.to_vec())
        .assert()
        .success()
        .get_output()
        .clone();
    Rendered {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn render(values: &str, form: &str, extra: &[&str]) -> Rendered {
    let input = std::fs::read(example(&format!("rendered-{form}.yaml"))).unwrap();
    render_bytes(values, &input, extra)
}

#[test]
fn golden_outputs_for_every_provider_and_helm_form() {
    for values in VALUES {
        for form in FORMS {
            let out = render(values, form, &["--explain"]);
            assert_golden(&format!("render/{values}-{form}.yaml"), &out.stdout);
            assert_golden(&format!("render/{values}-{form}.explain.txt"), &out.stderr);
        }
    }
}

#[test]
fn rendering_twice_changes_nothing_more() {
    for values in VALUES {
        for form in FORMS {
            let once = render(values, form, &[]).stdout;
            let twice = render_bytes(values, once.as_bytes(), &["--explain"]);
            assert!(
                twice.stdout == once,
                "{values}/{form}: a second render changed the output"
            );
            assert!(
                twice.stderr.contains("no object added or changed"),
                "{values}/{form}: {}",
                twice.stderr
            );
        }
    }
}

#[test]
fn pyyaml_reads_every_change_as_exactly_the_reported_patch() {
    if !python_has("yaml") || !python_has("jsonpatch") {
        return;
    }
    for values in VALUES {
        for form in FORMS {
            let dir = tempfile::tempdir().unwrap();
            let explain = dir.path().join("explain.json");
            let out = render(
                values,
                form,
                &[
                    "--explain=json",
                    "--explain-file",
                    explain.to_str().unwrap(),
                ],
            );
            let output = dir.path().join("out.yaml");
            std::fs::write(&output, &out.stdout).unwrap();
            let oracle = std::process::Command::new("python3")
                .arg(repo().join("tests/oracle/yaml11_oracle.py"))
                .arg(example(&format!("rendered-{form}.yaml")))
                .arg(&output)
                .arg(&explain)
                .output()
                .unwrap();
            let report = String::from_utf8_lossy(&oracle.stdout);
            assert!(oracle.status.success(), "{values}/{form}: {report}");
        }
    }
}

#[test]
fn every_object_of_the_output_is_valid_for_kubernetes_or_its_crd() {
    for values in VALUES {
        for form in FORMS {
            let out = render(values, form, &[]);
            let mut stream =
                Stream::parse(out.stdout, Limits::default()).expect("the output parses");
            let mut checked = 0;
            for object in stream.objects() {
                let json = stream.json(object).unwrap();
                let name = stream.header(object).display_name();
                if let Some(problems) = support::kube_schema::validate(&json) {
                    assert!(problems.is_empty(), "{values}/{form}: {name}: {problems:?}");
                    checked += 1;
                }
            }
            assert!(
                checked >= 40,
                "{values}/{form}: only {checked} objects validated"
            );
        }
    }
}

#[test]
fn the_validator_refuses_unknown_fields_and_wrong_types() {
    let typo = serde_json::json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": "http-web", "intervall": "5s"}]}
    });
    if let Some(problems) = support::kube_schema::validate(&typo) {
        assert!(
            problems.iter().any(|p| p.contains("intervall")),
            "{problems:?}"
        );
    }
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
        "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "a", "envFrom": [{"secretRefs": {}}]}]}}}
    });
    let problems = support::kube_schema::validate(&deployment).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("secretRefs")),
        "{problems:?}"
    );
    let calico = serde_json::json!({
        "apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy", "metadata": {"name": "x"},
        "spec": {"order": "first"}
    });
    if let Some(problems) = support::kube_schema::validate(&calico) {
        assert!(!problems.is_empty());
    }
}
