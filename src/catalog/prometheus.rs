//! Step 5's Prometheus Adapter rule: the scriptmanager pods' queue sizes combined into one
//! external metric, which the scriptworker HorizontalPodAutoscaler follows.

use serde_json::{Value, json};

use super::QUEUE_METRIC;

/// The APIService prometheus-adapter registers for external metrics.
pub const EXTERNAL_METRICS_API_SERVICE: &str = "v1beta1.external.metrics.k8s.io";

/// The guide's external metric rule, exactly (seriesQuery, metricsQuery, resources).
pub fn external_metric_rule() -> Value {
    json!({
        "seriesQuery": format!("{{__name__=~\"{QUEUE_METRIC}\",service!=\"\"}}"),
        "metricsQuery": "avg(<<.Series>>{<<.LabelMatchers>>}) by (service)",
        "resources": {"overrides": {"namespace": {"resource": "namespace"}}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_the_guides() {
        let rule = external_metric_rule();
        assert_eq!(
            rule["seriesQuery"],
            r#"{__name__=~"scriptmanager_job_queue_size",service!=""}"#
        );
        assert_eq!(
            rule["metricsQuery"],
            "avg(<<.Series>>{<<.LabelMatchers>>}) by (service)"
        );
        assert_eq!(
            rule["resources"],
            json!({"overrides": {"namespace": {"resource": "namespace"}}})
        );
    }
}
