//! `kubectl smi preflight`: whether DNS, the network and the cluster are ready for the
//! installation, as a checklist. DNS and TCP checks run from here (and, with `--in-cluster`,
//! from a pod in the namespace); cluster checks ask the API server through a client.

mod check;
mod cluster;
mod dns;
mod probe_pod;
mod resolver;
mod secret_names;
mod tcp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use check::{Check, Group, Progress, Report, Status, Summary};
pub use cluster::{
    CALICO_NETWORK_POLICY_CRD, ClusterPlan, POD_IDENTITY_AGENT, SERVICE_MONITOR_CRD, check_cluster,
};
pub use dns::check_dns;
pub use probe_pod::{DEFAULT_PROBE_IMAGE, check_from_pod, parse_probe_log, probe_pod};
pub use resolver::{Resolution, Resolver};
pub use tcp::{CONCURRENCY, Target, check_endpoints, targets};

use crate::catalog::{CatalogError, secret_catalog};
use crate::cluster::{ClusterError, Connection};
use crate::error::Hint;
use crate::network::{EndpointError, connectivity_rules};
use crate::values::Smi;

/// What a preflight run does, as plain values.
#[derive(Debug, Clone)]
pub struct PreflightOptions {
    /// The platform's namespace.
    pub namespace: String,
    /// For each TCP connection and DNS query.
    pub timeout: Duration,
    /// Resolve names with this DNS server instead of the system's resolver.
    pub dns_server: Option<SocketAddr>,
    /// Groups not to check (reported as skipped, not required).
    pub skip: Vec<Group>,
    /// Also try the endpoints from a pod in the namespace, with this image.
    pub in_cluster_image: Option<String>,
}

/// Why preflight could not run at all (a failed check is not an error).
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The values' endpoints cannot fill the network table.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The secret catalog in the values is wrong.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The DNS server given cannot be used.
    #[error("--dns-server {address}: {message}")]
    Resolver {
        /// The `--dns-server` address as given.
        address: SocketAddr,
        /// Why it cannot be used.
        message: String,
    },
}

impl Hint for PreflightError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            PreflightError::Endpoint(e) => return e.hint(),
            PreflightError::Catalog(_) => "fix the entry of smi.secrets.catalog shown",
            PreflightError::Resolver { .. } => {
                "give an IP address and port, e.g. --dns-server 10.0.0.2:53"
            }
        })
    }
}

/// Runs the checks. `cluster` is the client to ask, or why there is none (which fails the
/// cluster checks, unless they are skipped).
pub async fn run(
    smi: &Smi,
    options: &PreflightOptions,
    cluster: Result<Connection, ClusterError>,
    progress: &dyn Progress,
) -> Result<Report, PreflightError> {
    let rules = connectivity_rules(smi)?;
    let secrets = secret_catalog(&smi.secrets.catalog)?;
    let resolver = Arc::new(match options.dns_server {
        Some(address) => Resolver::server(address, options.timeout)
            .map_err(|message| PreflightError::Resolver { address, message })?,
        None => Resolver::system(options.timeout),
    });
    let targets = targets(&rules);
    let wanted = |group| !options.skip.contains(&group);
    let dns = async {
        if wanted(Group::Dns) {
            check_dns(&smi.dns, &resolver, progress).await
        } else {
            skipped(Group::Dns)
        }
    };
    let network = async {
        if wanted(Group::Network) {
            check_endpoints(&targets, resolver.clone(), options.timeout, progress).await
        } else {
            skipped(Group::Network)
        }
    };
    let plan = ClusterPlan {
        smi,
        namespace: &options.namespace,
        secrets: &secrets,
    };
    let in_cluster = options.in_cluster_image.as_deref();
    let cluster = async {
        match &cluster {
            _ if !wanted(Group::Cluster) && in_cluster.is_none() => skipped(Group::Cluster),
            Ok(connection) => {
                let mut checks = Vec::new();
                if wanted(Group::Cluster) {
                    checks = check_cluster(&connection.client, &plan, progress).await;
                }
                if let Some(image) = in_cluster {
                    let client = &connection.client;
                    checks.extend(
                        check_from_pod(
                            client,
                            &options.namespace,
                            image,
                            &targets,
                            options.timeout,
                            progress,
                        )
                        .await,
                    );
                }
                checks
            }
            Err(e) => vec![Check::fail(
                "cluster/api",
                Group::Cluster,
                "the Kubernetes API server answers",
                e.to_string(),
                e.hint().unwrap_or_default(),
            )],
        }
    };
    let (dns, network, cluster) = tokio::join!(dns, network, cluster);
    Ok(Report::new(
        dns.into_iter().chain(network).chain(cluster).collect(),
    ))
}

fn skipped(group: Group) -> Vec<Check> {
    let id = format!("{}/*", group.name());
    vec![Check::not_applicable(
        id,
        group,
        format!("{} checks", group.name()),
        "skipped with --skip",
    )]
}
