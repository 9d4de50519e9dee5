//! `kubectl smi policies`: turns the flags into library calls and prints the results.
//! Changes are printed as they are made; progress goes to stderr on a terminal only.
//! `policies delete` lives in its own file.

mod delete;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use kubectl_smi::policies::aws::{self, Overrides, apply, check, limits, observe, plan, session};
use kubectl_smi::policies::format::{self, documents, write_dir};
use kubectl_smi::policies::{
    Format, Generated, PoliciesError, aws_section, generate_aws, generate_oci,
};
use kubectl_smi::values::{self, LoadedValues, Problem, Provider, Rule, Smi, Values};

use super::ExitStatus;
use crate::cli::{DryRunMode, KubeArgs, client_only_dry_run, values_paths};
use crate::error::Error;
use crate::output::{self, ReportFormat, write as write_stdout};
use crate::progress::ProgressLine;
use crate::report;

/// `kubectl-smi policies` (and `policies check`).
#[derive(Debug, Args)]
pub struct PoliciesArgs {
    #[command(subcommand)]
    pub command: Option<PoliciesCommand>,
    /// Values file with the `smi:` section (repeatable; later files win, as in Helm).
    /// SMI_VALUES may list files too, separated by ':'; they come before -f files.
    // Global so that `policies check -f values.yaml` reads as users type it.
    #[arg(short = 'f', long = "values", value_name = "FILE", global = true)]
    pub values: Vec<PathBuf>,
    /// Output: text (the default), json, terraform, script, or dir=PATH (one file per
    /// document); --apply and --dry-run print text or json.
    #[arg(short, long, value_name = "FORMAT", value_parser = parse_format)]
    pub output: Option<Format>,
    /// Create or update the roles, policies and pod identity associations (AWS).
    #[arg(long)]
    pub apply: bool,
    /// Show the plan of --apply (made from what the account has) and change nothing:
    /// `client` (what --dry-run alone means) or `none`; IAM has no server-side dry run.
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "client", default_value = "none", value_parser = client_only_dry_run())]
    pub dry_run: DryRunMode,
    /// With --apply: replace a role's trust policy that differs from the expected one.
    #[arg(long)]
    pub force: bool,
    /// With --apply, while the values still say identity: irsa: step 1 of the move to EKS
    /// Pod Identity: each role trusts both its OIDC statement and Pod Identity, and the pod
    /// identity associations are created.
    #[arg(long)]
    pub migrate_trust: bool,
    /// The cluster (for the last step of the IRSA to Pod Identity migration, which checks
    /// that no running pod still has the IRSA environment).
    #[command(flatten)]
    pub kube: KubeArgs,
    /// AWS account id (instead of values or STS GetCallerIdentity).
    #[arg(long, value_name = "ID", global = true)]
    pub account_id: Option<String>,
    /// AWS partition (aws, aws-cn, aws-us-gov).
    #[arg(long, value_name = "PARTITION", global = true)]
    pub partition: Option<String>,
    /// The cluster's OIDC issuer URL (IRSA).
    #[arg(long, value_name = "URL", global = true)]
    pub oidc_issuer: Option<String>,
    /// The account's role trust policy length quota in characters (2048 unless raised in
    /// Service Quotas, at most 4096); longer trust policies are refused before any change.
    #[arg(
        long,
        value_name = "CHARS",
        global = true,
        default_value_t = limits::TRUST_POLICY_SIZE,
        value_parser = limits::parse_trust_policy_quota
    )]
    pub trust_policy_quota: usize,
}

/// `kubectl-smi policies ...`.
#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Compare what exists in the account with what the values require.
    Check(CheckArgs),
    /// Plan (or with --apply make) the removal of this cluster's roles, policies and pod
    /// identity associations; only what carries kubectl-smi's tags is touched.
    Delete(delete::DeleteArgs),
}

/// `kubectl-smi policies check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output format.
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<ReportFormat>,
}

/// A report format as the policies formats name it.
fn report_format(format: ReportFormat) -> Format {
    match format {
        ReportFormat::Text => Format::Text,
        ReportFormat::Json => Format::Json,
    }
}

/// `-o`: one of the formats, or a usage error listing them.
fn parse_format(text: &str) -> Result<Format, String> {
    text.parse()
}

/// What the command was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Generate,
    Apply { dry_run: bool, force: bool },
    Check,
    Delete { apply: bool, force: bool },
}

/// Generates, applies (`--apply`, `--dry-run`) or checks (`policies check`) the policies.
pub fn exec(args: PoliciesArgs) -> Result<ExitStatus, Error> {
    let paths = values_paths(&args.values);
    if args.dry_run == DryRunMode::Server {
        return Err(Error::Usage(
            "--dry-run=server: IAM and EKS have no server-side dry run; --dry-run (or --dry-run=client) prints the plan made from what the account has, changing nothing".into(),
        ));
    }
    let dry_run = args.dry_run == DryRunMode::Client;
    if args.force && !args.apply {
        return Err(Error::Usage(
            "--force goes with --apply (it lets --apply replace a trust policy that differs); without --apply nothing is changed, so there is nothing to force. For `policies delete`, give --force after `delete`".into(),
        ));
    }
    let sub_format = match &args.command {
        Some(PoliciesCommand::Check(check)) => check.output,
        Some(PoliciesCommand::Delete(delete)) => delete.output,
        None => None,
    };
    let format = match (sub_format, &args.output) {
        (Some(format), _) => report_format(format),
        (None, Some(format)) => format.clone(),
        (None, None) => Format::Text,
    };
    let mode = match (&args.command, args.apply || dry_run) {
        (Some(PoliciesCommand::Check(_)), _) => Mode::Check,
        (Some(PoliciesCommand::Delete(delete)), _) => Mode::Delete {
            apply: delete.apply,
            force: delete.force,
        },
        (None, true) => Mode::Apply {
            dry_run,
            force: args.force,
        },
        (None, false) => Mode::Generate,
    };
    if mode != Mode::Generate && !matches!(format, Format::Text | Format::Json) {
        return Err(Error::Usage(
            "--apply, --dry-run, `policies check` and `policies delete` print text or json (-o text|json)".into(),
        ));
    }
    if args.migrate_trust && !matches!(mode, Mode::Apply { .. } | Mode::Check) {
        return Err(Error::Usage(
            "--migrate-trust goes with --apply (or --dry-run, or `policies check`)".into(),
        ));
    }
    let loaded = values::load(&paths)?;
    // --oidc-issuer gives what the values would (the only need of policies).
    let values = match args.oidc_issuer {
        Some(_) => loaded.typed()?,
        None => loaded.typed_for(values::needs::Command::Policies)?,
    };
    let smi = &values.smi;
    match smi.cloud.provider {
        Provider::Oci if mode != Mode::Generate => Err(Error::Usage(
            "--apply, --dry-run, `policies check` and `policies delete` work on AWS; for OCI apply the output of -o terraform or -o script (`sh policies.sh delete` or `terraform destroy` removes it)".into(),
        )),
        Provider::Oci => output(&generate_oci(smi)?, &format).map(|()| ExitStatus::Success),
        Provider::Aws => run_aws(&loaded, smi, &args, mode, &format),
    }
}

fn run_aws(
    loaded: &LoadedValues,
    smi: &Smi,
    args: &PoliciesArgs,
    mode: Mode,
    format: &Format,
) -> Result<ExitStatus, Error> {
    let section = aws_section(smi)?;
    if args.migrate_trust && section.identity != kubectl_smi::values::AwsIdentity::Irsa {
        return Err(Error::Usage(
            "--migrate-trust is the first step, while the values still say identity: irsa; once they say podIdentity, --apply finishes the migration".into(),
        ));
    }
    let migrate = |policies: aws::AwsPolicies| {
        if args.migrate_trust {
            aws::migration::with_both_trusts(policies)
        } else {
            policies
        }
    };
    if let (Some(flag), Some(value)) = (&args.account_id, &section.account_id)
        && flag != value
    {
        report::warnings(&[format!(
            "--account-id {flag} overrides the values' smi.cloud.aws.accountId ({value}): the policies are for account {flag}"
        )]);
    }
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
    let limits = limits::Limits {
        trust_policy_size: args.trust_policy_quota,
    };
    if let Generated::Aws(offline) = generate_aws(smi, &offline)?
        && matches!(mode, Mode::Generate | Mode::Apply { .. })
    {
        // A breach the values cause is refused with the problem `validate` reports at the
        // value; one that --migrate-trust adds, as the limit error alone.
        if let Some((problem, breach)) =
            limit_problems(loaded, &offline, &limits).into_iter().next()
        {
            return Err(Error::InValues {
                error: Box::new(breach.into_error().into()),
                problem: Box::new(problem),
            });
        }
        limits::check(&migrate(offline), &limits)?;
    }
    if mode == Mode::Generate && !aws::needs_caller_identity(section, &overrides) {
        let target = aws::resolve_target(section, &overrides, None)?;
        output(&generate_aws(smi, &target)?, format)?;
        return Ok(ExitStatus::Success);
    }
    let account_known = args.account_id.is_some() || section.account_id.is_some();
    let result = super::runtime()?.block_on(async {
        let session = session::Session::connect(&section.region).await?;
        let caller = session::caller_identity(&session.sts, &session.endpoints.sts).await?;
        let target = aws::resolve_target(section, &overrides, Some(&caller))?;
        let policies = migrate(aws::generate(
            section,
            &smi.environment,
            smi.namespace(),
            &target,
        )?);
        if mode != Mode::Generate && target.account_id != caller.account_id {
            return Err(PoliciesError::AccountMismatch {
                expected: target.account_id,
                actual: caller.account_id,
                caller: caller.arn,
            }
            .into());
        }
        match mode {
            Mode::Generate => {
                output(&Generated::Aws(policies), format).map(|()| ExitStatus::Success)
            }
            Mode::Check => run_check(&session, &policies, &limits, format).await,
            Mode::Delete { apply, force } => {
                delete::run(&session, &policies, apply, force, format).await
            }
            Mode::Apply { dry_run, force } => {
                run_apply(&session, &policies, &args.kube, dry_run, force, format)
                    .await
                    .map(|()| ExitStatus::Success)
            }
        }
    });
    // The library's hints offer --account-id to avoid STS, which is no help when the account
    // is already known: then STS was called to confirm who is calling.
    match result {
        Err(Error::Policies(
            error @ (PoliciesError::NoCredentials { .. }
            | PoliciesError::Unreachable { service: "STS", .. }),
        )) if account_known => Err(Error::Hinted {
            hint: if matches!(error, PoliciesError::NoCredentials { .. }) {
                "configure AWS credentials (AWS_PROFILE, `aws sso login`, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY): --apply, --dry-run, `check` and `delete` ask STS who is calling even when the account id is known"
            } else {
                "check the network and AWS_ENDPOINT_URL: --apply, --dry-run, `check` and `delete` ask STS who is calling even when the account id is known"
            },
            error: Box::new(Error::Policies(error)),
        }),
        other => other,
    }
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

/// Prints the differences; some is a negative result.
async fn run_check(
    session: &session::Session,
    policies: &aws::AwsPolicies,
    limits: &limits::Limits,
    format: &Format,
) -> Result<ExitStatus, Error> {
    let observed = observe::observe(session, policies).await?;
    let mut found = check::limit_differences(&limits::breaches(policies, limits));
    found.extend(check::differences(policies, &observed));
    let text = if *format == Format::Json {
        output::json(&found)
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
        return Ok(ExitStatus::Success);
    }
    report::negative(
        &format!(
            "the account differs from what the values require ({} difference(s))",
            found.len()
        ),
        Some("run `kubectl smi policies --apply` to create what is missing"),
    );
    Ok(ExitStatus::Failure)
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
    kube: &KubeArgs,
    dry_run: bool,
    force: bool,
    format: &Format,
) -> Result<(), Error> {
    let observed = observe::observe(session, policies).await?;
    if let (Some(arn), Some(false)) = (&policies.oidc_provider_arn, observed.oidc_provider_exists) {
        return Err(PoliciesError::MissingOidcProvider { arn: arn.clone() }.into());
    }
    let mut plan = plan::plan(policies, &observed, force)?;
    let blocked = hold_migration(&mut plan, policies, kube).await?;
    let json = *format == Format::Json;
    if json {
        let report = serde_json::json!({"dryRun": dry_run, "plan": &plan});
        if dry_run {
            write_stdout(output::json(&report).as_bytes())?;
            conflicts(&plan)?;
            return blocked.map_or(Ok(()), |e| Err(e.into()));
        }
    } else if plan.actions.is_empty() && blocked.is_some() {
        write_stdout(b"nothing else to change\n")?;
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
    let mut warnings: Vec<String> = plan
        .trust_conflicts
        .iter()
        .map(|role| {
            format!(
                "role {role} exists with a different trust policy; left as is (--force replaces it)"
            )
        })
        .collect();
    warnings.extend(plan.not_ours.iter().map(|subject| {
        format!(
            "{subject} exists but was not created by kubectl-smi (no {} tag); left alone (--force takes it over)",
            aws::MANAGED_BY_TAG.0
        )
    }));
    report::warnings(&warnings);
    if dry_run {
        return conflicts(&plan).and(blocked.map_or(Ok(()), |e| Err(e.into())));
    }
    let progress = ProgressLine::new("applying");
    let result = apply::apply(session, policies, &plan, |p| show(p, &progress, json)).await;
    progress.finish();
    result?;
    if json {
        write_stdout(
            output::json(&serde_json::json!({"dryRun": false, "plan": &plan})).as_bytes(),
        )?;
    } else if !plan.actions.is_empty() {
        write_stdout(format!("applied {} change(s)\n", plan.actions.len()).as_bytes())?;
    }
    conflicts(&plan)?;
    blocked.map_or(Ok(()), |e| Err(e.into()))
}

/// Step 3 of the IRSA to Pod Identity migration: the OIDC statements go only when no
/// running pod of the namespace has the IRSA environment; otherwise their removals leave
/// the plan and the error naming the pods is returned (the rest of the plan is still made).
async fn hold_migration(
    plan: &mut plan::Plan,
    policies: &aws::AwsPolicies,
    kube: &KubeArgs,
) -> Result<Option<PoliciesError>, Error> {
    let roles: Vec<String> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            plan::Action::RemoveIrsaTrust { role, .. } => Some(role.clone()),
            _ => None,
        })
        .collect();
    if roles.is_empty() {
        return Ok(None);
    }
    let namespace = kube.namespace.as_deref().unwrap_or(&policies.namespace);
    let connection = kubectl_smi::cluster::connect(&kube.cluster_options())
        .await
        .map_err(PoliciesError::from)?;
    let pods = aws::migration::irsa_pods(&connection.client, &connection.server, namespace)
        .await
        .map_err(PoliciesError::from)?;
    if pods.is_empty() {
        return Ok(None);
    }
    plan.actions
        .retain(|a| !matches!(a, plan::Action::RemoveIrsaTrust { .. }));
    Ok(Some(PoliciesError::MigrationBlocked {
        namespace: namespace.to_owned(),
        pods,
        roles,
    }))
}

/// The progress line on a terminal, and `ACTION: done` on stdout as each change is made.
fn show(progress: apply::Progress<'_>, line: &ProgressLine, json: bool) {
    match progress.step {
        apply::Step::Starting => line.start(
            progress.index as u64,
            progress.total as u64,
            progress.action.to_string(),
        ),
        apply::Step::Done => {
            line.step_done(String::new());
            if !json {
                let text = format!("{}: done\n", progress.action);
                let _ = line.suspend(|| write_stdout(text.as_bytes()));
            }
        }
    }
}

fn conflicts(plan: &plan::Plan) -> Result<(), Error> {
    if !plan.not_ours.is_empty() {
        return Err(PoliciesError::NotOurs {
            subjects: plan.not_ours.clone(),
        }
        .into());
    }
    if plan.trust_conflicts.is_empty() {
        Ok(())
    } else {
        Err(PoliciesError::TrustConflict {
            roles: plan.trust_conflicts.clone(),
        }
        .into())
    }
}

/// The values problems behind the IAM limits the policies of these values break: one per
/// value that makes a document too long (the first breach it causes), with that breach.
/// `validate` reports them with IAM's default limits; `policies` refuses with the first.
pub fn limit_problems(
    loaded: &LoadedValues,
    policies: &aws::AwsPolicies,
    limits: &limits::Limits,
) -> Vec<(Problem, limits::Breach)> {
    let mut out: Vec<(Problem, limits::Breach)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for breach in limits::breaches(policies, limits) {
        let pointer = match (breach.what, policies.identity) {
            ("policy document", _) if breach.cause.starts_with("smi.cloud.aws.kmsKeyArns") => {
                "/smi/cloud/aws/kmsKeyArns".to_owned()
            }
            ("policy document", _) => breach
                .cause
                .strip_prefix("smi.cloud.aws.buckets.")
                .map_or_else(
                    || "/smi/cloud/aws".to_owned(),
                    |b| format!("/smi/cloud/aws/buckets/{b}"),
                ),
            (_, kubectl_smi::values::AwsIdentity::Irsa) => "/smi/cloud/aws/oidcIssuer".to_owned(),
            _ => "/smi/cloud/aws".to_owned(),
        };
        if seen.contains(&pointer) || loaded.merged.pointer(&pointer).is_none() {
            continue;
        }
        seen.push(pointer.clone());
        let quota = if breach.what == "trust policy" {
            format!(
                "; the limit is the account's \"Role trust policy length\" quota ({} unless raised in Service Quotas, at most {}; pass a raised one with --trust-policy-quota)",
                limits::TRUST_POLICY_SIZE,
                limits::TRUST_POLICY_SIZE_MAX
            )
        } else {
            String::new()
        };
        let problem = loaded.problem_at(
            &pointer,
            Rule::Range,
            &format!(
                "a value that makes the {} of {} {} characters",
                breach.what, breach.subject, breach.size
            ),
            &format!(
                "a shorter value: IAM refuses a {} over {} characters, whitespace not counted{quota} (needed by `kubectl smi policies`)",
                breach.what, breach.limit
            ),
        );
        out.push((problem, breach));
    }
    out
}

/// [`limit_problems`] with IAM's default limits, for `validate`: the policies these AWS values
/// make, built offline (the account id, when the values have none, is a placeholder of the
/// same length: sizes do not depend on it). Nothing when the policies cannot be built (the
/// values' other problems say why).
pub fn default_limit_problems(loaded: &LoadedValues, values: &Values) -> Vec<Problem> {
    let smi = &values.smi;
    if smi.cloud.provider != Provider::Aws {
        return Vec::new();
    }
    let Ok(section) = aws_section(smi) else {
        return Vec::new();
    };
    let overrides = Overrides {
        account_id: section
            .account_id
            .clone()
            .or_else(|| Some("000000000000".into())),
        partition: None,
        oidc_issuer: None,
    };
    let Ok(target) = aws::resolve_target(section, &overrides, None) else {
        return Vec::new();
    };
    let Ok(Generated::Aws(policies)) = generate_aws(smi, &target) else {
        return Vec::new();
    };
    limit_problems(loaded, &policies, &limits::Limits::default())
        .into_iter()
        .map(|(problem, _)| problem)
        .collect()
}
