//! Rules for one post-render call as a whole, whatever Helm's post-render strategy: a stream
//! of no document comes back as a comment (Helm 4 refuses an empty output), and the objects
//! the tool adds for ordinary manifests are added only in a call that holds them.

use super::options;
use crate::render::{NO_MANIFESTS, PostRenderStrategy, filters, run};

fn render_all(input: &str) -> crate::render::Rendered {
    let mut options = options(
        "values-aws.yaml",
        "smi: {prometheus: {scriptworkerAutoscaler: {minReplicas: 1, maxReplicas: 5, targetQueueSize: 10}}}",
    );
    options.strategy = PostRenderStrategy::Separate;
    let filters = filters(&options).expect("the filters build");
    run(&filters, input.to_owned(), Default::default()).expect("renders")
}

#[test]
fn a_stream_of_no_document_comes_back_as_a_comment_that_helm_reads_as_no_document() {
    for input in ["", "\n", "  \n\n\t\n"] {
        let rendered = render_all(input);
        assert_eq!(rendered.output, NO_MANIFESTS.as_bytes(), "{input:?}");
        assert!(rendered.changes.is_empty());
    }
    // A stream that already says something (comments, bare separators) is kept as it is.
    for input in ["# nothing here\n", "---\n# Source: c/templates/x.yaml\n"] {
        assert_eq!(render_all(input).output, input.as_bytes(), "{input:?}");
    }
}

const SCRIPTWORKER_HOOK: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scriptworker
  annotations:
    helm.sh/hook: post-install
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-scriptworker
    spec:
      serviceAccountName: scriptworker
---
apiVersion: v1
kind: Service
metadata:
  name: scriptmanager
  annotations:
    helm.sh/hook: post-install
  labels:
    app.kubernetes.io/instance: scriptmanager-prod
spec:
  selector:
    app.kubernetes.io/name: dtplatform-scriptmanager
  ports:
    - name: http-web
      port: 80
";

#[test]
fn a_call_of_hooks_only_adds_no_ordinary_object_so_none_is_added_twice() {
    // The Script Worker and the scriptmanager Service as hooks: under `separate` that call
    // holds them, the other does not; an ordinary object added here would have no owner call.
    let rendered = render_all(SCRIPTWORKER_HOOK);
    assert_eq!(rendered.output, SCRIPTWORKER_HOOK.as_bytes());
    assert!(rendered.changes.is_empty());
    // The same documents as ordinary manifests get the policy, the ServiceMonitor and the HPA.
    let ordinary =
        SCRIPTWORKER_HOOK.replace("  annotations:\n    helm.sh/hook: post-install\n", "");
    let added: Vec<String> = render_all(&ordinary)
        .changes
        .iter()
        .filter(|c| c.document.is_none())
        .map(|c| format!("{} [{}]", c.object, c.filter))
        .collect();
    assert_eq!(
        added,
        [
            "NetworkPolicy/prod/scriptworker-policy [network-policy]",
            "ServiceMonitor/monitoring/scriptmanager-prod [service-monitor]",
            "HorizontalPodAutoscaler/prod/scriptworker [autoscaler]",
        ]
    );
}
