//! The network-policy filter: the Script Worker isolation policy, added once, to the release
//! that runs the Script Worker.

use super::{Case, changes, check_table, options, output, render_with};
use crate::render::NetworkPolicy;

const SCRIPTWORKER: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scriptworker
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-scriptworker
    spec:
      serviceAccountName: scriptworker
";

#[test]
fn the_calico_policy_of_the_guide_is_added_where_the_script_worker_runs() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let rendered = render_with(NetworkPolicy::new(&smi).expect("builds"), SCRIPTWORKER);
    let text = output(&rendered);
    assert!(
        text.starts_with(SCRIPTWORKER),
        "the workload is untouched: {text}"
    );
    let added = &text[SCRIPTWORKER.len()..];
    assert!(
        added.starts_with("---\n# Source: kubectl-smi/network-policy/scriptworker-policy.yaml\n"),
        "{added}"
    );
    for line in [
        "apiVersion: crd.projectcalico.org/v1\n",
        "kind: NetworkPolicy\n",
        "  name: scriptworker-policy\n",
        "  namespace: prod\n",
        "  selector: app.kubernetes.io/name == 'dtplatform-scriptworker'\n",
    ] {
        assert!(added.contains(line), "{line:?} in {added}");
    }
    assert_eq!(
        changes(&rendered),
        ["network-policy NetworkPolicy/prod/scriptworker-policy: add "]
    );
}

#[test]
fn no_policy_without_the_script_worker_or_with_engine_none() {
    let other = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: filesvc\n";
    let calico = options("values-aws.yaml", "{}").values.smi;
    check_table(
        &[Case {
            name: "another release",
            input: other,
            expected: other,
            changes: &[],
        }],
        || NetworkPolicy::new(&calico).expect("builds"),
    );
    let none = options("values-aws.yaml", "smi: {networkPolicy: {engine: none}}")
        .values
        .smi;
    check_table(
        &[Case {
            name: "engine none",
            input: SCRIPTWORKER,
            expected: SCRIPTWORKER,
            changes: &[],
        }],
        || NetworkPolicy::new(&none).expect("builds"),
    );
}

#[test]
fn the_kubernetes_engine_adds_a_networking_k8s_io_policy() {
    let smi = options(
        "values-aws.yaml",
        "smi: {networkPolicy: {engine: kubernetes}}",
    )
    .values
    .smi;
    let rendered = render_with(NetworkPolicy::new(&smi).expect("builds"), SCRIPTWORKER);
    let text = output(&rendered);
    assert!(
        text.contains("apiVersion: networking.k8s.io/v1\n"),
        "{text}"
    );
    assert!(
        text.contains("      app.kubernetes.io/name: dtplatform-scriptworker\n"),
        "{text}"
    );
}
