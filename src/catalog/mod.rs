//! The platform's facts, from the installation guide: which service accounts exist, which
//! buckets each reaches, the workloads' labels, the metric the Script Worker scales on, the
//! network table and the secret catalog. Every command reads them from here.

mod secrets;
mod service_accounts;

pub use secrets::*;
pub use service_accounts::*;

/// Label key and value of the Script Worker pods (step 4 of the guide).
pub const SCRIPTWORKER_SELECTOR: (&str, &str) = ("app.kubernetes.io/name", "dtplatform-scriptworker");
/// Label key and value of the Script Manager pods (step 4 of the guide).
pub const SCRIPTMANAGER_SELECTOR: (&str, &str) = ("app.kubernetes.io/name", "dtplatform-scriptmanager");
/// The Service port Prometheus scrapes on the scriptmanager (step 5).
pub const SCRIPTMANAGER_METRICS_PORT: &str = "http-web";
/// The external metric the scriptworker HorizontalPodAutoscaler follows (step 5).
pub const QUEUE_METRIC: &str = "scriptmanager_job_queue_size";
/// Annotation put on every object kubectl-smi adds or changes.
pub const INJECTED_BY: &str = "smi.dtplatform.io/injected-by";
