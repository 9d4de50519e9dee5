mod cli;
mod network_command;
mod policies_command;
mod preflight_command;
mod prometheus_command;
mod report;
mod secrets_command;
mod validation_report;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, ExplainFormat, RenderArgs, ValuesArgs};
use kubectl_smi::Error;
use kubectl_smi::render::{self, RenderOptions};
use kubectl_smi::stream::Limits;
use kubectl_smi::values;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            if code != 0 {
                report::failure(&e.render().to_string());
            } else {
                let _ = e.print();
            }
            std::process::exit(code);
        }
    };
    let code = match run(cli) {
        Ok(()) => 0,
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let mut message = format!("error: {e}\n");
            if let Some(hint) = e.hint() {
                message.push_str(&format!("  hint: {hint}\n"));
            }
            report::failure(&message);
            e.exit_code()
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<(), Error> {
    let Some(command) = cli.command else {
        if std::io::stdin().is_terminal() {
            let _ = Cli::command().print_long_help();
            return Ok(());
        }
        return post_render(cli.render);
    };
    match command {
        Command::Render(args) => {
            if std::io::stdin().is_terminal() {
                return Err(Error::Usage(
                    "no manifests on standard input: pipe them in, e.g. `helm template my-release chart | kubectl smi render -f values.yaml`".into(),
                ));
            }
            post_render(args)
        }
        Command::Validate(args) => {
            let report = validation_report::run(&values_paths(&args.values), args.output)?;
            write_stdout(report.output.as_bytes())?;
            report.outcome
        }
        Command::Schema => write_stdout(values::schema::schema_text().as_bytes()),
        Command::Policies(args) => {
            let paths = values_paths(&ValuesArgs {
                values: args.values.clone(),
            });
            policies_command::run(args, &paths)
        }
        Command::Secrets(command) => secrets_command::run(command),
        Command::Prometheus(cli::PrometheusCommand::Servicemonitor(args)) => {
            prometheus_command::servicemonitor(args)
        }
        Command::Prometheus(cli::PrometheusCommand::AdapterRules(args)) => {
            prometheus_command::adapter_rules(args)
        }
        Command::Network(cli::NetworkCommand::Rules(args)) => network_command::rules(args),
        Command::Preflight(args) => match preflight_command::run(args)? {
            0 => Ok(()),
            code => std::process::exit(code),
        },
        Command::Completion(args) => {
            let mut command = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut command, "kubectl-smi", &mut out);
            write_stdout(&out)
        }
        Command::Version(args) => {
            let text = match args.output {
                cli::ReportFormat::Text => format!("kubectl-smi {}\n", env!("CARGO_PKG_VERSION")),
                cli::ReportFormat::Json => format!(
                    "{}\n",
                    serde_json::json!({"name": "kubectl-smi", "version": env!("CARGO_PKG_VERSION")})
                ),
            };
            write_stdout(text.as_bytes())
        }
    }
}

/// Values files: those listed in SMI_VALUES (':'-separated), then the -f files.
pub(crate) fn values_paths(args: &ValuesArgs) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::env::var_os("SMI_VALUES")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    paths.extend(args.values.iter().cloned());
    paths
}

fn post_render(args: RenderArgs) -> Result<(), Error> {
    // Validate before reading the manifests: invalid values leave stdout empty.
    let loaded = values::load(&values_paths(&args.values))?;
    let typed = loaded.typed()?;
    let mut overlay_dirs = args.overlays.clone();
    overlay_dirs.extend(
        typed
            .smi
            .overlays
            .directories
            .iter()
            .map(|d| loaded.base_dir().join(d)),
    );
    let options = RenderOptions {
        values: typed,
        values_json: loaded.merged.clone(),
        overlay_dirs,
        strict: args.strict,
        rewrite_all: args.rewrite_all,
        limits: Limits {
            max_bytes: args.max_input_bytes,
            ..Limits::default()
        },
    };
    let rendered = render::render(std::io::stdin().lock(), &options)?;
    report::warnings(&rendered.warnings);
    let format = args
        .explain
        .or(args.explain_file.as_ref().map(|_| ExplainFormat::Text));
    if let Some(format) = format {
        let text = match format {
            ExplainFormat::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&rendered.changes).expect("changes serialize")
            ),
            ExplainFormat::Text => render::explain_text(&rendered.changes),
        };
        match &args.explain_file {
            Some(path) => std::fs::write(path, text).map_err(|e| {
                Error::Usage(format!(
                    "cannot write the --explain-file {}: {e}",
                    path.display()
                ))
            })?,
            None => {
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
    }
    write_stdout(&rendered.output)
}

pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(Error::Output)
}
