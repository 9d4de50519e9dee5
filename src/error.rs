//! The errors every command can end with, and what the operator can do about each.

use crate::cluster::ClusterError;
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
    /// A `secrets` command failed.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// The cluster could not be reached or refused a request.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The command exists but is not built yet.
    #[error("`kubectl smi {command}` is not implemented yet (tracked in issue #{issue})")]
    NotImplemented { command: &'static str, issue: u32 },
    /// The command line is wrong in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotImplemented { .. } | Error::Usage(_) => EXIT_USAGE,
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
            Error::Secrets(e) => Some(e.hint()),
            Error::Cluster(e) => Some(e.hint()),
            Error::NotImplemented { .. } => Some("see the README for what works today"),
            Error::Usage(_) => Some("run with --help for the usage"),
            Error::Output(_) => None,
        }
    }
}
