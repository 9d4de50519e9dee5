//! `kubectl-smi`: parses the command line, runs the command, renders its error once, and
//! exits with kubectl's codes: 0 success, 1 error or negative result, 2 usage error or a
//! feature not built.

mod cli;
mod commands;
mod error;
mod output;
mod progress;
mod report;

use std::io::IsTerminal;

use clap::{CommandFactory, Parser};

use cli::Cli;
use commands::ExitStatus;
use error::Error;

/// mimalloc instead of the system allocator: rendering allocates and frees a node per YAML
/// value, on two threads for big streams, and glibc's allocator took a quarter of the time
/// there (docs/performance.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Ok(status) => status.code(),
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            report::error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// With no command: post-render when manifests come on stdin (Helm 3 calls it so), help on
/// a terminal.
fn run(cli: Cli) -> Result<ExitStatus, Error> {
    match cli.command {
        Some(command) => command.exec(),
        None if std::io::stdin().is_terminal() => {
            let _ = Cli::command().print_long_help();
            Ok(ExitStatus::Success)
        }
        None => commands::render::post_render(cli.render),
    }
}
