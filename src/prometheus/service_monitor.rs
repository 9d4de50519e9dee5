//! The scriptmanager ServiceMonitor of step 5. The post-renderer's filter and `kubectl smi
//! prometheus servicemonitor` both call [`service_monitor`], so they cannot disagree.

use serde_json::{Value, json};

use crate::catalog::SCRIPTMANAGER_METRICS_PORT;
use crate::values::Smi;

/// The ServiceMonitor's name, `scriptmanager-<environment>` as in the guide.
pub fn service_monitor_name(smi: &Smi) -> String {
    format!("scriptmanager-{}", smi.environment)
}

/// The guide's ServiceMonitor for these values: in the Prometheus namespace with the label
/// Prometheus selects, scraping the scriptmanager Service of the platform's namespace.
pub fn service_monitor(smi: &Smi) -> Value {
    let name = service_monitor_name(smi);
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": name,
            "namespace": smi.prometheus.namespace,
            "labels": {"release": smi.prometheus.release_label}
        },
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/instance": name}},
            "namespaceSelector": {"matchNames": [smi.namespace()]},
            "endpoints": [{"port": SCRIPTMANAGER_METRICS_PORT, "interval": smi.prometheus.interval}]
        }
    })
}
