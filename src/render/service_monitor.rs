//! Step 5, first half: the scriptmanager ServiceMonitor, added to the release that holds the
//! scriptmanager Service, which must expose a port named `http-web`.

use serde_json::Value;

use super::hooks::ordinary_objects;
use super::namespace::PlatformNamespace;
use super::{Context, Filter, RenderError};
use crate::catalog::{SCRIPTMANAGER_METRICS_PORT, SCRIPTMANAGER_SELECTOR};
use crate::prometheus::service_monitor;
use crate::stream::{Field, ObjectRef, Stream};
use crate::values::Smi;

/// The scriptmanager Service's `app.kubernetes.io/instance` label, which the ServiceMonitor
/// selects on.
const INSTANCE_LABEL_POINTER: &str = "/metadata/labels/app.kubernetes.io~1instance";

/// Adds the scriptmanager ServiceMonitor to the release that holds the scriptmanager Service.
#[derive(Debug)]
pub struct ServiceMonitor {
    /// The ServiceMonitor; `None` when `smi.prometheus.serviceMonitor` is off.
    monitor: Option<Value>,
    /// The instance label the ServiceMonitor selects, `scriptmanager-<environment>`.
    instance: String,
    /// The scrape interval, for the report.
    interval: String,
    /// The namespace the ServiceMonitor's `namespaceSelector` selects.
    namespace: PlatformNamespace,
}

impl ServiceMonitor {
    /// The filter for these values.
    pub fn new(smi: &Smi) -> ServiceMonitor {
        ServiceMonitor {
            monitor: smi.prometheus.service_monitor.then(|| service_monitor(smi)),
            instance: format!("scriptmanager-{}", smi.environment),
            interval: smi.prometheus.interval.clone(),
            namespace: PlatformNamespace::new(smi),
        }
    }
}

impl Filter for ServiceMonitor {
    fn name(&self) -> &'static str {
        "service-monitor"
    }

    fn fields(&self) -> Vec<Field> {
        vec![
            Field::of_kinds(&["Service"], "/spec/selector"),
            Field::of_kinds(&["Service"], INSTANCE_LABEL_POINTER),
            Field::of_kinds(&["Service"], "/spec/ports"),
        ]
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        let Some(monitor) = &self.monitor else {
            return Ok(());
        };
        let Some(service) = scriptmanager_service(stream)? else {
            return Ok(());
        };
        self.namespace.check(stream, service, |ns| {
            format!("the ServiceMonitor's namespaceSelector selects {ns}, so Prometheus would not scrape it")
        })?;
        let label = stream.pointer(service, INSTANCE_LABEL_POINTER)?;
        let object = stream.header(service).display_name();
        let instance = &self.instance;
        let found = label.as_ref().and_then(Value::as_str);
        if found != Some(instance) {
            // The charts label it `scriptmanager-<env_name>`: say which environment that is.
            let labelled = match found {
                Some(found) => match found.strip_prefix("scriptmanager-") {
                    Some(environment) => format!(
                        "the Service is labelled app.kubernetes.io/instance={found}: the charts were rendered for environment {environment}"
                    ),
                    None => format!("the Service is labelled app.kubernetes.io/instance={found}"),
                },
                None => "the Service has no app.kubernetes.io/instance label".to_owned(),
            };
            return Err(RenderError::Prometheus {
                object,
                problem: format!(
                    "the ServiceMonitor selects app.kubernetes.io/instance={instance} (from smi.environment) but {labelled}"
                ),
                hint: "render the charts with the same environment as smi.environment (the charts' own environment value; examples/staging shows both set), or set smi.environment to the env_name the charts were rendered with",
            });
        }
        let ports = stream
            .pointer(service, "/spec/ports")?
            .and_then(|ports| match ports {
                Value::Array(ports) => Some(ports),
                _ => None,
            })
            .unwrap_or_default();
        if !ports
            .iter()
            .any(|p| p["name"] == SCRIPTMANAGER_METRICS_PORT)
        {
            return Err(RenderError::Prometheus {
                object,
                problem: format!(
                    "no port named {SCRIPTMANAGER_METRICS_PORT}, which Prometheus scrapes"
                ),
                hint: "the scriptmanager Service must expose its metrics on a port named http-web (step 5 of the guide)",
            });
        }
        let reason = format!(
            "Prometheus scrapes {object} every {} (step 5)",
            self.interval
        );
        cx.add_or_update(stream, reason, monitor.clone())
    }
}

/// The scriptmanager's Service: named `scriptmanager`, or selecting the scriptmanager pods.
fn scriptmanager_service(stream: &mut Stream) -> Result<Option<ObjectRef>, RenderError> {
    let (key, value) = SCRIPTMANAGER_SELECTOR;
    for object in ordinary_objects(stream)? {
        let header = stream.header(object);
        if header.kind != "Service" || header.api_version != "v1" {
            continue;
        }
        let named = header.name.as_deref() == Some("scriptmanager");
        let selector = stream.pointer(object, "/spec/selector")?;
        let selects = selector
            .as_ref()
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            == Some(value);
        if named || selects {
            return Ok(Some(object));
        }
    }
    Ok(None)
}
