//! `kubectl smi network rules`: step 2's connectivity table for the values' provider.

use clap::{Args, Subcommand, ValueEnum};
use kubectl_smi::network::{RulesFormat, Target, rules_output};
use kubectl_smi::values;

use super::ExitStatus;
use crate::cli::ValuesArgs;
use crate::error::Error;
use crate::output;

/// `kubectl-smi network ...`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Print the connectivity rules of step 2 for the provider.
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
