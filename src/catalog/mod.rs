//! The platform's facts, from the installation guide: which service accounts exist, which
//! buckets each reaches, the workloads' labels, the metric the Script Worker scales on, the
//! network table, the secret catalog and where load balancer controllers read a Service's
//! exposure. Every command reads them from here. Facts only:
//! code that computes from the values lives with the command that uses it, so the catalog
//! imports nothing of ours but the `error` leaf.

mod load_balancer;
mod network;
mod prometheus;
mod secrets;
mod service_accounts;

pub use load_balancer::{AWS_LOAD_BALANCER_CHOICES, LoadBalancerChoice, OCI_LOAD_BALANCER_CHOICES};
pub use network::{
    ANY_IPV4, ANY_IPV6, Destination, LOAD_BALANCER_PORTS, NETWORK_TABLE, NETWORK_TABLE_NOTE,
    PUBLIC_API_PORT, Row, Service, Source,
};
pub use prometheus::{EXTERNAL_METRICS_API_SERVICE, external_metric_rule};
pub use secrets::{
    CatalogError, Generator, KeySource, KeySpec, SecretSpec, check_catalog, check_key_name,
    default_secrets, is_certificate_subject, secret_catalog, typed_secret_lacks,
};
pub use service_accounts::{Bucket, SERVICE_ACCOUNTS, ServiceAccount, service_account};

/// Label key and value of the Script Worker pods (step 4 of the guide).
pub const SCRIPTWORKER_SELECTOR: (&str, &str) =
    ("app.kubernetes.io/name", "dtplatform-scriptworker");
/// Label key and value of the Script Manager pods (step 4 of the guide).
pub const SCRIPTMANAGER_SELECTOR: (&str, &str) =
    ("app.kubernetes.io/name", "dtplatform-scriptmanager");
/// The Service port Prometheus scrapes on the scriptmanager (step 5).
pub const SCRIPTMANAGER_METRICS_PORT: &str = "http-web";
/// The external metric the scriptworker HorizontalPodAutoscaler follows (step 5).
pub const QUEUE_METRIC: &str = "scriptmanager_job_queue_size";
/// Annotation put on every object kubectl-smi adds or changes.
pub const INJECTED_BY: &str = "smi.dtplatform.io/injected-by";
