//! The errors a command can end with, their exit codes and what the operator can do about
//! each. Each wraps the library module's own error; the binary renders it once, in `main`.

use std::path::PathBuf;

use kubectl_smi::cluster::ClusterError;
use kubectl_smi::error::Hint;
use kubectl_smi::gitops::GitopsError;
use kubectl_smi::network::NetworkError;
use kubectl_smi::policies::PoliciesError;
use kubectl_smi::preflight::PreflightError;
use kubectl_smi::prometheus::AdapterValuesError;
use kubectl_smi::render::RenderError;
use kubectl_smi::secrets::SecretsError;
use kubectl_smi::stream::StreamError;
use kubectl_smi::values::ValuesError;

/// Exit code of an error, or of a negative result (not ready, differences, invalid values).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of a usage error, and of a feature not built yet, as in kubectl.
pub const EXIT_USAGE: i32 = 2;

/// Why a command did not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest stream could not be read or written.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The values could not be loaded.
    #[error(transparent)]
    Values(#[from] ValuesError),
    /// A post-render filter failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// `network rules` could not fill the table.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The adapter rule could not be merged into a values file.
    #[error(transparent)]
    AdapterValues(#[from] AdapterValuesError),
    /// Preflight could not run.
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    /// Cloud access policies could not be generated, written, applied or checked.
    #[error(transparent)]
    Policies(#[from] PoliciesError),
    /// A `secrets` command failed.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// The cluster could not be reached or refused a request.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A GitOps export could not be made or checked.
    #[error(transparent)]
    Gitops(#[from] GitopsError),
    /// A file the command was asked to read could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The command line is wrong in a way clap cannot see (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The async runtime could not start (the operating system refused threads or timers).
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// Writing standard output failed (a closed pipe exits 0, as in ripgrep).
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    /// An error whose own hint does not fit the command line given: the same error, with
    /// the hint that does.
    #[error("{error}")]
    Hinted {
        /// The error.
        error: Box<Error>,
        /// What to do, given what the command line already says.
        hint: &'static str,
    },
    /// An error caused by the values, with the problem `validate` reports for it (placed at
    /// its file, line and column).
    #[error("{error}\n  {}", problem.to_string().replace('\n', "\n  "))]
    InValues {
        /// The error.
        error: Box<Error>,
        /// The values problem behind it.
        problem: Box<kubectl_smi::values::Problem>,
    },
    /// `render --release-namespace` names another namespace than the values'.
    #[error(
        "the release installs into namespace {release}, but the values' namespace is {values} (from {setting}): what kubectl-smi adds and the roles and secrets made for the values would be in {values}"
    )]
    ReleaseNamespace {
        /// The release's namespace.
        release: String,
        /// The values' namespace.
        values: String,
        /// The values key it comes from.
        setting: &'static str,
    },
    /// A file the command was asked to write could not be written.
    #[error("cannot write {}: {source}", path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Error {
    /// kubectl's exit code for the error: 2 for usage errors and features not built, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Hinted { error, .. } | Error::InValues { error, .. } => error.exit_code(),
            Error::Secrets(e) if e.is_unsupported() => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// Whether the error is a closed standard output (`kubectl-smi ... | head`), which ends
    /// the run quietly with exit 0.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl Hint for Error {
    fn hint(&self) -> Option<&str> {
        match self {
            Error::Stream(e) => e.hint(),
            Error::Values(e) => e.hint(),
            Error::Render(e) => e.hint(),
            Error::Network(e) => e.hint(),
            Error::AdapterValues(e) => e.hint(),
            Error::Preflight(e) => e.hint(),
            Error::Policies(e) => e.hint(),
            Error::Secrets(e) => e.hint(),
            Error::Cluster(e) => e.hint(),
            Error::Gitops(e) => e.hint(),
            Error::ReadFile { .. } => Some("check the path and that the file is readable"),
            Error::Usage(_) => Some("run with --help for the usage"),
            Error::Hinted { hint, .. } => Some(hint),
            Error::InValues { error, .. } => error.hint(),
            Error::Runtime(_) => Some("check the process limits (ulimit -u) and try again"),
            Error::Output(_) => None,
            Error::WriteFile { .. } => Some("check that the directory exists and is writable"),
            Error::ReleaseNamespace { .. } => Some(
                "install into the values' namespace (helm -n, the application's destination namespace), or set smi.namespace to the release's namespace in this environment's values",
            ),
        }
    }
}
