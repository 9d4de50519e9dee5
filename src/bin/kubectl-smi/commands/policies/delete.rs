//! `kubectl smi policies delete`: prints the removal plan, or with --apply makes it,
//! printing each removal as it is done; what stays is listed with its reason.

use clap::Args;
use kubectl_smi::policies::Format;
use kubectl_smi::policies::aws::{self, apply::Step, delete, observe, session};

use super::super::ExitStatus;
use crate::error::Error;
use crate::output::{self, write as write_stdout};
use crate::progress::ProgressLine;
use crate::report;

/// `kubectl-smi policies delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Remove what the plan lists (without it: print the plan, change nothing).
    #[arg(long)]
    pub apply: bool,
    /// Also detach foreign policies, delete inline policies and leave instance profiles that
    /// keep a tagged role (or detach a tagged policy from foreign principals), saying so.
    #[arg(long)]
    pub force: bool,
    /// Output format.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<crate::output::ReportFormat>,
}

/// Plans and, with `apply`, makes the removals; exit 1 when something of ours stays only
/// because --force was not given.
pub async fn run(
    session: &session::Session,
    policies: &aws::AwsPolicies,
    apply: bool,
    force: bool,
    format: &Format,
) -> Result<ExitStatus, Error> {
    let observed = observe::observe_all_associations(session, policies).await?;
    let attachments = delete::observe_attachments(session, policies, &observed).await?;
    let plan = delete::plan(policies, &observed, &attachments, force);
    let json = *format == Format::Json;
    report::warnings(&plan.notes);
    if !apply || plan.removals.is_empty() {
        if json {
            let report = serde_json::json!({"apply": apply, "plan": &plan});
            write_stdout(output::json(&report).as_bytes())?;
        } else {
            write_stdout(plan_text(&plan).as_bytes())?;
        }
        return Ok(outcome(&plan));
    }
    let progress = ProgressLine::new("deleting");
    let result = delete::delete(session, policies, &plan, |p| match p.step {
        Step::Starting => progress.start(p.index as u64, p.total as u64, p.removal.to_string()),
        Step::Done => {
            progress.step_done(String::new());
            if !json {
                let text = format!("{}: done\n", p.removal);
                let _ = progress.suspend(|| write_stdout(text.as_bytes()));
            }
        }
    })
    .await;
    progress.finish();
    result?;
    if json {
        let report = serde_json::json!({"apply": true, "plan": &plan});
        write_stdout(output::json(&report).as_bytes())?;
    } else {
        let mut text = format!("removed {} item(s)\n", plan.removals.len());
        text.push_str(&left_text(&plan));
        write_stdout(text.as_bytes())?;
    }
    Ok(outcome(&plan))
}

/// The plan: the removals (or `nothing left to delete`), then what stays.
fn plan_text(plan: &delete::DeletePlan) -> String {
    let mut text = if plan.removals.is_empty() {
        "nothing left to delete\n".to_owned()
    } else {
        let mut text = format!(
            "plan: {} removal(s) (nothing changed; --apply removes them)\n",
            plan.removals.len()
        );
        for removal in &plan.removals {
            text.push_str(&format!("  {removal}\n"));
        }
        text
    };
    text.push_str(&left_text(plan));
    text
}

fn left_text(plan: &delete::DeletePlan) -> String {
    if plan.left.is_empty() {
        return String::new();
    }
    let mut text = format!("left ({}):\n", plan.left.len());
    for left in &plan.left {
        text.push_str(&format!("  {left}\n"));
    }
    text
}

fn outcome(plan: &delete::DeletePlan) -> ExitStatus {
    if !plan.needs_force() {
        return ExitStatus::Success;
    }
    report::negative(
        "some of this cluster's roles or policies stay: they hold what kubectl-smi did not make",
        Some(
            "review them, then run `kubectl smi policies delete --apply --force` to remove that too",
        ),
    );
    ExitStatus::Failure
}
