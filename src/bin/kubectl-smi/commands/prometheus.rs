//! `kubectl smi prometheus servicemonitor` and `kubectl smi prometheus adapter-rules`:
//! step 5's Prometheus configuration.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use kubectl_smi::catalog::external_metric_rule;
use kubectl_smi::prometheus::{Merged, external_rules_ignored, merge_into_file, service_monitor};
use kubectl_smi::values;
use serde_json::{Value, json};

use super::ExitStatus;
use crate::cli::ValuesArgs;
use crate::error::Error;
use crate::output::ObjectFormat;
use crate::{output, report};

/// `kubectl-smi prometheus ...`.
#[derive(Debug, Subcommand)]
pub enum PrometheusCommand {
    /// Print the scriptmanager ServiceMonitor (the one the post-renderer injects).
    Servicemonitor(ServiceMonitorArgs),
    /// Print the external metric rule for prometheus-adapter, or merge it into its values file.
    AdapterRules(AdapterRulesArgs),
}

/// `kubectl-smi prometheus servicemonitor`.
#[derive(Debug, Args)]
pub struct ServiceMonitorArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ObjectFormat::Yaml)]
    pub output: ObjectFormat,
}

/// `kubectl-smi prometheus adapter-rules`.
#[derive(Debug, Args)]
pub struct AdapterRulesArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Add the rule to this prometheus-adapter values file in place (idempotent).
    #[arg(long, value_name = "FILE")]
    pub merge_into: Option<PathBuf>,
    /// Output format of the printed rule: yaml (prometheus-adapter chart values) or json.
    #[arg(short, long, value_enum, default_value_t = ObjectFormat::Yaml)]
    pub output: ObjectFormat,
}

/// Runs `prometheus servicemonitor` or `prometheus adapter-rules`.
pub fn exec(command: PrometheusCommand) -> Result<ExitStatus, Error> {
    match command {
        PrometheusCommand::Servicemonitor(args) => servicemonitor(args),
        PrometheusCommand::AdapterRules(args) => adapter_rules(args),
    }
}

fn servicemonitor(args: ServiceMonitorArgs) -> Result<ExitStatus, Error> {
    let values = values::load(&args.values.paths())?.typed()?;
    output::write(print(&service_monitor(&values.smi), args.output, None).as_bytes())?;
    Ok(ExitStatus::Success)
}

fn adapter_rules(args: AdapterRulesArgs) -> Result<ExitStatus, Error> {
    let Some(path) = args.merge_into else {
        let values = json!({"rules": {"external": [external_metric_rule()]}});
        let comment =
            "# prometheus-adapter chart values: the scriptworker's external metric (step 5)\n";
        output::write(print(&values, args.output, Some(comment)).as_bytes())?;
        return Ok(ExitStatus::Success);
    };
    let merged = merge_into_file(&path)?;
    let message = match &merged {
        Merged::Added(_) => format!(
            "{}: added the external metric rule under rules.external\n",
            path.display()
        ),
        Merged::AlreadyPresent => format!(
            "{}: unchanged, rules.external already has the rule\n",
            path.display()
        ),
    };
    let text = match merged {
        Merged::Added(text) => text,
        Merged::AlreadyPresent => std::fs::read_to_string(&path).unwrap_or_default(),
    };
    // The outcome is a report, not output: stdout stays empty for scripts.
    let _ = std::io::stderr().write_all(message.as_bytes());
    if let Some(warning) = external_rules_ignored(&text) {
        report::warnings(&[warning]);
    }
    Ok(ExitStatus::Success)
}

fn print(value: &Value, format: ObjectFormat, comment: Option<&str>) -> String {
    match format {
        ObjectFormat::Json => output::json(value),
        ObjectFormat::Yaml => format!("{}{}", comment.unwrap_or(""), output::yaml(value)),
    }
}
