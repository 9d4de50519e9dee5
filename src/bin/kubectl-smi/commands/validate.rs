//! `kubectl smi validate`: checks the values against the values contract and prints every
//! problem, as text or JSON.

use std::path::PathBuf;

use clap::Args;
use kubectl_smi::values::{self, Problem, ValuesError};
use serde_json::json;

use super::ExitStatus;
use crate::cli::ValuesArgs;
use crate::error::Error;
use crate::output::ReportFormat;
use crate::{output, report};

/// `kubectl-smi validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

/// Loads and validates the values. Problems in the values are the report (exit 1); an
/// unreadable file or no file at all is an error like in every other command.
pub fn exec(args: ValidateArgs) -> Result<ExitStatus, Error> {
    let paths = args.values.paths();
    let problems = match values::load_valid(&paths) {
        Ok((loaded, values)) => {
            let problems = command_problems(&loaded, &values);
            if !problems.is_empty() {
                problems
            } else {
                let summary = format!(
                    "provider {}, namespace {}",
                    values.smi.cloud.provider.name(),
                    values.smi.namespace()
                );
                output::write(render(&paths, &[], args.output, &summary).as_bytes())?;
                return Ok(ExitStatus::Success);
            }
        }
        Err(ValuesError::Invalid { problems }) => problems,
        Err(e) => return Err(e.into()),
    };
    output::write(render(&paths, &problems, args.output, "").as_bytes())?;
    let count = problems.len();
    report::negative(
        &format!(
            "the values are not valid: {count} problem{} (listed on standard output)",
            if count == 1 { "" } else { "s" }
        ),
        None,
    );
    Ok(ExitStatus::Failure)
}

/// What some command would refuse in values that pass the contract, each problem once, in
/// the order of the checks: the needs of [`values::needs`], the inline overlays, the backup
/// target of `secrets create`, the IAM limits of `policies`.
fn command_problems(loaded: &values::LoadedValues, values: &values::Values) -> Vec<Problem> {
    let mut problems: Vec<Problem> = loaded
        .needs(values)
        .into_iter()
        .map(|(problem, _)| problem)
        .collect();
    problems.extend(super::inline_overlay_problems(loaded, values));
    problems.extend(super::backup_problem(loaded, values));
    problems.extend(super::policies::default_limit_problems(loaded, values));
    problems
}

fn render(paths: &[PathBuf], problems: &[Problem], format: ReportFormat, summary: &str) -> String {
    let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    match format {
        ReportFormat::Json => {
            let problems: Vec<serde_json::Value> = problems
                .iter()
                .map(|p| {
                    let mut entry = serde_json::to_value(p).unwrap_or_default();
                    entry["message"] = json!(p.to_string());
                    entry
                })
                .collect();
            output::json(
                &json!({"valid": problems.is_empty(), "files": files, "problems": problems}),
            )
        }
        ReportFormat::Text if problems.is_empty() => {
            format!("{}: valid ({summary})\n", files.join(" + "))
        }
        ReportFormat::Text => problems.iter().map(|p| format!("{p}\n")).collect(),
    }
}
