//! `kubectl smi secrets backup verify`: the configured backups compared with the cluster's
//! secrets, key by key, inside the process (never a value in the output).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use kubectl_smi::secrets::{self, backup::Backups};

use super::super::ExitStatus;
use super::{load, namespace, on_cluster};
use crate::cli::{KubeArgs, ValuesArgs};
use crate::error::Error;
use crate::output::{self, ReportFormat};

/// `kubectl-smi secrets backup ...`.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Compare each configured backup with the cluster's secrets, key by key: matches,
    /// differs, missing from backup, only in backup (never a value). Exit 1 when a backup
    /// could not restore the cluster as it is. Needs `get` on secrets (it reads their
    /// values; the metadata-only reads of `preflight` are not enough).
    Verify(BackupVerifyArgs),
}

/// `kubectl-smi secrets backup verify`.
#[derive(Debug, Args)]
pub struct BackupVerifyArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// age identity file to decrypt file backups encrypted to recipients, besides the
    /// configured identityFile (repeatable).
    #[arg(long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

/// Runs `secrets backup verify`: exit 0 when every backup restores the cluster as it is.
pub fn exec(command: BackupCommand) -> Result<ExitStatus, Error> {
    let BackupCommand::Verify(args) = command;
    let loaded = load(&args.values)?;
    let smi = &loaded.values.smi;
    let namespace = namespace(&args.kube, &loaded.values);
    let backups = Backups::configure(
        smi.secrets.backup.as_ref(),
        &loaded.files.base_dir(),
        smi.cloud.aws.as_ref().map(|a| a.region.as_str()),
        smi.cloud.oci.as_ref().map(|o| o.region.as_str()),
    );
    if backups.is_empty() {
        return Err(secrets::SecretsError::NoBackupConfigured.into());
    }
    let report = on_cluster(&args.kube, async |conn| {
        secrets::verify(conn, &namespace, &loaded.catalog, &backups, &args.identity)
            .await
            .map_err(Error::from)
    })?;
    let text = match args.output {
        ReportFormat::Text => secrets::verify_text(&report),
        ReportFormat::Json => output::json(&report),
    };
    output::write(text.as_bytes())?;
    Ok(if report.restores {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
