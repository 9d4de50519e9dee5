//! A Kubernetes client from the flags kubectl users expect (--kubeconfig, --context,
//! --server, --token, --as, ...), resolved the way kubectl resolves them: the kubeconfig
//! (KUBECONFIG may list several files) chooses the cluster and user, flags override it.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// kubectl's generic connection options, as plain values.
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub server: Option<String>,
    pub token: Option<String>,
    pub as_user: Option<String>,
    pub as_groups: Vec<String>,
    pub certificate_authority: Option<PathBuf>,
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    /// kubectl's --request-timeout: None waits forever.
    pub request_timeout: Option<Duration>,
}

/// A client and what it talks to, for reports.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The kubeconfig context in use, if any.
    pub context: Option<String>,
    pub server: String,
}

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// No kubeconfig was found and no --server given.
    #[error("no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster: {0}")]
    NoConfig(String),
    /// The kubeconfig cannot be used.
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    /// A flag's value is not usable.
    #[error("--{flag} {value:?}: {problem}")]
    Flag {
        flag: &'static str,
        value: String,
        problem: String,
    },
    /// The client could not be built from the configuration.
    #[error("cannot build a Kubernetes client: {0}")]
    Client(String),
}

impl ConnectionError {
    pub fn hint(&self) -> &'static str {
        match self {
            ConnectionError::NoConfig(_) => {
                "pass --kubeconfig FILE, set KUBECONFIG, or give --server and --token"
            }
            ConnectionError::Kubeconfig(_) => {
                "check the file with `kubectl config view`; choose a context with --context"
            }
            ConnectionError::Flag { .. } => "see --help for the flag's format",
            ConnectionError::Client(_) => {
                "check the certificates and the server address in the kubeconfig"
            }
        }
    }
}

/// Builds a client as kubectl would for these options.
pub async fn connect(options: &KubeOptions) -> Result<Connection, ConnectionError> {
    let (mut config, context) = base_config(options).await?;
    apply_flags(&mut config, options)?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| ConnectionError::Client(e.to_string()))?;
    Ok(Connection {
        client,
        context,
        server,
    })
}

async fn base_config(options: &KubeOptions) -> Result<(Config, Option<String>), ConnectionError> {
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Some(
            Kubeconfig::read_from(path)
                .map_err(|e| ConnectionError::Kubeconfig(format!("{}: {e}", path.display())))?,
        ),
        None => Kubeconfig::read().ok(),
    };
    let selection = KubeConfigOptions {
        context: options.context.clone(),
        cluster: options.cluster.clone(),
        user: options.user.clone(),
    };
    match (kubeconfig, &options.server) {
        (Some(kubeconfig), _) => {
            let context = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            let config = Config::from_custom_kubeconfig(kubeconfig, &selection).await;
            match (config, &options.server) {
                (Ok(config), _) => Ok((config, context)),
                // kubectl accepts --server with a kubeconfig that has no usable context.
                (Err(_), Some(server)) => Ok((Config::new(parse_server(server)?), None)),
                (Err(e), None) => Err(ConnectionError::Kubeconfig(e.to_string())),
            }
        }
        (None, Some(server)) => Ok((Config::new(parse_server(server)?), None)),
        (None, None) => Config::incluster()
            .map(|config| (config, None))
            .map_err(|e| ConnectionError::NoConfig(e.to_string())),
    }
}

fn parse_server(server: &str) -> Result<http::Uri, ConnectionError> {
    server
        .parse()
        .map_err(|e: http::uri::InvalidUri| ConnectionError::Flag {
            flag: "server",
            value: server.to_owned(),
            problem: e.to_string(),
        })
}

fn apply_flags(config: &mut Config, options: &KubeOptions) -> Result<(), ConnectionError> {
    if let Some(server) = &options.server {
        config.cluster_url = parse_server(server)?;
    }
    if let Some(token) = &options.token {
        config.auth_info.token = Some(token.clone().into());
        config.auth_info.token_file = None;
        config.auth_info.exec = None;
        config.auth_info.auth_provider = None;
    }
    if let Some(user) = &options.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !options.as_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(options.as_groups.clone());
    }
    if let Some(ca) = &options.certificate_authority {
        config.root_cert_file = Some(ca.clone());
    }
    if let Some(cert) = &options.client_certificate {
        config.auth_info.client_certificate = Some(cert.display().to_string());
        config.auth_info.client_certificate_data = None;
    }
    if let Some(key) = &options.client_key {
        config.auth_info.client_key = Some(key.display().to_string());
        config.auth_info.client_key_data = None;
    }
    if options.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(timeout) = options.request_timeout {
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
        config.reset_reader_on_write = true;
    }
    Ok(())
}

/// kubectl's --request-timeout: `0` (no timeout), a number of seconds, or a number with
/// a unit (`500ms`, `30s`, `5m`, `1h`).
pub fn parse_request_timeout(text: &str) -> Result<Option<Duration>, ConnectionError> {
    let fail = |problem: &str| ConnectionError::Flag {
        flag: "request-timeout",
        value: text.to_owned(),
        problem: problem.to_owned(),
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| fail("expected a duration such as 30s or 1m"))?;
    let duration = match unit {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number * 60),
        "h" => Duration::from_secs(number * 3600),
        _ => return Err(fail("the unit must be ms, s, m or h")),
    };
    Ok((!duration.is_zero()).then_some(duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeouts_read_as_kubectl_reads_them() {
        assert_eq!(parse_request_timeout("0").unwrap(), None);
        assert_eq!(
            parse_request_timeout("30").unwrap(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_request_timeout("1m").unwrap(),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_request_timeout("500ms").unwrap(),
            Some(Duration::from_millis(500))
        );
        let err = parse_request_timeout("3 days").unwrap_err();
        assert!(err.to_string().contains("unit must be"), "{err}");
    }
}
