//! Step 5 of the guide: what Prometheus needs so that the Script Worker scales.

mod service_monitor;

pub use service_monitor::service_monitor;
