//! Command-line arguments (clap). Everything here is turned into the library's plain
//! configuration structs; the library never sees clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Post-render: read Helm's rendered manifests on stdin, inject the platform's wiring, write them to stdout.
    #[command(alias = "post-render")]
    Render(RenderArgs),
    /// Check values files against the platform's values contract and print every problem.
    Validate(ValidateArgs),
    /// Print the JSON schema of the values (values.schema.json for a chart).
    Schema,
    /// Generate (and optionally apply) the cloud access policies of step 3: IAM roles or OCI statements.
    Policies(PoliciesArgs),
    /// Create and inspect the platform's Kubernetes secrets (step 6).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Prometheus configuration of step 5: the ServiceMonitor and the adapter's external metric rule.
    #[command(subcommand)]
    Prometheus(PrometheusCommand),
    /// Network connectivity rules of step 2, for security groups or security lists.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Check that DNS, network and cluster are ready for the installation.
    Preflight(PreflightArgs),
    /// Print a shell completion script.
    Completion(CompletionArgs),
    /// Print the version.
    Version(VersionArgs),
}

#[derive(Debug, Args, Default)]
pub struct ValuesArgs {
    /// Values file with the `smi:` section (repeatable; later files win, as in Helm).
    /// SMI_VALUES may list files too, separated by ':'; they come before -f files.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct RenderArgs {
    #[command(flatten)]
    pub values: ValuesArgs,

    /// Fail when a service account of the guide's table is missing from the manifests
    /// (by default that is a warning: Helm 3 does not post-render hooks).
    #[arg(long)]
    pub strict: bool,

    /// Report every object added or changed, and why, on stderr.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "text")]
    pub explain: Option<ExplainFormat>,

    /// Write the --explain report to this file instead of stderr (Helm 4 discards stderr).
    #[arg(long, value_name = "FILE")]
    pub explain_file: Option<PathBuf>,

    /// Directory of overlay files (JSON patches with a target), applied after the built-in
    /// injections (repeatable).
    #[arg(long = "overlays", value_name = "DIR")]
    pub overlays: Vec<PathBuf>,

    /// Re-write every document, not only the changed ones (shows how kubectl-smi writes YAML;
    /// the data does not change).
    #[arg(long)]
    pub rewrite_all: bool,

    /// Largest manifest stream accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_input_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
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

#[derive(Debug, Args)]
pub struct PoliciesArgs {
    #[command(subcommand)]
    pub command: Option<PoliciesCommand>,
    /// Values file with the `smi:` section (repeatable; later files win, as in Helm).
    /// SMI_VALUES may list files too, separated by ':'; they come before -f files.
    // Global so that `policies check -f values.yaml` reads as users type it.
    #[arg(short = 'f', long = "values", value_name = "FILE", global = true)]
    pub values: Vec<PathBuf>,
    /// Output: text, json, terraform, script, or dir=PATH (one file per document).
    #[arg(
        short,
        long,
        value_name = "FORMAT",
        default_value = "text",
        global = true
    )]
    pub output: String,
    /// Create or update the roles, policies and pod identity associations (AWS).
    #[arg(long)]
    pub apply: bool,
    /// With --apply: show the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --apply: replace a role's trust policy that differs from the expected one.
    #[arg(long)]
    pub force: bool,
    /// AWS account id (instead of values or STS GetCallerIdentity).
    #[arg(long, value_name = "ID", global = true)]
    pub account_id: Option<String>,
    /// AWS partition (aws, aws-cn, aws-us-gov).
    #[arg(long, value_name = "PARTITION", global = true)]
    pub partition: Option<String>,
    /// The cluster's OIDC issuer URL (IRSA).
    #[arg(long, value_name = "URL", global = true)]
    pub oidc_issuer: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Compare what exists in the account with what the values require.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Create the namespace and every secret of the catalog; generate missing key material.
    Create(SecretsCreateArgs),
    /// Emit External Secrets Operator resources instead of Secrets.
    External(SecretsExternalArgs),
    /// Show which secrets and keys exist (never a value).
    Status(SecretsStatusArgs),
}

#[derive(Debug, Args)]
pub struct SecretsCreateArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Read supplied credentials from an env file: KEY=value lines, or SECRET/KEY=value
    /// when a key name is in several secrets ('-' reads standard input; repeatable).
    #[arg(long, value_name = "FILE")]
    pub from_env_file: Vec<PathBuf>,
    /// Read one key's value from a file, bytes as they are (repeatable).
    #[arg(long, value_name = "KEY=PATH")]
    pub from_file: Vec<String>,
    /// Replace a key that exists (SECRET/KEY or KEY; repeatable): generated keys get a new
    /// value, supplied keys the value you give; the old value is backed up first.
    #[arg(long, value_name = "KEY")]
    pub rotate: Vec<String>,
    /// Generate keys without writing a backup first (not recommended).
    #[arg(long)]
    pub no_backup: bool,
    /// Take keys missing from the cluster back from this backup file (age-encrypted).
    #[arg(long, value_name = "BACKUP_FILE")]
    pub restore_from: Option<PathBuf>,
    /// age identity file to decrypt --restore-from backups encrypted to recipients (repeatable).
    #[arg(long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// Show what would change without changing it: client (send nothing) or server (the API
    /// server validates with dryRun=All).
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, default_missing_value = "client", default_value = "none")]
    pub dry_run: DryRunMode,
    /// Print the objects applied (or that would be): yaml or json; values redacted.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<ObjectFormat>,
    /// Print secret values in the -o output instead of redacting them.
    #[arg(long, requires = "output")]
    pub show_secrets: bool,
}

/// `--dry-run` as kubectl has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunMode {
    None,
    Client,
    Server,
}

/// How objects are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ObjectFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct SecretsExternalArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// The namespace of the ExternalSecrets (default: smi.namespace, then smi.environment).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ObjectFormat::Yaml)]
    pub output: ObjectFormat,
}

#[derive(Debug, Args)]
pub struct SecretsStatusArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

#[derive(Debug, Subcommand)]
pub enum PrometheusCommand {
    /// Print the scriptmanager ServiceMonitor (the one the post-renderer injects).
    Servicemonitor(PrometheusArgs),
    /// Print the external metric rule for prometheus-adapter, or merge it into its values file.
    AdapterRules(AdapterRulesArgs),
}

#[derive(Debug, Args)]
pub struct PrometheusArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output format: yaml or json.
    #[arg(short, long, default_value = "yaml", value_parser = ["yaml", "json"])]
    pub output: String,
}

#[derive(Debug, Args)]
pub struct AdapterRulesArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Add the rule to this prometheus-adapter values file in place (idempotent).
    #[arg(long, value_name = "FILE")]
    pub merge_into: Option<PathBuf>,
    /// Output format of the printed rule: yaml (prometheus-adapter chart values) or json.
    #[arg(short, long, default_value = "yaml", value_parser = ["yaml", "json"])]
    pub output: String,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Print the connectivity rules of step 2 for the provider.
    Rules(NetworkRulesArgs),
}

#[derive(Debug, Args)]
pub struct NetworkRulesArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output: text, json, aws (security group IpPermissions), oci (security list rules) or
    /// oci-nsg (network security group rules). Cloud rules are keyed by target
    /// (load balancer, workers) unless --target picks one.
    #[arg(short, long, default_value = "text", value_parser = ["text", "json", "aws", "oci", "oci-nsg"])]
    pub output: String,
    /// Print only the cloud rules of one target, as the request body its CLI call takes:
    /// load-balancer (ingress from the internet) or workers (egress to the external
    /// systems; `nodes` is the same). Needs -o aws, oci or oci-nsg.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub target: Option<RulesTarget>,
}

/// `network rules --target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesTarget {
    /// The load balancer's security group, security list or NSG.
    LoadBalancer,
    /// The worker nodes' security group, security list or NSG.
    #[value(alias = "nodes")]
    Workers,
}

#[derive(Debug, Args)]
pub struct PreflightArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Also test reachability from a short-lived pod in the namespace.
    #[arg(long)]
    pub in_cluster: bool,
    /// Image of the --in-cluster probe pod (needs bash and timeout; use a mirror in air-gapped clusters).
    #[arg(long, value_name = "IMAGE", default_value = kubectl_smi::preflight::DEFAULT_PROBE_IMAGE)]
    pub probe_image: String,
    /// Seconds to wait for each TCP connection and DNS answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
    /// Resolve names with this DNS server (IP[:PORT]) instead of the system's resolver.
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    /// Do not run a group of checks: dns, network or cluster (repeatable).
    #[arg(long, value_name = "GROUP", value_parser = ["dns", "network", "cluster"])]
    pub skip: Vec<String>,
    /// Output format: text or json.
    #[arg(short, long, default_value = "text", value_parser = ["text", "json"])]
    pub output: String,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format: text or json.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}
