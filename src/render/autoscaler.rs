//! Step 5, second half: the scriptworker HorizontalPodAutoscaler must follow the external
//! metric the Prometheus adapter serves; one is added when the values ask and the chart has none.

use serde_json::{Value, json};

use super::hooks::ordinary_objects;
use super::namespace::PlatformNamespace;
use super::{Context, Filter, RenderError};
use crate::catalog::{QUEUE_METRIC, SCRIPTWORKER_SELECTOR};
use crate::stream::{Field, ObjectRef, Stream};
use crate::values::{Autoscaler as AutoscalerValues, Smi};

/// The workloads a HorizontalPodAutoscaler can scale.
const SCALED_KINDS: [&str; 5] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
];

/// Checks that the scriptworker HorizontalPodAutoscaler follows the queue metric, and adds
/// one when the values ask (`smi.prometheus.scriptworkerAutoscaler`) and the chart has none.
#[derive(Debug)]
pub struct Autoscaler {
    /// The platform's namespace, for an added HorizontalPodAutoscaler.
    namespace: PlatformNamespace,
    /// The HorizontalPodAutoscaler to add when the chart has none.
    wanted: Option<AutoscalerValues>,
}

impl Autoscaler {
    /// The filter for these values.
    pub fn new(smi: &Smi) -> Autoscaler {
        Autoscaler {
            namespace: PlatformNamespace::new(smi),
            wanted: smi.prometheus.scriptworker_autoscaler.clone(),
        }
    }
}

impl Filter for Autoscaler {
    fn name(&self) -> &'static str {
        "autoscaler"
    }

    fn fields(&self) -> Vec<Field> {
        vec![
            Field::of_kinds(&SCALED_KINDS, "/spec/template/metadata/labels"),
            Field::of_kinds(&["HorizontalPodAutoscaler"], "/spec/scaleTargetRef/name"),
            Field::of_kinds(&["HorizontalPodAutoscaler"], "/spec/metrics"),
        ]
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        let Some(workload) = scriptworker_workload(stream)? else {
            return Ok(());
        };
        self.namespace.check(stream, workload, |ns| {
            format!("the scriptworker HorizontalPodAutoscaler is looked for, and added, in {ns}")
        })?;
        let header = stream.header(workload);
        let Some(name) = header.name.clone() else {
            return Ok(());
        };
        let kind = header.kind.clone();
        let mut found = false;
        for object in ordinary_objects(stream)? {
            if stream.header(object).kind != "HorizontalPodAutoscaler" {
                continue;
            }
            let target = stream.pointer(object, "/spec/scaleTargetRef/name")?;
            if target.as_ref().and_then(Value::as_str) != Some(&name) {
                continue;
            }
            self.namespace.check(stream, object, |ns| {
                format!("it would not scale the Script Worker in {ns}")
            })?;
            let metrics = stream.pointer(object, "/spec/metrics")?;
            found = true;
            let display = stream.header(object).display_name();
            if !stream
                .header(object)
                .api_version
                .starts_with("autoscaling/v2")
            {
                cx.warn(format!(
                    "{display} is not autoscaling/v2: it cannot follow the external metric {QUEUE_METRIC}, so the Script Worker will not scale with its job queue (step 5). {}",
                    autoscaler_advice()
                ));
            } else if !follows_queue_metric(metrics.as_ref()) {
                cx.warn(format!(
                    "{display} does not follow the external metric {QUEUE_METRIC}: the Script Worker will not scale with its job queue (step 5). {}",
                    autoscaler_advice()
                ));
            }
        }
        if let (false, Some(a)) = (found, &self.wanted) {
            let hpa = json!({
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": name, "namespace": self.namespace.name()},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
                    "minReplicas": a.min_replicas,
                    "maxReplicas": a.max_replicas,
                    "metrics": [{
                        "type": "External",
                        "external": {
                            "metric": {"name": QUEUE_METRIC},
                            "target": {"type": "AverageValue", "averageValue": a.target_queue_size.to_string()},
                        }
                    }],
                }
            });
            let reason = format!(
                "scales the Script Worker on {QUEUE_METRIC} (smi.prometheus.scriptworkerAutoscaler)"
            );
            cx.add_or_update(stream, reason, hpa)?;
        }
        Ok(())
    }
}

/// Whether a HorizontalPodAutoscaler's `spec.metrics` holds the external queue metric.
fn follows_queue_metric(metrics: Option<&Value>) -> bool {
    metrics.and_then(Value::as_array).is_some_and(|metrics| {
        metrics.iter().any(|m| {
            m["type"] == "External"
                && m.pointer("/external/metric/name").and_then(Value::as_str) == Some(QUEUE_METRIC)
        })
    })
}

/// The Deployment (or other workload) running the Script Worker pods.
fn scriptworker_workload(stream: &mut Stream) -> Result<Option<ObjectRef>, RenderError> {
    let (key, value) = SCRIPTWORKER_SELECTOR;
    for object in ordinary_objects(stream)? {
        if !SCALED_KINDS.contains(&stream.header(object).kind.as_str()) {
            continue;
        }
        let labels = stream.pointer(object, "/spec/template/metadata/labels")?;
        if labels
            .as_ref()
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
            == Some(value)
        {
            return Ok(Some(object));
        }
    }
    Ok(None)
}

/// What to do about a chart's HorizontalPodAutoscaler that does not follow the queue metric
/// (render leaves the chart's own and adds none next to it).
fn autoscaler_advice() -> String {
    format!(
        "Make the chart's HorizontalPodAutoscaler an autoscaling/v2 one with an External metric {QUEUE_METRIC}, or disable it in the chart's values and set smi.prometheus.scriptworkerAutoscaler so that render adds one that does"
    )
}
