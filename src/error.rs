//! The errors every command can end with, and what the operator can do about each.

use crate::cluster::ClusterError;
use crate::network::NetworkError;
use crate::policies::PoliciesError;
use crate::preflight::PreflightError;
use crate::prometheus::AdapterValuesError;
use crate::render::RenderError;
use crate::secrets::SecretsError;
use crate::stream::StreamError;
use crate::values::ValuesError;

/// Exit code of a failure; usage errors (and commands not built yet) exit 2 as in kubectl.
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

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
    /// The command line is wrong in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// A check found problems and already printed them on standard output (`validate`).
    #[error("{0}")]
    CheckFailed(String),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    /// A file the command was asked to write could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Secrets(e) if e.is_unsupported() => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// A hint telling the operator what to do, when there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Stream(e) => Some(e.hint()),
            Error::Values(e) => Some(e.hint()),
            Error::Render(e) => e.hint(),
            Error::Network(e) => Some(e.hint()),
            Error::AdapterValues(e) => Some(e.hint()),
            Error::Preflight(e) => Some(e.hint()),
            Error::Policies(e) => Some(e.hint()),
            Error::Secrets(e) => Some(e.hint()),
            Error::Cluster(e) => Some(e.hint()),
            Error::Usage(_) => Some("run with --help for the usage"),
            Error::CheckFailed(_) | Error::Output(_) => None,
            Error::WriteFile { .. } => Some("check that the directory exists and is writable"),
        }
    }
}

/// An error and its causes as one line, `outer: inner: innermost` (the innermost cause is
/// usually the one that says what happened), each cause once and without debug dumps.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
