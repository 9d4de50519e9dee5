//! From kubectl's flags and kubeconfig files to a `kube::Config`, with kubectl's precedence:
//! `--kubeconfig` alone, else every file of KUBECONFIG merged (the first to set a value
//! wins), else ~/.kube/config, else the in-cluster service account; then the flags override
//! the chosen context, cluster and user.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};

use super::ClusterError;

/// The connection flags kubectl users know (k8s.io/cli-runtime's generic options).
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// `--kubeconfig`: the kubeconfig file; otherwise `KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: the kubeconfig context to use instead of the current one.
    pub context: Option<String>,
    /// `--cluster`: the kubeconfig cluster to use instead of the context's.
    pub cluster: Option<String>,
    /// `--user`: the kubeconfig user to use instead of the context's.
    pub user: Option<String>,
    /// `--server` (`-s`): the API server's URL, overriding the kubeconfig's.
    pub server: Option<String>,
    /// `--token`: a bearer token for the API server.
    pub token: Option<String>,
    /// `--as`: the user to impersonate.
    pub impersonate: Option<String>,
    /// `--as-group`: groups to impersonate (repeatable).
    pub impersonate_groups: Vec<String>,
    /// `--certificate-authority`: a PEM file of the CA that signed the API server's certificate.
    pub certificate_authority: Option<PathBuf>,
    /// `--client-certificate`: a PEM file of the client certificate for TLS.
    pub client_certificate: Option<PathBuf>,
    /// `--client-key`: a PEM file of the client certificate's key.
    pub client_key: Option<PathBuf>,
    /// `--insecure-skip-tls-verify`: do not check the API server's certificate.
    pub insecure_skip_tls_verify: bool,
    /// As kubectl writes it: `30s`, `1m`, `2h`, a bare number of seconds, `0` for none.
    pub request_timeout: Option<String>,
}

/// The client configuration, and where it came from (for messages).
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    /// The kube client configuration: URL, TLS, credentials, timeouts.
    pub config: kube::Config,
    /// The kubeconfig context used, when one was.
    pub context: Option<String>,
    /// The namespace the context names, when it names one.
    pub context_namespace: Option<String>,
}

/// Reads the kubeconfig the way kubectl does and applies the flags.
pub async fn resolve(options: &ClusterOptions) -> Result<ResolvedConfig, ClusterError> {
    let timeout = options
        .request_timeout
        .as_deref()
        .map(parse_request_timeout)
        .transpose()?;
    let mut resolved = match load_kubeconfig(options)? {
        Some(kubeconfig) => from_kubeconfig(kubeconfig, options).await?,
        None => in_cluster_or_server(options).await?,
    };
    if let Some(timeout) = timeout {
        let limit = (!timeout.is_zero()).then_some(timeout);
        resolved.config.read_timeout = limit;
        resolved.config.write_timeout = limit;
        if let Some(limit) = limit {
            resolved.config.connect_timeout = Some(limit);
        }
    }
    Ok(resolved)
}

/// `--kubeconfig`, else KUBECONFIG (several files), else ~/.kube/config when it exists.
fn load_kubeconfig(options: &ClusterOptions) -> Result<Option<Kubeconfig>, ClusterError> {
    if let Some(path) = &options.kubeconfig {
        return read(path).map(Some);
    }
    if let Some(paths) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&paths)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            // As client-go: files KUBECONFIG names that do not exist are skipped, and when
            // none exists there is no kubeconfig (~/.kube/config is not read instead).
            let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
            if existing.is_empty() {
                return Ok(None);
            }
            let mut merged = Kubeconfig::default();
            for path in existing {
                merged = merged
                    .merge(read(path)?)
                    .map_err(|source| ClusterError::Kubeconfig {
                        origin: path.display().to_string(),
                        source,
                    })?;
            }
            return Ok(Some(merged));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home.map(|h| h.join(".kube").join("config")) {
        Some(path) if path.exists() => read(&path).map(Some),
        _ => Ok(None),
    }
}

fn read(path: &Path) -> Result<Kubeconfig, ClusterError> {
    Kubeconfig::read_from(path).map_err(|source| ClusterError::Kubeconfig {
        origin: path.display().to_string(),
        source,
    })
}

async fn from_kubeconfig(
    mut kubeconfig: Kubeconfig,
    options: &ClusterOptions,
) -> Result<ResolvedConfig, ClusterError> {
    let context_name = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone());
    if context_name.is_none() && options.server.is_some() {
        // No context but a --server: a kubeconfig with only users or clusters is still usable.
        return server_only(options).await;
    }
    let context_name = context_name.ok_or(ClusterError::NoContext)?;
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.clone())
        .ok_or_else(|| ClusterError::UnknownContext(context_name.clone()))?;
    let cluster_name = options.cluster.clone().unwrap_or(context.cluster.clone());
    let user_name = options.user.clone().or(context.user.clone());
    // A name the files do not have is a typo, unless the flags say all it needs.
    if options.server.is_none() && !kubeconfig.clusters.iter().any(|c| c.name == cluster_name) {
        return Err(ClusterError::UnknownEntry("cluster", cluster_name));
    }
    if let Some(user) = &options.user
        && !needs_user_override(options)
        && !kubeconfig.auth_infos.iter().any(|u| &u.name == user)
    {
        return Err(ClusterError::UnknownEntry("user", user.clone()));
    }

    let cluster = entry(&mut kubeconfig.clusters, &cluster_name, |name| {
        NamedCluster {
            name,
            ..NamedCluster::default()
        }
    });
    override_cluster(
        cluster.cluster.get_or_insert_with(Cluster::default),
        options,
    );
    if let Some(user_name) = &user_name {
        let user = entry(&mut kubeconfig.auth_infos, user_name, |name| {
            NamedAuthInfo {
                name,
                ..NamedAuthInfo::default()
            }
        });
        override_user(
            user.auth_info.get_or_insert_with(AuthInfo::default),
            options,
        );
    } else if needs_user_override(options) {
        // A context without a user: the flags make one.
        kubeconfig.auth_infos.push(NamedAuthInfo {
            name: "kubectl-smi-flags".to_owned(),
            auth_info: Some(user_from_flags(options)),
            ..NamedAuthInfo::default()
        });
    }
    let kube_options = KubeConfigOptions {
        context: Some(context_name.clone()),
        cluster: Some(cluster_name),
        user: user_name
            .or_else(|| needs_user_override(options).then(|| "kubectl-smi-flags".to_owned())),
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .map_err(|source| ClusterError::Kubeconfig {
            origin: format!("context {context_name}"),
            source,
        })?;
    Ok(ResolvedConfig {
        config,
        context: Some(context_name),
        context_namespace: context.namespace,
    })
}

/// The named entry, added when the flags name one the files do not have.
fn entry<'a, T>(entries: &'a mut Vec<T>, name: &str, make: impl FnOnce(String) -> T) -> &'a mut T
where
    T: Named,
{
    let position = entries.iter().position(|e| e.name() == name);
    let index = match position {
        Some(index) => index,
        None => {
            entries.push(make(name.to_owned()));
            entries.len() - 1
        }
    };
    &mut entries[index]
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for NamedCluster {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for NamedAuthInfo {
    fn name(&self) -> &str {
        &self.name
    }
}

fn override_cluster(cluster: &mut Cluster, options: &ClusterOptions) {
    if let Some(server) = &options.server {
        cluster.server = Some(server.clone());
    }
    if let Some(ca) = &options.certificate_authority {
        cluster.certificate_authority = Some(absolute(ca));
        cluster.certificate_authority_data = None;
    }
    if options.insecure_skip_tls_verify {
        // As client-go: skipping verification drops the CA (they cannot be combined).
        cluster.insecure_skip_tls_verify = Some(true);
        cluster.certificate_authority = None;
        cluster.certificate_authority_data = None;
    }
}

fn needs_user_override(options: &ClusterOptions) -> bool {
    options.token.is_some()
        || options.impersonate.is_some()
        || !options.impersonate_groups.is_empty()
        || options.client_certificate.is_some()
        || options.client_key.is_some()
}

fn override_user(user: &mut AuthInfo, options: &ClusterOptions) {
    if let Some(token) = &options.token {
        // A token on the command line is the credential: other ways of logging in step aside.
        user.token = Some(token.clone().into());
        user.token_file = None;
        user.exec = None;
        user.auth_provider = None;
        user.username = None;
        user.password = None;
    }
    if let Some(as_user) = &options.impersonate {
        user.impersonate = Some(as_user.clone());
    }
    if !options.impersonate_groups.is_empty() {
        user.impersonate_groups = Some(options.impersonate_groups.clone());
    }
    if let Some(cert) = &options.client_certificate {
        user.client_certificate = Some(absolute(cert));
        user.client_certificate_data = None;
    }
    if let Some(key) = &options.client_key {
        user.client_key = Some(absolute(key));
        user.client_key_data = None;
    }
}

fn user_from_flags(options: &ClusterOptions) -> AuthInfo {
    let mut user = AuthInfo::default();
    override_user(&mut user, options);
    user
}

/// No kubeconfig: `--server` with the other flags, or the pod's service account.
async fn in_cluster_or_server(options: &ClusterOptions) -> Result<ResolvedConfig, ClusterError> {
    if options.server.is_some() {
        return server_only(options).await;
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        let config =
            kube::Config::incluster().map_err(|e| ClusterError::InCluster(e.to_string()))?;
        return Ok(ResolvedConfig {
            config,
            context: None,
            context_namespace: None,
        });
    }
    Err(ClusterError::NoConfig)
}

async fn server_only(options: &ClusterOptions) -> Result<ResolvedConfig, ClusterError> {
    let mut kubeconfig = Kubeconfig::default();
    let mut cluster = Cluster::default();
    override_cluster(&mut cluster, options);
    kubeconfig.clusters.push(NamedCluster {
        name: "flags".to_owned(),
        cluster: Some(cluster),
        ..NamedCluster::default()
    });
    kubeconfig.auth_infos.push(NamedAuthInfo {
        name: "flags".to_owned(),
        auth_info: Some(user_from_flags(options)),
        ..NamedAuthInfo::default()
    });
    kubeconfig.contexts.push(NamedContext {
        name: "flags".to_owned(),
        context: Some(Context {
            cluster: "flags".to_owned(),
            user: Some("flags".to_owned()),
            ..Context::default()
        }),
        ..NamedContext::default()
    });
    kubeconfig.current_context = Some("flags".to_owned());
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|source| ClusterError::Kubeconfig {
            origin: "the command-line flags".to_owned(),
            source,
        })?;
    Ok(ResolvedConfig {
        config,
        context: None,
        context_namespace: None,
    })
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// kubectl's --request-timeout: `0` (no limit), a bare number of seconds, or a number with
/// a unit (`ms`, `s`, `m`, `h`), possibly several (`1m30s`).
pub fn parse_request_timeout(text: &str) -> Result<Duration, ClusterError> {
    let bad = || ClusterError::BadTimeout(text.to_owned());
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(bad)?;
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::from_secs_f64(seconds);
        rest = tail;
    }
    if text.is_empty() {
        return Err(bad());
    }
    Ok(total)
}
