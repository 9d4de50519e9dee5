//! `kubectl smi prometheus servicemonitor` and `kubectl smi prometheus adapter-rules`.

use std::io::Write;

use kubectl_smi::Error;
use kubectl_smi::catalog::external_metric_rule;
use kubectl_smi::prometheus::{Merged, external_rules_ignored, merge_into_file, service_monitor};
use kubectl_smi::stream::{Layout, Node, emit};
use kubectl_smi::values;
use serde_json::{Value, json};

use crate::cli::{AdapterRulesArgs, PrometheusArgs};

pub fn servicemonitor(args: PrometheusArgs) -> Result<(), Error> {
    let values = values::load(&crate::values_paths(&args.values))?.typed()?;
    crate::write_stdout(print(&service_monitor(&values.smi), &args.output, None).as_bytes())
}

pub fn adapter_rules(args: AdapterRulesArgs) -> Result<(), Error> {
    let Some(path) = args.merge_into else {
        let values = json!({"rules": {"external": [external_metric_rule()]}});
        let comment =
            "# prometheus-adapter chart values: the scriptworker's external metric (step 5)\n";
        return crate::write_stdout(print(&values, &args.output, Some(comment)).as_bytes());
    };
    let merged = merge_into_file(&path)?;
    let mut message = match &merged {
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
    if let Some(warning) = external_rules_ignored(&text) {
        message.push_str(&format!("warning: {warning}\n"));
    }
    // The outcome is a report, not output: stdout stays empty for scripts.
    let _ = std::io::stderr().write_all(message.as_bytes());
    Ok(())
}

fn print(value: &Value, format: &str, comment: Option<&str>) -> String {
    if format == "json" {
        return format!(
            "{}\n",
            serde_json::to_string_pretty(value).expect("JSON values serialize")
        );
    }
    format!(
        "{}{}",
        comment.unwrap_or(""),
        emit(&Node::from_json(value), Layout::default())
    )
}
