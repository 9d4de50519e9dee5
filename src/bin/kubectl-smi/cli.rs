//! The root of the command line (clap) and the flag groups several commands share: values
//! files, kubectl's connection flags, output formats. Each command's own flags live in its
//! file under `commands/`; everything is turned into the library's plain configuration
//! structs there, and the library never sees clap types.

use std::path::PathBuf;

use clap::{Args, Parser, ValueEnum};

use crate::commands::Command;
use crate::commands::render::RenderArgs;

const ABOUT: &str = "Install the SMI Digital Twin Platform on Kubernetes (AWS EKS or Oracle OKE) from one values file.";

const LONG_ABOUT: &str = "\
Install the SMI Digital Twin Platform on Kubernetes (AWS EKS or Oracle OKE) from one values file.

Used three ways:
  helm install ... --post-renderer kubectl-smi --post-renderer-args=--values=values.yaml
      (Helm 3: binary on PATH; Helm 4: the installed plugin `kubectl-smi`)
  kubectl smi <command> ...        (kubectl plugin)
  kubectl-smi <command> ...        (scripts and CI)

With no command and manifests on standard input, kubectl-smi post-renders (this is how
Helm 3 calls it); with no command on a terminal it prints this help.";

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-smi",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Post-render options, when called with no command (Helm 3 passes no command).
    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, Args, Default)]
pub struct ValuesArgs {
    /// Values file with the `smi:` section (repeatable; later files win, as in Helm).
    /// SMI_VALUES may list files too, separated by ':'; they come before -f files.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
}

impl ValuesArgs {
    /// The values files in Helm's order: those listed in SMI_VALUES (':'-separated), then
    /// the -f files.
    pub fn paths(&self) -> Vec<PathBuf> {
        values_paths(&self.values)
    }
}

/// SMI_VALUES's files, then `files`.
pub fn values_paths(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::env::var_os("SMI_VALUES")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    paths.extend(files.iter().cloned());
    paths
}

/// Flags kubectl users expect (k8s.io/cli-runtime's generic options).
#[derive(Debug, Args, Default, Clone)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// The kubeconfig cluster to use.
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster: Option<String>,
    /// The kubeconfig user to use.
    #[arg(long, value_name = "NAME", global = true)]
    pub user: Option<String>,
    /// The namespace (default: smi.namespace, then smi.environment).
    #[arg(short = 'n', long, value_name = "NAMESPACE", global = true)]
    pub namespace: Option<String>,
    /// The address of the Kubernetes API server.
    #[arg(short = 's', long, value_name = "URL", global = true)]
    pub server: Option<String>,
    /// Bearer token for the API server.
    #[arg(long, value_name = "TOKEN", global = true)]
    pub token: Option<String>,
    /// Username to impersonate.
    #[arg(long = "as", value_name = "USER", global = true)]
    pub as_user: Option<String>,
    /// Group to impersonate (repeatable).
    #[arg(long = "as-group", value_name = "GROUP", global = true)]
    pub as_group: Vec<String>,
    /// Path to a CA certificate file.
    #[arg(long, value_name = "FILE", global = true)]
    pub certificate_authority: Option<PathBuf>,
    /// Path to a client certificate file.
    #[arg(long, value_name = "FILE", global = true)]
    pub client_certificate: Option<PathBuf>,
    /// Path to a client key file.
    #[arg(long, value_name = "FILE", global = true)]
    pub client_key: Option<PathBuf>,
    /// Do not verify the API server's certificate (insecure).
    #[arg(long, global = true)]
    pub insecure_skip_tls_verify: bool,
    /// How long to wait for one API request (e.g. 30s, 1m; 0 waits forever).
    #[arg(long, value_name = "DURATION", global = true)]
    pub request_timeout: Option<String>,
}

impl KubeArgs {
    /// The library's connection options (everything but the namespace).
    pub fn cluster_options(&self) -> kubectl_smi::cluster::ClusterOptions {
        kubectl_smi::cluster::ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            server: self.server.clone(),
            token: self.token.clone(),
            impersonate: self.as_user.clone(),
            impersonate_groups: self.as_group.clone(),
            certificate_authority: self.certificate_authority.clone(),
            client_certificate: self.client_certificate.clone(),
            client_key: self.client_key.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            request_timeout: self.request_timeout.clone(),
        }
    }
}

/// `--dry-run` as kubectl has it (`secrets create`, `policies`): `none`, `client`, or
/// `server`; `--dry-run` alone is `client`. Commands without a server-side dry run parse it
/// with [`client_only_dry_run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunMode {
    /// Change things (as without --dry-run).
    None,
    /// Show what would change, sending no change.
    Client,
    /// Send the changes for the server to validate without persisting them.
    Server,
}

/// The `--dry-run` parser of commands whose APIs have no server-side dry run (`policies`,
/// `network rules`): help lists `none` and `client` only; `server` still parses (hidden), so
/// that the command refuses it with its reason rather than clap's bare "invalid value".
pub fn client_only_dry_run() -> impl clap::builder::TypedValueParser<Value = DryRunMode> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([
        PossibleValue::new("none").help("Change things (as without --dry-run)"),
        PossibleValue::new("client").help("Show the plan, sending no change"),
        PossibleValue::new("server").hide(true),
    ])
    .map(|mode| match mode.as_str() {
        "client" => DryRunMode::Client,
        "server" => DryRunMode::Server,
        _ => DryRunMode::None,
    })
}
