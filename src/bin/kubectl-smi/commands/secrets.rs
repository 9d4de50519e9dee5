//! `kubectl smi secrets create | external | status | catalog | backup verify`: step 6. Flags to the library's
//! options, and the report to the terminal (never a value unless --show-secrets).

mod backup_verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kubectl_smi::catalog::{SecretSpec, secret_catalog};
use kubectl_smi::cluster::{self, ClusterError, Connection};
use kubectl_smi::secrets::backup::{self, Backups};
use kubectl_smi::secrets::{self, CreateOptions, CreateReport, DryRun, SecretsError, sources};
use kubectl_smi::values::{self, LoadedValues, Values};

use super::ExitStatus;
use crate::cli::{KubeArgs, ValuesArgs};
use crate::error::Error;
use crate::output::{ObjectFormat, ReportFormat};
use crate::{output, report};

/// `kubectl-smi secrets ...`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Create the namespace and every secret of the catalog; generate missing key material.
    Create(SecretsCreateArgs),
    /// Emit External Secrets Operator resources instead of Secrets.
    External(SecretsExternalArgs),
    /// Show which secrets and keys exist (never a value).
    Status(SecretsStatusArgs),
    /// Check the backups of the secrets' key material (`backup verify`).
    #[command(subcommand)]
    Backup(backup_verify::BackupCommand),
    /// List every secret and key the values ask for, offline: source, generator, consumers,
    /// mount path, backup (never a value); `-o env-template` prints the credentials file.
    Catalog(SecretsCatalogArgs),
}

/// `kubectl-smi secrets create`.
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
    /// Take over fields of the secrets that another field manager (e.g. Helm, kubectl edit)
    /// owns with other values, instead of stopping at the conflict.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Do not send the secrets as a server-side dry run before the backup and the writes
    /// (for clusters whose admission webhooks refuse dry runs).
    #[arg(long)]
    pub skip_precheck: bool,
}

pub use crate::cli::DryRunMode;

/// `kubectl-smi secrets external`.
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

/// `kubectl-smi secrets status`.
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

/// `kubectl-smi secrets catalog`.
#[derive(Debug, Args)]
pub struct SecretsCatalogArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output format: text, json or yaml (the catalog), or env-template (the credentials
    /// file `secrets create --from-env-file` reads, every supplied key to fill in).
    #[arg(short, long, value_enum, default_value_t = CatalogFormat::Text)]
    pub output: CatalogFormat,
}

/// `-o` of `secrets catalog`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Text,
    Json,
    Yaml,
    EnvTemplate,
}

/// Runs `secrets create`, `secrets external`, `secrets status` or `secrets catalog`.
pub fn exec(command: SecretsCommand) -> Result<ExitStatus, Error> {
    match command {
        SecretsCommand::Create(args) => create(args),
        SecretsCommand::External(args) => external(args),
        SecretsCommand::Status(args) => status(args),
        SecretsCommand::Backup(command) => return backup_verify::exec(command),
        SecretsCommand::Catalog(args) => catalog(args),
    }?;
    Ok(ExitStatus::Success)
}

struct Loaded {
    values: Values,
    files: LoadedValues,
    catalog: Vec<SecretSpec>,
}

fn load(args: &ValuesArgs) -> Result<Loaded, Error> {
    let files = values::load(&args.paths())?;
    let values = files.typed()?;
    let catalog = secret_catalog(&values.smi.secrets.catalog).map_err(SecretsError::from)?;
    Ok(Loaded {
        values,
        files,
        catalog,
    })
}

fn namespace(kube: &KubeArgs, values: &Values) -> String {
    kube.namespace
        .clone()
        .unwrap_or_else(|| values.smi.namespace().to_owned())
}

/// Runs the cluster part on a single-threaded runtime: a handful of sequential requests.
fn on_cluster<T>(
    kube: &KubeArgs,
    work: impl AsyncFnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    super::runtime()?.block_on(async {
        let connection = cluster::connect(&kube.cluster_options()).await?;
        work(&connection).await
    })
}

fn create(args: SecretsCreateArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let smi = &loaded.values.smi;
    let mut entries = Vec::new();
    for path in &args.from_env_file {
        entries.extend(sources::read_env_file(path).map_err(Error::from)?);
    }
    for argument in &args.from_file {
        entries.push(sources::read_from_file(argument).map_err(Error::from)?);
    }
    report::warnings(&sources::suspicious_values(&entries));
    let supplied = sources::resolve(entries, &loaded.catalog).map_err(Error::from)?;
    let backup_config = smi.secrets.backup.as_ref();
    let base_dir = loaded.files.base_dir();
    let restore_from = match &args.restore_from {
        Some(path) => {
            let keys = backup::restore_keys(
                backup_config.and_then(|b| b.file.as_ref()),
                &args.identity,
                &base_dir,
            )
            .map_err(Error::from)?;
            let document =
                backup::read_backup_file(path, &keys).map_err(|message| SecretsError::Backup {
                    target: "--restore-from".to_owned(),
                    message,
                })?;
            Some((path.display().to_string(), document))
        }
        None => None,
    };
    let options = CreateOptions {
        namespace: namespace(&args.kube, &loaded.values),
        environment: smi.environment.clone(),
        catalog: loaded.catalog.clone(),
        supplied,
        rotate: args.rotate.clone(),
        backups: Backups::configure(
            backup_config,
            &base_dir,
            smi.cloud.aws.as_ref().map(|a| a.region.as_str()),
            smi.cloud.oci.as_ref().map(|o| o.region.as_str()),
        ),
        no_backup: args.no_backup,
        restore_from,
        dry_run: match args.dry_run {
            DryRunMode::None => DryRun::None,
            DryRunMode::Client => DryRun::Client,
            DryRunMode::Server => DryRun::Server,
        },
        show_secrets: args.show_secrets,
        force_conflicts: args.force_conflicts,
        skip_precheck: args.skip_precheck,
    };
    let dry_run = options.dry_run;
    let created = super::runtime()?
        .block_on(async {
            match cluster::connect(&args.kube.cluster_options()).await {
                Ok(conn) => secrets::create(&conn, options).await,
                // Nothing configured (not a broken or unreachable cluster): plan offline.
                Err(ClusterError::NoConfig) if dry_run == DryRun::Client => {
                    let planned = secrets::plan_offline(options).await;
                    if planned.is_err() {
                        // The error that follows comes from a plan made without the cluster.
                        let _ = writeln!(std::io::stderr(), "{}", secrets::OFFLINE_NOTE);
                    }
                    planned
                }
                Err(e) => Err(e.into()),
            }
            .map_err(Error::from)
        })
        .map_err(
            |error| match (&error, super::backup_problem(&loaded.files, &loaded.values)) {
                (Error::Secrets(SecretsError::NoBackupTarget { .. }), Some(problem)) => {
                    Error::InValues {
                        error: Box::new(error),
                        problem: Box::new(problem),
                    }
                }
                _ => error,
            },
        )?;
    // An offline plan says so first, on the stream its summary goes to.
    let note = if created.offline {
        format!("{}\n", secrets::OFFLINE_NOTE)
    } else {
        String::new()
    };
    if args.output.is_some() {
        let _ = std::io::stderr().write_all(note.as_bytes());
    }
    report::warnings(&created.warnings);
    let summary = summary(&created, dry_run);
    match args.output {
        Some(format) => {
            let _ = std::io::stderr().write_all(summary.as_bytes());
            output::write(output::objects(&created.objects, format).as_bytes())
        }
        None => output::write(format!("{note}{summary}").as_bytes()),
    }
}

/// kubectl-style lines: `secret/NAME created (KEY generated, ...)`.
fn summary(report: &CreateReport, dry_run: DryRun) -> String {
    let suffix = match dry_run {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    };
    let mut out = String::new();
    if let Some(from) = &report.restored_from {
        out.push_str(&format!("missing keys restored from backup {from}\n"));
    }
    for location in &report.backups {
        out.push_str(&format!("backup written and read back: {location}\n"));
    }
    out.push_str(&format!(
        "namespace/{} {}{suffix}\n",
        report.namespace, report.namespace_action
    ));
    for secret in &report.secrets {
        let keys: Vec<String> = secret
            .keys
            .iter()
            .map(|(k, o)| format!("{k} {}", o.as_str()))
            .collect();
        let detail = match (&secret.note, keys.is_empty()) {
            (Some(note), _) => format!(" ({note})"),
            (None, true) => String::new(),
            (None, false) => format!(" ({})", keys.join(", ")),
        };
        out.push_str(&format!(
            "secret/{} {}{suffix}{detail}\n",
            secret.name, secret.action
        ));
    }
    out
}

fn external(args: SecretsExternalArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| loaded.values.smi.namespace().to_owned());
    let objects = secrets::external_resources(&loaded.values.smi, &namespace, &loaded.catalog)
        .map_err(Error::from)?;
    output::write(output::objects(&objects, args.output).as_bytes())
}

fn status(args: SecretsStatusArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let namespace = namespace(&args.kube, &loaded.values);
    let report = on_cluster(&args.kube, async |conn| {
        secrets::status(conn, &namespace, &loaded.catalog)
            .await
            .map_err(Error::from)
    })?;
    let text = match args.output {
        ReportFormat::Text => secrets::status_text(&report),
        ReportFormat::Json => output::json(&report),
    };
    output::write(text.as_bytes())
}

fn catalog(args: SecretsCatalogArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let view = secrets::CatalogView::new(&loaded.values.smi, &loaded.catalog);
    let text = match args.output {
        CatalogFormat::Text => secrets::catalog_text(&view),
        CatalogFormat::Json => output::json(&view),
        // Plain data (strings and lists), as output::json assumes too.
        CatalogFormat::Yaml => {
            output::yaml(&serde_json::to_value(&view).expect("the catalog serializes"))
        }
        CatalogFormat::EnvTemplate => secrets::env_template(&loaded.catalog),
    };
    output::write(text.as_bytes())
}
