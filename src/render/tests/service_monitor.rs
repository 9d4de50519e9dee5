//! The service-monitor filter: the scriptmanager ServiceMonitor of step 5.

use super::{Refusal, changes, check_refusals, options, output, render_with};
use crate::render::{Filter, ServiceMonitor, run};

fn service(port: &str, instance: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: scriptmanager\n  labels:\n    app.kubernetes.io/instance: {instance}\nspec:\n  selector:\n    app.kubernetes.io/name: dtplatform-scriptmanager\n  ports:\n    - name: {port}\n      port: 8080\n"
    )
}

#[test]
fn the_service_monitor_is_added_beside_the_scriptmanager_service() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let input = service("http-web", "scriptmanager-prod");
    let rendered = render_with(ServiceMonitor::new(&smi), &input);
    let text = output(&rendered);
    assert!(text.starts_with(&input), "the Service is untouched: {text}");
    assert!(
        text.contains("kind: ServiceMonitor\n") && text.contains("  namespace: monitoring\n"),
        "{text}"
    );
    assert_eq!(
        changes(&rendered),
        ["service-monitor ServiceMonitor/monitoring/scriptmanager-prod: add "]
    );
}

#[test]
fn a_service_prometheus_cannot_scrape_is_refused_with_what_to_set() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    for (input, expected) in [
        (
            service("http", "scriptmanager-prod"),
            "no port named http-web",
        ),
        (
            service("http-web", "scriptmanager-staging"),
            "app.kubernetes.io/instance=scriptmanager-prod",
        ),
    ] {
        let filters: Vec<Box<dyn Filter>> = vec![Box::new(ServiceMonitor::new(&smi))];
        let error = run(&filters, input, Default::default()).expect_err("refused");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn nothing_is_added_when_the_values_turn_it_off() {
    let smi = options(
        "values-aws.yaml",
        "smi: {prometheus: {serviceMonitor: false}}",
    )
    .values
    .smi;
    let input = service("http-web", "scriptmanager-prod");
    let rendered = render_with(ServiceMonitor::new(&smi), &input);
    assert_eq!(output(&rendered), input);
    assert!(rendered.changes.is_empty());
}

#[test]
fn the_service_monitor_selects_the_values_namespace_which_the_service_may_state_but_not_contradict()
{
    let smi = options("values-aws.yaml", "{}").values.smi;
    let in_prod = service("http-web", "scriptmanager-prod").replacen(
        "  name: scriptmanager\n",
        "  name: scriptmanager\n  namespace: prod\n",
        1,
    );
    let rendered = render_with(ServiceMonitor::new(&smi), &in_prod);
    let text = output(&rendered);
    assert!(
        text.starts_with(&in_prod),
        "the Service is untouched: {text}"
    );
    assert!(
        text.contains("  namespaceSelector:\n    matchNames:\n      - prod\n"),
        "{text}"
    );
    assert_eq!(
        changes(&rendered),
        ["service-monitor ServiceMonitor/monitoring/scriptmanager-prod: add "]
    );
    let in_staging = in_prod.replace("namespace: prod", "namespace: staging");
    let in_a_list = format!(
        "apiVersion: v1\nkind: List\nitems:\n  - {}",
        in_staging.trim_end().replace('\n', "\n    ")
    );
    check_refusals(
        &[
            Refusal {
                name: "a Service in another namespace",
                input: &in_staging,
                says: &[
                    "Service/staging/scriptmanager is in namespace staging, but the values put the platform in prod (smi.namespace)",
                    "namespaceSelector selects prod, so Prometheus would not scrape it",
                    "set smi.namespace: staging",
                ],
            },
            Refusal {
                name: "the same Service as an item of a List",
                input: &in_a_list,
                says: &["Service/staging/scriptmanager is in namespace staging"],
            },
        ],
        || ServiceMonitor::new(&smi),
    );
}
