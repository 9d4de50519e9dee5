//! `kubectl smi completion SHELL`.

use clap::{Args, CommandFactory};

use super::ExitStatus;
use crate::cli::Cli;
use crate::error::Error;
use crate::output;

/// `kubectl-smi completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Prints the completion script of `kubectl-smi` for the shell.
pub fn exec(args: CompletionArgs) -> Result<ExitStatus, Error> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kubectl-smi", &mut out);
    output::write(&out)?;
    Ok(ExitStatus::Success)
}
