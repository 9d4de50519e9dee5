//! `kubectl smi version`.

use clap::Args;

use super::ExitStatus;
use crate::error::Error;
use crate::output;
use crate::output::ReportFormat;

/// `kubectl-smi version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

/// Prints `kubectl-smi VERSION`, or `{"name", "version"}` with `-o json`.
pub fn exec(args: VersionArgs) -> Result<ExitStatus, Error> {
    let version = env!("CARGO_PKG_VERSION");
    let text = match args.output {
        ReportFormat::Text => format!("kubectl-smi {version}\n"),
        ReportFormat::Json => {
            output::json(&serde_json::json!({"name": "kubectl-smi", "version": version}))
        }
    };
    output::write(text.as_bytes())?;
    Ok(ExitStatus::Success)
}
