//! The autoscaler filter: the scriptworker HorizontalPodAutoscaler follows the queue metric.

use super::{Refusal, changes, check_refusals, options, output, render_with};
use crate::render::Autoscaler;

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
";

#[test]
fn an_autoscaler_that_ignores_the_queue_metric_is_a_warning_not_a_change() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let input = format!(
        "{SCRIPTWORKER}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: scriptworker\nspec:\n  scaleTargetRef: {{kind: Deployment, name: scriptworker}}\n  metrics: [{{type: Resource, resource: {{name: cpu}}}}]\n"
    );
    let rendered = render_with(Autoscaler::new(&smi), &input);
    assert_eq!(output(&rendered), input);
    assert!(rendered.changes.is_empty());
    assert_eq!(rendered.warnings.len(), 1);
    assert!(
        rendered.warnings[0]
            .contains("does not follow the external metric scriptmanager_job_queue_size")
    );
}

#[test]
fn the_values_can_add_one_when_the_chart_has_none() {
    let smi = options(
        "values-aws.yaml",
        "smi: {prometheus: {scriptworkerAutoscaler: {minReplicas: 1, maxReplicas: 5, targetQueueSize: 10}}}",
    )
    .values
    .smi;
    let rendered = render_with(Autoscaler::new(&smi), SCRIPTWORKER);
    let text = output(&rendered);
    for line in [
        "kind: HorizontalPodAutoscaler\n",
        "  maxReplicas: 5\n",
        "          name: scriptmanager_job_queue_size\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert_eq!(
        changes(&rendered),
        ["autoscaler HorizontalPodAutoscaler/prod/scriptworker: add "]
    );
}

#[test]
fn the_added_autoscaler_goes_in_the_values_namespace_which_the_script_worker_may_state_but_not_contradict()
 {
    let smi = options(
        "values-aws.yaml",
        "smi: {prometheus: {scriptworkerAutoscaler: {minReplicas: 1, maxReplicas: 5, targetQueueSize: 10}}}",
    )
    .values
    .smi;
    let in_prod = SCRIPTWORKER.replacen(
        "  name: scriptworker\n",
        "  name: scriptworker\n  namespace: prod\n",
        1,
    );
    let rendered = render_with(Autoscaler::new(&smi), &in_prod);
    let text = output(&rendered);
    let added = &text[in_prod.len()..];
    assert!(
        added.contains(
            "kind: HorizontalPodAutoscaler\nmetadata:\n  name: scriptworker\n  namespace: prod\n"
        ),
        "{added}"
    );
    assert_eq!(
        changes(&rendered),
        ["autoscaler HorizontalPodAutoscaler/prod/scriptworker: add "]
    );
    let in_staging = in_prod.replace("namespace: prod", "namespace: staging");
    let hpa_in_staging = format!(
        "{SCRIPTWORKER}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: scriptworker\n  namespace: staging\nspec:\n  scaleTargetRef: {{kind: Deployment, name: scriptworker}}\n"
    );
    check_refusals(
        &[
            Refusal {
                name: "the Script Worker in another namespace",
                input: &in_staging,
                says: &[
                    "Deployment/staging/scriptworker is in namespace staging, but the values put the platform in prod (smi.namespace)",
                    "HorizontalPodAutoscaler is looked for, and added, in prod",
                ],
            },
            Refusal {
                name: "its autoscaler in another namespace",
                input: &hpa_in_staging,
                says: &[
                    "HorizontalPodAutoscaler/staging/scriptworker is in namespace staging",
                    "would not scale the Script Worker",
                ],
            },
        ],
        || Autoscaler::new(&smi),
    );
}
