//! `kubectl smi validate`: the report of a values check, as text or JSON, and its outcome.

use std::path::PathBuf;

use kubectl_smi::Error;
use kubectl_smi::values::{self, Problem, ValuesError};
use serde_json::json;

use crate::cli::ReportFormat;

/// What `validate` prints on stdout, and how it ends (an error when problems were found).
pub struct Report {
    pub output: String,
    pub outcome: Result<(), Error>,
}

/// Loads and validates the values. Problems in the values are the report; an unreadable
/// file or no file at all is an error like in every other command.
pub fn run(paths: &[PathBuf], format: ReportFormat) -> Result<Report, Error> {
    let problems = match values::load_valid(paths) {
        Ok((_, values)) => {
            let summary = format!(
                "provider {}, namespace {}",
                values.smi.cloud.provider.name(),
                values.smi.namespace()
            );
            return Ok(Report {
                output: render(paths, &[], format, &summary),
                outcome: Ok(()),
            });
        }
        Err(ValuesError::Invalid { problems }) => problems,
        Err(e) => return Err(e.into()),
    };
    let count = problems.len();
    Ok(Report {
        output: render(paths, &problems, format, ""),
        outcome: Err(Error::CheckFailed(format!(
            "the values are not valid: {count} problem{} (listed on standard output)",
            if count == 1 { "" } else { "s" }
        ))),
    })
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
            let report =
                json!({"valid": problems.is_empty(), "files": files, "problems": problems});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            )
        }
        ReportFormat::Text if problems.is_empty() => {
            format!("{}: valid ({summary})\n", files.join(" + "))
        }
        ReportFormat::Text => problems.iter().map(|p| format!("{p}\n")).collect(),
    }
}
