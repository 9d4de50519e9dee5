//! `kubectl smi preflight`: runs the checks, shows progress on a terminal, prints the
//! checklist, and ends with a negative result (exit 1) unless every required check passed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{Args, ValueEnum};
use kubectl_smi::preflight::{self, Check, Group, PreflightOptions, Progress};

use super::ExitStatus;
use crate::cli::{KubeArgs, ValuesArgs};
use crate::error::Error;
use crate::output;
use crate::output::ReportFormat;
use crate::progress::ProgressLine;

/// `kubectl-smi preflight`.
#[derive(Debug, Args)]
pub struct PreflightArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Also test reachability from a short-lived pod in the namespace.
    #[arg(long)]
    pub in_cluster: bool,
    /// Image of the --in-cluster probe pod (needs bash and timeout; use a mirror in air-gapped clusters).
    #[arg(long, value_name = "IMAGE", default_value = kubectl_smi::preflight::DEFAULT_PROBE_IMAGE)]
    pub probe_image: String,
    /// Seconds to wait for each TCP connection and DNS answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
    /// Resolve names with this DNS server (IP[:PORT]) instead of the system's resolver.
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    /// Do not run a group of checks (repeatable).
    #[arg(long, value_enum, value_name = "GROUP")]
    pub skip: Vec<SkipGroup>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

/// `preflight --skip`: a group of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SkipGroup {
    /// Step 1: the DNS names.
    Dns,
    /// Step 2: TCP reachability of the endpoints.
    Network,
    /// What the API server can tell.
    Cluster,
}

/// Runs the checks and prints the checklist.
pub fn exec(args: PreflightArgs) -> Result<ExitStatus, Error> {
    let values = kubectl_smi::values::load(&args.values.paths())?.typed()?;
    let smi = &values.smi;
    let options = PreflightOptions {
        namespace: args
            .kube
            .namespace
            .clone()
            .unwrap_or_else(|| smi.namespace().to_owned()),
        timeout: Duration::from_secs(args.timeout),
        dns_server: args.dns_server.as_deref().map(dns_server).transpose()?,
        skip: args
            .skip
            .iter()
            .map(|group| match group {
                SkipGroup::Dns => Group::Dns,
                SkipGroup::Network => Group::Network,
                SkipGroup::Cluster => Group::Cluster,
            })
            .collect(),
        in_cluster_image: args.in_cluster.then(|| args.probe_image.clone()),
    };
    let kube = args.kube.cluster_options();
    if let Some(timeout) = &kube.request_timeout {
        // A malformed flag is a usage mistake, not a failed cluster check.
        kubectl_smi::cluster::parse_request_timeout(timeout)?;
    }
    let runtime = super::runtime()?;
    let progress = Checking(ProgressLine::new("checking"));
    let report = runtime.block_on(async {
        let connection = kubectl_smi::cluster::connect(&kube).await;
        preflight::run(smi, &options, connection, &progress).await
    })?;
    progress.0.finish();
    let text = match args.output {
        ReportFormat::Json => output::json(&report),
        ReportFormat::Text => report.text(),
    };
    output::write(text.as_bytes())?;
    Ok(if report.ready {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// `IP` or `IP:PORT` (port 53 by default; `[v6]:port` for IPv6).
fn dns_server(text: &str) -> Result<SocketAddr, Error> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    text.parse::<SocketAddr>().map_err(|_| {
        Error::Usage(format!(
            "--dns-server {text:?}: expected an IP address, optionally with :PORT"
        ))
    })
}

/// The progress line, counting checks as they finish.
struct Checking(ProgressLine);

impl Progress for Checking {
    fn add(&self, count: usize) {
        self.0.add(count as u64);
    }

    fn finished(&self, check: &Check) {
        self.0.step_done(check.title.clone());
    }
}
