//! Talking to the Kubernetes API: kubectl's connection flags and kubeconfig rules turned
//! into a `kube::Client`, and API failures turned into messages an operator can act on.
//! Every command that reaches the cluster (secrets, preflight) connects through here.

mod kubeconfig;

pub use kubeconfig::{ClusterOptions, ResolvedConfig, parse_request_timeout, resolve};

use crate::error::Hint;

/// A client and what it points at.
#[derive(Clone)]
pub struct Connection {
    /// The Kubernetes client.
    pub client: kube::Client,
    /// The API server's URL, for messages.
    pub server: String,
    /// The kubeconfig context used, when one was.
    pub context: Option<String>,
    /// The namespace the context names, when it names one (the default for `-n`).
    pub context_namespace: Option<String>,
}

/// Builds a client from the flags and the kubeconfig (needs a running tokio runtime).
pub async fn connect(options: &ClusterOptions) -> Result<Connection, ClusterError> {
    let resolved = resolve(options).await?;
    let server = resolved.config.cluster_url.to_string();
    let client = kube::Client::try_from(resolved.config).map_err(ClusterError::Client)?;
    Ok(Connection {
        client,
        server: server.trim_end_matches('/').to_owned(),
        context: resolved.context,
        context_namespace: resolved.context_namespace,
    })
}

/// Why the cluster could not be reached or refused a request.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A kubeconfig file cannot be read or used.
    #[error("kubeconfig ({origin}): {source}")]
    Kubeconfig {
        /// Which kubeconfig: its path, `context NAME`, or `the command-line flags`.
        origin: String,
        /// What kube-rs found wrong with it.
        source: kube::config::KubeconfigError,
    },
    /// The kubeconfig names no current context and none was given.
    #[error("the kubeconfig has no current context")]
    NoContext,
    /// `--context` (or current-context) names a context the kubeconfig does not have.
    #[error("context {0:?} is not in the kubeconfig")]
    UnknownContext(String),
    /// `--cluster` or `--user` names an entry the kubeconfig does not have.
    #[error("{0} {1:?} is not in the kubeconfig")]
    UnknownEntry(&'static str, String),
    /// No kubeconfig, no --server, not in a pod.
    #[error(
        "no cluster to talk to: no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and no --server"
    )]
    NoConfig,
    /// The pod's service account could not be used.
    #[error("in-cluster configuration: {0}")]
    InCluster(String),
    /// `--request-timeout` is not a duration.
    #[error("--request-timeout {0:?} is not a duration")]
    BadTimeout(String),
    /// The HTTP client could not be built (TLS material, proxy).
    #[error("cannot build the Kubernetes client: {0}")]
    Client(kube::Error),
    /// A request failed: `action` says which (e.g. "create secret prod/smi-kafka").
    #[error("{action}: {}", describe(source, server))]
    Request {
        /// What was being done, e.g. `create secret prod/smi-kafka`.
        action: String,
        /// The API server's URL.
        server: String,
        /// The client's error: an API status (401, 403, 404, ...) or a connection failure.
        source: kube::Error,
    },
}

impl Hint for ClusterError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            ClusterError::Kubeconfig { .. } => {
                "check the kubeconfig file (kubectl config view shows what kubectl reads)"
            }
            ClusterError::NoContext | ClusterError::UnknownContext(_) => {
                "pick a context with --context (kubectl config get-contexts lists them)"
            }
            ClusterError::UnknownEntry(..) => {
                "check the name (kubectl config view lists clusters and users), or give --server / --token with it"
            }
            ClusterError::NoConfig => {
                "point at the cluster with --kubeconfig FILE, KUBECONFIG, or --server URL"
            }
            ClusterError::InCluster(_) => "outside a pod, pass --kubeconfig or --server",
            ClusterError::BadTimeout(_) => {
                "write it as kubectl does: 30s, 2m, 1h, or 0 for no limit"
            }
            ClusterError::Client(_) => {
                "check the certificate files (--certificate-authority, --client-certificate, --client-key)"
            }
            ClusterError::Request { source, .. } => match source {
                kube::Error::Api(status) if status.reason == NOT_A_STATUS => {
                    "check that --server (or the kubeconfig's cluster) is the cluster's API server (`kubectl cluster-info` shows the one kubectl uses), and that the API asked for is installed"
                }
                kube::Error::Api(status) => match status.code {
                    401 => {
                        "your credentials were refused: log in again, or check --token, --user and --context"
                    }
                    403 => forbidden_hint(&status.message),
                    404 => "check the namespace (-n) and that the API is installed on the cluster",
                    409 => {
                        "someone else changed the object at the same time: run the command again"
                    }
                    422 => "the API server refused the object as invalid: see the message above",
                    _ => "retry; if it persists, check the API server's health",
                },
                _ => {
                    "check that the API server is reachable from here and that --context/--kubeconfig point at the right cluster"
                }
            },
        })
    }
}

/// A 403 is not always RBAC: admission refuses with 403 too, and what to do differs. Told
/// apart by the API server's wording (a validating webhook's `admission webhook "NAME"
/// denied the request`, ResourceQuota's `exceeded quota`, NamespaceLifecycle's `because it
/// is being terminated`); anything else is RBAC's.
fn forbidden_hint(message: &str) -> &'static str {
    if message.contains("admission webhook \"") {
        "an admission webhook of the cluster refused the request (its name and reason are above); this is its policy, not RBAC: change what it objects to, or ask the webhook's owners"
    } else if message.contains("exceeded quota") {
        "a ResourceQuota of the namespace is used up (named above; `kubectl describe quota -n NAMESPACE` shows it): ask for a larger quota or remove unused objects, then run again"
    } else if message.contains("because it is being terminated") {
        "the namespace is being deleted: wait until it is gone (kubectl get namespace NAMESPACE), then run again, or use another namespace"
    } else if message.contains("error looking up service account") {
        "the namespace's service account does not exist yet (a namespace just created gets it within seconds): run again in a moment"
    } else {
        "your user lacks the permission named above: ask a cluster administrator for it (or use --as with a user that has it)"
    }
}

impl ClusterError {
    /// Wraps a failed request with what it was doing.
    pub fn request(action: impl Into<String>, server: &str, source: kube::Error) -> Self {
        ClusterError::Request {
            action: action.into(),
            server: server.to_owned(),
            source,
        }
    }

    /// The HTTP code of a refused request, when the API server answered.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            ClusterError::Request {
                source: kube::Error::Api(status),
                ..
            } => Some(status.code),
            _ => None,
        }
    }
}

/// kube's `reason` for an error reply whose body is not a Kubernetes `Status` (kube-client's
/// `handle_api_errors`): a proxy, a web server that is not an API server, or an API path the
/// server does not serve (`404 page not found`).
const NOT_A_STATUS: &str = "Failed to parse error data";

/// The API server's own words for a refusal; the address for a connection failure.
fn describe(error: &kube::Error, server: &str) -> String {
    match error {
        kube::Error::Api(status) if status.reason == NOT_A_STATUS => {
            let body: String = status.message.chars().take(120).collect();
            let body = if body.is_empty() {
                "an empty body".to_owned()
            } else {
                format!("{body:?}")
            };
            format!(
                "{server} answered {} with {body}, not a Kubernetes Status: it is not a Kubernetes API server, or it does not serve this API",
                status.code
            )
        }
        kube::Error::Api(status) => {
            let message = if status.message.is_empty() {
                status.reason.clone()
            } else {
                status.message.clone()
            };
            if status.reason.is_empty() {
                // A webhook's refusal often carries no reason.
                format!("{message} ({})", status.code)
            } else {
                format!("{message} ({} {})", status.code, status.reason)
            }
        }
        other => format!(
            "cannot reach the API server at {server}: {}",
            crate::error::chain(other)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_reply_that_is_not_a_kubernetes_status_says_so_and_points_at_the_server() {
        let status = kube::core::Status::failure("", NOT_A_STATUS).with_code(404);
        let error = ClusterError::request(
            "read namespace staging",
            "https://example.test",
            kube::Error::Api(status.boxed()),
        );
        assert_eq!(
            error.to_string(),
            "read namespace staging: https://example.test answered 404 with an empty body, not a Kubernetes Status: it is not a Kubernetes API server, or it does not serve this API"
        );
        assert!(error.hint().unwrap().contains("kubectl cluster-info"));
        let page = kube::core::Status::failure("404 page not found", NOT_A_STATUS).with_code(404);
        let error = ClusterError::request(
            "list calico policies",
            "https://k",
            kube::Error::Api(page.boxed()),
        );
        assert!(
            error
                .to_string()
                .contains("answered 404 with \"404 page not found\""),
            "{error}"
        );
    }

    #[test]
    fn request_timeouts_read_as_kubectl_writes_them() {
        assert_eq!(
            parse_request_timeout("30s").unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            parse_request_timeout("1m30s").unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(
            parse_request_timeout("15").unwrap(),
            Duration::from_secs(15)
        );
        assert_eq!(parse_request_timeout("0").unwrap(), Duration::ZERO);
        assert_eq!(
            parse_request_timeout("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert!(parse_request_timeout("soon").is_err());
        assert!(parse_request_timeout("5d").is_err());
        assert!(parse_request_timeout("").is_err());
    }
}
