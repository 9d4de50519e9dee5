//! `kubectl smi network rules`: step 2's connectivity table for the values' provider, and on
//! AWS `--apply` / `--delete` of its security group rules (`--dry-run` prints the plan).

use clap::{Args, Subcommand, ValueEnum};
use kubectl_smi::network::security_groups::{self, Ec2, Groups, RulesPlan};
use kubectl_smi::network::{NetworkError, RulesFormat, Target, connectivity_rules, rules_output};
use kubectl_smi::values::{self, Provider};

use super::ExitStatus;
use crate::cli::{DryRunMode, ValuesArgs, client_only_dry_run};
use crate::error::Error;
use crate::output;
use crate::report;

/// `kubectl-smi network ...`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Print the connectivity rules of step 2 for the provider (on AWS, --apply puts them on
    /// the security groups).
    Rules(NetworkRulesArgs),
}

/// `kubectl-smi network rules`.
#[derive(Debug, Args)]
pub struct NetworkRulesArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Output format. Cloud rules (aws, oci, oci-nsg) are keyed by target (load balancer,
    /// workers) unless --target picks one.
    #[arg(short, long, value_enum, default_value_t = RulesOutput::Text)]
    pub output: RulesOutput,
    /// Print only the cloud rules of one target, as the request body its CLI call takes:
    /// load-balancer (ingress from the internet) or workers (egress to the external
    /// systems; `nodes` is the same). Needs -o aws, oci or oci-nsg.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub target: Option<RulesTarget>,
    /// AWS: authorize the egress rules on the nodes' security group, and the 80/443 ingress
    /// rules on the load balancer's group if one is named; rules that exist are left alone.
    /// With --delete: revoke what --delete plans.
    #[arg(long)]
    pub apply: bool,
    /// AWS: plan the removal of the rules kubectl-smi authorized (those whose description
    /// starts with `smi <environment>: `) from the named groups; --apply revokes them (as
    /// `policies delete` plans and `policies delete --apply` removes).
    #[arg(long)]
    pub delete: bool,
    /// With --apply or --delete (or alone, for --apply): print the plan made from what the
    /// groups have, change nothing: `client` (what --dry-run alone means) or `none`; `server`
    /// is not offered (the plan already reads the groups).
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "client", default_value = "none", value_parser = client_only_dry_run())]
    pub dry_run: DryRunMode,
    /// The worker nodes' security group (wins over smi.cloud.aws.securityGroups.nodes).
    #[arg(long, value_name = "SG_ID")]
    pub nodes_security_group: Option<String>,
    /// A security group attached to the load balancer with the AWS Load Balancer
    /// Controller's service.beta.kubernetes.io/aws-load-balancer-security-groups (wins over
    /// smi.cloud.aws.securityGroups.loadBalancer).
    #[arg(long, value_name = "SG_ID")]
    pub load_balancer_security_group: Option<String>,
}

/// `network rules -o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesOutput {
    /// The guide's table, filled in.
    Text,
    /// The filled table as JSON.
    Json,
    /// EC2 IpPermissions (AuthorizeSecurityGroupIngress / AuthorizeSecurityGroupEgress).
    Aws,
    /// OCI security list rules.
    Oci,
    /// OCI network security group rules.
    OciNsg,
}

/// `network rules --target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesTarget {
    /// The load balancer's security group, security list or NSG.
    LoadBalancer,
    /// The worker nodes' security group, security list or NSG.
    #[value(alias = "nodes")]
    Workers,
}

/// Runs `network rules`.
pub fn exec(command: NetworkCommand) -> Result<ExitStatus, Error> {
    let NetworkCommand::Rules(args) = command;
    if args.dry_run == DryRunMode::Server {
        return Err(Error::Usage(
            "--dry-run=server is not offered: --dry-run (or --dry-run=client) prints the plan made from what the security groups have, changing nothing".into(),
        ));
    }
    if args.apply || args.delete || args.dry_run == DryRunMode::Client {
        return change(&args);
    }
    let format = match args.output {
        RulesOutput::Text => RulesFormat::Text,
        RulesOutput::Json => RulesFormat::Json,
        RulesOutput::Aws => RulesFormat::Aws,
        RulesOutput::Oci => RulesFormat::Oci,
        RulesOutput::OciNsg => RulesFormat::OciNsg,
    };
    let target = match args.target {
        None => None,
        Some(_) if matches!(format, RulesFormat::Text | RulesFormat::Json) => {
            return Err(Error::Usage(
                "--target picks the cloud rules of one target: use it with -o aws, oci or oci-nsg"
                    .to_owned(),
            ));
        }
        Some(RulesTarget::LoadBalancer) => Some(Target::LoadBalancer),
        Some(RulesTarget::Workers) => Some(Target::Workers),
    };
    let values = values::load(&args.values.paths())?.typed()?;
    output::write(rules_output(&values.smi, format, target)?.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// `--apply`, `--delete`, `--dry-run`: the AWS security group rules.
fn change(args: &NetworkRulesArgs) -> Result<ExitStatus, Error> {
    if !matches!(args.output, RulesOutput::Text | RulesOutput::Json) || args.target.is_some() {
        return Err(Error::Usage(
            "--apply, --delete and --dry-run print text or json (-o text|json) and take no --target".into(),
        ));
    }
    let values = values::load(&args.values.paths())?.typed()?;
    let smi = &values.smi;
    let aws = match (smi.cloud.provider, smi.cloud.aws.as_ref()) {
        (Provider::Aws, Some(aws)) => aws,
        _ => {
            return Err(Error::Usage(
                "--apply, --delete and --dry-run work on AWS security groups; for OCI print -o oci or -o oci-nsg".into(),
            ));
        }
    };
    let configured = aws.security_groups.clone().unwrap_or_default();
    let groups = Groups {
        nodes: args
            .nodes_security_group
            .clone()
            .or(configured.nodes)
            .ok_or(NetworkError::MissingNodesGroup)?,
        load_balancer: args
            .load_balancer_security_group
            .clone()
            .or(configured.load_balancer),
    };
    for (flag, group) in [
        ("--nodes-security-group", Some(&groups.nodes)),
        (
            "--load-balancer-security-group",
            groups.load_balancer.as_ref(),
        ),
    ] {
        if let Some(group) = group
            && !is_group_id(group)
        {
            return Err(Error::Usage(format!(
                "{flag}: {group:?} is not an EC2 security group id (sg- and 8 or 17 lowercase hexadecimal digits)"
            )));
        }
    }
    let rules = connectivity_rules(smi).map_err(NetworkError::from)?;
    let json = args.output == RulesOutput::Json;
    super::runtime()?.block_on(async {
        let ec2 = Ec2::connect(&aws.region).await?;
        let mut ids = vec![groups.nodes.as_str()];
        ids.extend(groups.load_balancer.as_deref());
        let existing = ec2.observe(&ids).await?;
        let plan = if args.delete {
            security_groups::plan_delete(&smi.environment, &existing)
        } else {
            let (wanted, skipped) = security_groups::desired(&smi.environment, &rules, &groups);
            let mut plan = security_groups::plan_apply(wanted, skipped, &existing);
            plan.allow_all_egress = security_groups::allow_all_egress(&groups.nodes, &existing);
            plan
        };
        skipped_note(&plan);
        allow_all_note(&plan);
        // A delete plans unless --apply says to revoke, as `policies delete` does.
        if args.dry_run == DryRunMode::Client || (args.delete && !args.apply) {
            print_plan(&plan, json, true)?;
            if args.delete && args.dry_run != DryRunMode::Client && !json && !plan.revoke.is_empty()
            {
                output::write(b"to revoke them: the same command with --apply\n")?;
            }
            return Ok(ExitStatus::Success);
        }
        let result = ec2
            .change(&plan, |line| {
                if !json {
                    let _ = output::write(format!("{line}: done\n").as_bytes());
                }
            })
            .await;
        result?;
        print_plan(&plan, json, false)?;
        Ok(ExitStatus::Success)
    })
}

fn is_group_id(id: &str) -> bool {
    id.strip_prefix("sg-").is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

fn skipped_note(plan: &RulesPlan) {
    if plan.skipped.is_empty() {
        return;
    }
    report::warnings(&[format!(
        "{} internet ingress rule(s) printed but not applied: no load balancer security group is named. The AWS Load Balancer Controller manages its own frontend group unless you attach one with service.beta.kubernetes.io/aws-load-balancer-security-groups; name that group in smi.cloud.aws.securityGroups.loadBalancer or --load-balancer-security-group",
        plan.skipped.len()
    )]);
}

/// Warns of the nodes' allow-all egress rules, which make the egress rules moot: named, with
/// the command that revokes each (kubectl-smi never revokes them).
fn allow_all_note(plan: &RulesPlan) {
    let warnings: Vec<String> = plan
        .allow_all_egress
        .iter()
        .map(|rule| {
            format!(
                "the nodes' security group {} has the allow-all egress rule {} (all protocols to {}): while it is there the egress rules restrict nothing, they only add to it. kubectl-smi never revokes it. Once every destination the nodes need has a rule (these, and the EKS API, ECR, the VPC's DNS resolver), revoke it: {}",
                rule.group_id, rule.rule_id, rule.cidr, rule.revoke_command
            )
        })
        .collect();
    report::warnings(&warnings);
}

/// The plan (dry run) or the summary after the changes.
fn print_plan(plan: &RulesPlan, json: bool, dry_run: bool) -> Result<(), Error> {
    if json {
        let report = serde_json::json!({"dryRun": dry_run, "plan": plan});
        return output::write(output::json(&report).as_bytes());
    }
    let changes = plan.authorize.len() + plan.revoke.len();
    let mut text = String::new();
    if dry_run {
        if changes == 0 {
            text.push_str("nothing to change\n");
        } else {
            text.push_str(&format!(
                "plan: {changes} change(s) (dry run, nothing changed)\n"
            ));
        }
        for rule in &plan.authorize {
            text.push_str(&format!("  authorize {rule}\n"));
        }
        for (id, rule) in &plan.revoke {
            text.push_str(&format!("  revoke {id}: {rule}\n"));
        }
    } else if changes == 0 {
        text.push_str("nothing to change\n");
    } else if plan.revoke.is_empty() {
        text.push_str(&format!("authorized {changes} rule(s)\n"));
    } else {
        text.push_str(&format!("revoked {changes} rule(s)\n"));
    }
    if !plan.present.is_empty() {
        text.push_str(&format!(
            "already present, left alone ({}):\n",
            plan.present.len()
        ));
        for rule in &plan.present {
            text.push_str(&format!("  {rule}\n"));
        }
    }
    if !plan.allow_all_egress.is_empty() {
        text.push_str(&format!(
            "allow-all egress, left in place: the egress rules restrict nothing while it is there ({}):\n",
            plan.allow_all_egress.len()
        ));
        for rule in &plan.allow_all_egress {
            text.push_str(&format!(
                "  {} egress all protocols to {} ({}): {}\n",
                rule.group_id, rule.cidr, rule.rule_id, rule.revoke_command
            ));
        }
    }
    if !plan.skipped.is_empty() {
        text.push_str(&format!(
            "not applied, no load balancer security group ({}):\n",
            plan.skipped.len()
        ));
        for rule in &plan.skipped {
            text.push_str(&format!("  {rule}\n"));
        }
    }
    output::write(text.as_bytes())
}
