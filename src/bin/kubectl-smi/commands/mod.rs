//! The commands, one file each, registered in one list ([`commands!`] below). A command
//! file holds its flags (a clap `Args` type) and `exec`, which turns the flags into library
//! calls and prints the result; it returns an [`ExitStatus`] or an [`Error`] that `main`
//! renders once.
//!
//! Adding a command: a file here with `pub struct <Name>Args` and
//! `pub fn exec(args) -> Result<ExitStatus, Error>`, and one entry in the list.

mod completion;
mod gitops;
mod init;
mod network;
mod policies;
mod preflight;
mod prometheus;
pub mod render;
mod schema;
mod secrets;
mod validate;
mod version;

use clap::Subcommand;

use kubectl_smi::values::{LoadedValues, Problem, Rule, Values, ValuesError};

use crate::error::Error;

/// How a command that ran ended (an error is the `Err` beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It did what it was asked and the result is positive: exit 0.
    Success,
    /// It ran, and its result is negative (invalid values, not ready, differences found),
    /// already printed: exit 1.
    Failure,
}

impl ExitStatus {
    /// kubectl's exit code: 0 or 1.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => crate::error::EXIT_FAILURE,
        }
    }
}

/// Declares the subcommands: each entry is `Variant(module::Args)` with the help line as its
/// doc comment; `module::exec` runs it.
macro_rules! commands {
    ($( $(#[$meta:meta])* $variant:ident($module:ident :: $args:ident) ),* $(,)?) => {
        /// The subcommands of `kubectl-smi`.
        #[derive(Debug, Subcommand)]
        pub enum Command {
            $( $(#[$meta])* $variant($module::$args), )*
        }

        impl Command {
            /// Runs the command.
            pub fn exec(self) -> Result<ExitStatus, Error> {
                match self {
                    $( Command::$variant(args) => $module::exec(args), )*
                }
            }
        }
    };
}

commands! {
    /// Post-render: read Helm's rendered manifests on stdin, inject the platform's wiring, write them to stdout.
    #[command(alias = "post-render")]
    Render(render::RenderArgs),
    /// Print a commented values file for aws or oci to start from (placeholders to fill in).
    Init(init::InitArgs),
    /// Check values files against the platform's values contract and print every problem.
    Validate(validate::ValidateArgs),
    /// Print the JSON schema of the values (values.schema.json for a chart).
    Schema(schema::SchemaArgs),
    /// Generate (and optionally apply) the cloud access policies of step 3: IAM roles or OCI statements.
    Policies(policies::PoliciesArgs),
    /// Create and inspect the platform's Kubernetes secrets (step 6).
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Prometheus configuration of step 5: the ServiceMonitor and the adapter's external metric rule.
    #[command(subcommand)]
    Prometheus(prometheus::PrometheusCommand),
    /// Network connectivity rules of step 2, for security groups or security lists.
    #[command(subcommand)]
    Network(network::NetworkCommand),
    /// GitOps at fleet scale: the Argo CD config management plugin and the Flux post-renderer export.
    #[command(subcommand)]
    Gitops(gitops::GitopsCommand),
    /// Check that DNS, network and cluster are ready for the installation.
    Preflight(preflight::PreflightArgs),
    /// Print a shell completion script.
    Completion(completion::CompletionArgs),
    /// Print the version.
    Version(version::VersionArgs),
}

/// One current-thread async runtime per command (the AWS SDK, kube, the preflight checks):
/// a failure to start one is an error of the run (exit 1), not of the command line.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// The entries of `smi.overlays.directories` and `smi.overlays.patches` the render cannot
/// read, each placed like a problem of the values: what `render` and `gitops flux` refuse,
/// and `validate` reports (one check, the render's own:
/// [`kubectl_smi::render::check_overlay_dir`], [`kubectl_smi::render::inline_overlay`]).
pub fn inline_overlay_problems(loaded: &LoadedValues, values: &Values) -> Vec<Problem> {
    let overlays = &values.smi.overlays;
    let directories = overlays
        .directories
        .iter()
        .enumerate()
        .filter_map(|(index, dir)| {
            let why = kubectl_smi::render::check_overlay_dir(&loaded.base_dir().join(dir)).err()?;
            Some(loaded.problem_at(
                &format!("/smi/overlays/directories/{index}"),
                Rule::Type,
                "a directory of overlay files the render cannot read",
                &format!(
                    "a directory (relative to the last values file) whose .yaml, .yml and .json files are overlays with a target and a patch ({why}) (needed by `kubectl smi render` and `kubectl smi gitops flux`)"
                ),
            ))
        });
    let patches = overlays
        .patches
        .iter()
        .enumerate()
        .filter_map(|(index, patch)| {
            let why = kubectl_smi::render::inline_overlay(patch).err()?;
            Some(loaded.problem_at(
                &format!("/smi/overlays/patches/{index}"),
                Rule::Type,
                "an overlay the render cannot read",
                &format!(
                    "an overlay with a target, a patch and optionally when and optional ({why}) (needed by `kubectl smi render` and `kubectl smi gitops flux`)"
                ),
            ))
        });
    directories.chain(patches).collect()
}

/// Refuses values whose overlays the render cannot read (see
/// [`inline_overlay_problems`]).
pub fn check_inline_overlays(loaded: &LoadedValues, values: &Values) -> Result<(), Error> {
    let problems = inline_overlay_problems(loaded, values);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ValuesError::Invalid { problems }.into())
    }
}

/// The values problem behind `secrets create`'s refusal to generate key material without a
/// backup target: the catalog has generated keys (a first install generates them all) and
/// the values have no `smi.secrets.backup`. `validate` reports it; `secrets create` adds it
/// to its refusal (it refuses only when keys are to be generated, and not with --no-backup).
pub fn backup_problem(loaded: &LoadedValues, values: &Values) -> Option<Problem> {
    if values.smi.secrets.backup.is_some() {
        return None;
    }
    let catalog = kubectl_smi::catalog::secret_catalog(&values.smi.secrets.catalog).ok()?;
    let generated: Vec<String> = catalog
        .iter()
        .flat_map(|s| {
            s.keys
                .iter()
                .filter(|k| k.source == kubectl_smi::catalog::KeySource::Generated)
                .map(move |k| format!("{}/{}", s.name, k.name))
        })
        .collect();
    if generated.is_empty() {
        return None;
    }
    let pointer = if loaded.merged.pointer("/smi/secrets").is_some() {
        "/smi/secrets"
    } else {
        "/smi"
    };
    Some(loaded.problem_at(
        pointer,
        Rule::Missing,
        "no `backup` key",
        &format!(
            "smi.secrets.backup, where the keys the catalog generates ({}) are backed up before they reach the cluster (an age-encrypted file directory, AWS Secrets Manager or OCI Vault; docs/values.md): without it they could be lost for good (needed by `kubectl smi secrets create` when it generates keys, as on a first install, unless --no-backup)",
            generated.join(", ")
        ),
    ))
}
