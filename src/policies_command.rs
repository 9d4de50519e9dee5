//! `kubectl smi policies`: turns the flags into library calls and prints the results.
//! Changes are printed as they are made; progress goes to stderr on a terminal only.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use kubectl_smi::Error;
use kubectl_smi::policies::aws::{self, Overrides, apply, check, observe, plan, session};
use kubectl_smi::policies::format::{self, documents, write_dir};
use kubectl_smi::policies::{
    Format, Generated, PoliciesError, aws_section, generate_aws, generate_oci,
};
use kubectl_smi::values::{self, Provider, Smi};

use crate::cli::{PoliciesArgs, PoliciesCommand};
use crate::write_stdout;

/// What the command was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Generate,
    Apply { dry_run: bool, force: bool },
    Check,
}

pub fn run(args: PoliciesArgs, paths: &[PathBuf]) -> Result<(), Error> {
    let format: Format = args.output.parse().map_err(Error::Usage)?;
    let mode = match (&args.command, args.apply || args.dry_run) {
        (Some(PoliciesCommand::Check), _) => Mode::Check,
        (None, true) => Mode::Apply {
            dry_run: args.dry_run,
            force: args.force,
        },
        (None, false) => Mode::Generate,
    };
    if mode != Mode::Generate && !matches!(format, Format::Text | Format::Json) {
        return Err(Error::Usage(
            "--apply, --dry-run and `policies check` print text or json (-o text|json)".into(),
        ));
    }
    let values = values::load(paths)?.typed()?;
    let smi = &values.smi;
    match smi.cloud.provider {
        Provider::Oci if mode != Mode::Generate => Err(Error::Usage(
            "--apply, --dry-run and `policies check` work on AWS; for OCI apply the output of -o terraform or -o script".into(),
        )),
        Provider::Oci => output(&generate_oci(smi)?, &format),
        Provider::Aws => run_aws(smi, &args, mode, &format),
    }
}

fn run_aws(smi: &Smi, args: &PoliciesArgs, mode: Mode, format: &Format) -> Result<(), Error> {
    let section = aws_section(smi)?;
    let overrides = Overrides {
        account_id: args.account_id.clone(),
        partition: args.partition.clone(),
        oidc_issuer: args.oidc_issuer.clone(),
    };
    // Every problem in the values is reported before any AWS call.
    let offline = aws::resolve_target(
        section,
        &Overrides {
            account_id: overrides
                .account_id
                .clone()
                .or_else(|| Some("000000000000".into())),
            ..overrides.clone()
        },
        None,
    )?;
    generate_aws(smi, &offline)?;
    if mode == Mode::Generate && !aws::needs_caller_identity(section, &overrides) {
        let target = aws::resolve_target(section, &overrides, None)?;
        return output(&generate_aws(smi, &target)?, format);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let session = session::Session::connect(&section.region).await?;
        let caller = session::caller_identity(&session.sts, &session.endpoints.sts).await?;
        let target = aws::resolve_target(section, &overrides, Some(&caller))?;
        let policies = aws::generate(section, &smi.environment, smi.namespace(), &target)?;
        if mode != Mode::Generate && target.account_id != caller.account_id {
            return Err(PoliciesError::AccountMismatch {
                expected: target.account_id,
                actual: caller.account_id,
                caller: caller.arn,
            }
            .into());
        }
        match mode {
            Mode::Generate => output(&Generated::Aws(policies), format),
            Mode::Check => run_check(&session, &policies, format).await,
            Mode::Apply { dry_run, force } => {
                run_apply(&session, &policies, dry_run, force, format).await
            }
        }
    })
}

fn output(generated: &Generated, format: &Format) -> Result<(), Error> {
    match format {
        Format::Dir(dir) => {
            let docs = documents(generated);
            write_dir(dir, &docs)?;
            eprintln!("wrote {} files to {}", docs.len(), dir.display());
            Ok(())
        }
        other => write_stdout(format::render(generated, other).as_bytes()),
    }
}

async fn run_check(
    session: &session::Session,
    policies: &aws::AwsPolicies,
    format: &Format,
) -> Result<(), Error> {
    let observed = observe::observe(session, policies).await?;
    let found = check::differences(policies, &observed);
    let text = if *format == Format::Json {
        format::json(&found)
    } else if found.is_empty() {
        format!("no differences: {}\n", inventory(policies))
    } else {
        let mut text = String::new();
        for d in &found {
            text.push_str(&format!(
                "{}: {}: {}\n",
                d.subject,
                d.kind.label(),
                d.detail
            ));
        }
        text
    };
    write_stdout(text.as_bytes())?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(PoliciesError::Differences { count: found.len() }.into())
    }
}

fn inventory(policies: &aws::AwsPolicies) -> String {
    let attachments: usize = policies.roles.iter().map(|r| r.policy_arns.len()).sum();
    format!(
        "{} policies, {} roles, {attachments} attachments and {} pod identity associations are as the values require",
        policies.policies.len(),
        policies.roles.len(),
        policies.pod_identity_associations.len()
    )
}

async fn run_apply(
    session: &session::Session,
    policies: &aws::AwsPolicies,
    dry_run: bool,
    force: bool,
    format: &Format,
) -> Result<(), Error> {
    let observed = observe::observe(session, policies).await?;
    if let (Some(arn), Some(false)) = (&policies.oidc_provider_arn, observed.oidc_provider_exists) {
        return Err(PoliciesError::MissingOidcProvider { arn: arn.clone() }.into());
    }
    let plan = plan::plan(policies, &observed, force);
    let json = *format == Format::Json;
    if json {
        let report = serde_json::json!({"dryRun": dry_run, "plan": &plan});
        if dry_run {
            return write_stdout(format::json(&report).as_bytes()).and(conflicts(&plan));
        }
    } else if plan.actions.is_empty() {
        write_stdout(format!("nothing to change: {}\n", inventory(policies)).as_bytes())?;
    } else if dry_run {
        let mut text = format!(
            "plan: {} change(s) (dry run, nothing changed)\n",
            plan.actions.len()
        );
        for action in &plan.actions {
            text.push_str(&format!("  {action}\n"));
        }
        write_stdout(text.as_bytes())?;
    }
    for role in &plan.trust_conflicts {
        eprintln!(
            "warning: role {role} exists with a different trust policy; left as is (--force replaces it)"
        );
    }
    if dry_run {
        return conflicts(&plan);
    }
    let progress = std::io::stderr().is_terminal();
    let result = apply::apply(session, policies, &plan, |p| report(p, progress, json)).await;
    if progress {
        eprint!("\r\x1b[K");
    }
    result?;
    if json {
        write_stdout(
            format::json(&serde_json::json!({"dryRun": false, "plan": &plan})).as_bytes(),
        )?;
    } else if !plan.actions.is_empty() {
        write_stdout(format!("applied {} change(s)\n", plan.actions.len()).as_bytes())?;
    }
    conflicts(&plan)
}

fn report(progress: apply::Progress<'_>, terminal: bool, json: bool) {
    match progress.step {
        apply::Step::Starting if terminal => {
            eprint!(
                "\r\x1b[K[{}/{}] {} ...",
                progress.index + 1,
                progress.total,
                progress.action
            );
            let _ = std::io::stderr().flush();
        }
        apply::Step::Starting => {}
        apply::Step::Done => {
            if terminal {
                eprint!("\r\x1b[K");
            }
            if !json {
                let _ = write_stdout(format!("{}: done\n", progress.action).as_bytes());
            }
        }
    }
}

fn conflicts(plan: &plan::Plan) -> Result<(), Error> {
    if plan.trust_conflicts.is_empty() {
        Ok(())
    } else {
        Err(PoliciesError::TrustConflict {
            roles: plan.trust_conflicts.clone(),
        }
        .into())
    }
}
