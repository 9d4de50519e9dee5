//! `kubectl smi init aws|oci`: prints a commented values file to start from, every required
//! key present and what only the operator knows as `"<...>"` placeholders.

use clap::{Args, ValueEnum};
use kubectl_smi::values::{self, Provider};

use super::ExitStatus;
use crate::error::Error;
use crate::output;

/// `kubectl-smi init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The cloud the cluster runs in.
    #[arg(value_enum, value_name = "PROVIDER")]
    pub provider: InitProvider,
}

/// The providers `init` writes values for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitProvider {
    /// Amazon EKS.
    Aws,
    /// Oracle OKE.
    Oci,
}

/// Prints the skeleton; redirect it to a file and replace the placeholders.
pub fn exec(args: InitArgs) -> Result<ExitStatus, Error> {
    let provider = match args.provider {
        InitProvider::Aws => Provider::Aws,
        InitProvider::Oci => Provider::Oci,
    };
    output::write(values::skeleton(provider).as_bytes())?;
    Ok(ExitStatus::Success)
}
