//! Step 5 of the guide: the scriptmanager ServiceMonitor, and the Prometheus Adapter's
//! external metric rule merged into a prometheus-adapter values file.

mod adapter_values;
mod service_monitor;
mod values_text;

pub use adapter_values::{
    AdapterValuesError, Merged, external_rules_ignored, merge_external_rule, merge_into_file,
};
pub use service_monitor::service_monitor;
