//! `kubectl smi preflight`: runs the checks, shows progress on a terminal, prints the
//! checklist, and exits 1 unless every required check passed.

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kubectl_smi::Error;
use kubectl_smi::preflight::{self, Check, Group, PreflightOptions, Progress, Quiet};
use kubectl_smi::values;

use crate::cli::PreflightArgs;

/// Exit code when the run worked but the cluster or network is not ready.
const NOT_READY: i32 = 1;

pub fn run(args: PreflightArgs) -> Result<i32, Error> {
    let values = values::load(&crate::values_paths(&args.values))?.typed()?;
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
            .filter_map(|g| Group::ALL.into_iter().find(|k| k.name() == g))
            .collect(),
        in_cluster_image: args.in_cluster.then(|| args.probe_image.clone()),
    };
    let kube = args.kube.cluster_options();
    if let Some(timeout) = &kube.request_timeout {
        // A malformed flag is a usage mistake, not a failed cluster check.
        kubectl_smi::cluster::parse_request_timeout(timeout)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let bar = Bar::new(std::io::stderr().is_terminal());
    let report = runtime.block_on(async {
        let progress: &dyn Progress = match &bar.0 {
            Some(_) => &bar,
            None => &Quiet,
        };
        let connection = kubectl_smi::cluster::connect(&kube).await;
        preflight::run(smi, &options, connection, progress).await
    })?;
    bar.finish();
    let text = match args.output.as_str() {
        "json" => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        ),
        _ => report.text(),
    };
    crate::write_stdout(text.as_bytes())?;
    Ok(if report.ready { 0 } else { NOT_READY })
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

/// A progress bar on stderr when it is a terminal; nothing otherwise.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(terminal: bool) -> Bar {
        if !terminal {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} checking {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn add(&self, count: usize) {
        if let Some(bar) = &self.0 {
            bar.inc_length(count as u64);
        }
    }

    fn finished(&self, check: &Check) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(check.title.clone());
        }
    }
}
