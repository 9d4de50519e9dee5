use serde_json::{Value, json};

use crate::catalog::SCRIPTMANAGER_METRICS_PORT;
use crate::values::Smi;

/// The scriptmanager ServiceMonitor of step 5: the one object both the post-renderer and
/// `kubectl smi prometheus servicemonitor` produce.
pub fn service_monitor(smi: &Smi) -> Value {
    let env = &smi.environment;
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": format!("scriptmanager-{env}"),
            "namespace": smi.prometheus.namespace,
            "labels": {"release": smi.prometheus.release_label},
        },
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/instance": format!("scriptmanager-{env}")}},
            "namespaceSelector": {"matchNames": [smi.namespace()]},
            "endpoints": [{"port": SCRIPTMANAGER_METRICS_PORT, "interval": smi.prometheus.interval}],
        }
    })
}
