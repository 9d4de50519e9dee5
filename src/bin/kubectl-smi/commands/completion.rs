//! `kubectl smi completion SHELL`, and completion for `kubectl smi ...`: kubectl (1.26 and
//! later) completes a plugin's words by running `kubectl_complete-<plugin>` from PATH with the
//! words after the plugin's name (the one being completed last), and reads Cobra's answer
//! (one candidate a line, `candidate<TAB>description`, then `:<directive>`).

use clap::{Arg, Args, CommandFactory};

use super::ExitStatus;
use crate::cli::Cli;
use crate::error::Error;
use crate::output;

/// `kubectl-smi completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell (completes `kubectl-smi ...`).
    #[arg(value_enum, required_unless_present_any = ["kubectl_plugin", "kubectl_words"])]
    pub shell: Option<clap_complete::Shell>,
    /// Print `kubectl_complete-smi`, the executable kubectl runs to complete `kubectl smi ...`
    /// in every shell kubectl completes: save it in a directory on PATH and make it executable.
    #[arg(long, conflicts_with_all = ["shell", "kubectl_words"])]
    pub kubectl_plugin: bool,
    /// Answer kubectl's completion request for the words after `--` (what
    /// `kubectl_complete-smi` runs).
    #[arg(long, hide = true, conflicts_with = "shell")]
    pub kubectl_words: bool,
    /// The words after `kubectl smi`, the last one being completed.
    #[arg(last = true, hide = true)]
    pub words: Vec<String>,
}

/// The script kubectl finds on PATH as `kubectl_complete-smi`.
pub const KUBECTL_COMPLETE_SCRIPT: &str = r#"#!/bin/sh
# kubectl_complete-smi: completion of `kubectl smi ...` (kubectl 1.26 and later runs this
# executable from PATH with the words after `kubectl smi`, the one being completed last).
# Written by `kubectl-smi completion --kubectl-plugin`.
exec kubectl-smi completion --kubectl-words -- "$@"
"#;

/// Cobra's directive: complete with the candidates only, no file names.
const NO_FILE_COMPLETION: u32 = 4;
/// Cobra's directive: the shell's default (file names) when there is no candidate.
const DEFAULT: u32 = 0;

/// Prints the completion script, kubectl's plugin completion executable, or the answer to
/// one completion request.
pub fn exec(args: CompletionArgs) -> Result<ExitStatus, Error> {
    if args.kubectl_plugin {
        output::write(KUBECTL_COMPLETE_SCRIPT.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    if args.kubectl_words {
        let (candidates, directive) = complete(&args.words);
        let mut text = String::new();
        for (name, description) in candidates {
            if description.is_empty() {
                text.push_str(&format!("{name}\n"));
            } else {
                text.push_str(&format!("{name}\t{description}\n"));
            }
        }
        text.push_str(&format!(":{directive}\n"));
        output::write(text.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    let Some(shell) = args.shell else {
        return Err(Error::Usage(
            "give a shell (bash, zsh, fish, powershell, elvish) or --kubectl-plugin".into(),
        ));
    };
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "kubectl-smi", &mut out);
    output::write(&out)?;
    Ok(ExitStatus::Success)
}

/// The candidates for the last of `words` (the words after `kubectl smi`), with their
/// descriptions, and Cobra's directive.
pub fn complete(words: &[String]) -> (Vec<(String, String)>, u32) {
    let mut root = Cli::command();
    root.build();
    let (current, before) = match words.split_last() {
        Some((current, before)) => (current.as_str(), before),
        None => ("", &[][..]),
    };
    let mut command = &root;
    let mut value_of: Option<&Arg> = None;
    for word in before {
        if value_of.take().is_some() {
            continue;
        }
        if word.starts_with('-') {
            if let Some(arg) = flag(command, word)
                && arg.get_action().takes_values()
                && !word.contains('=')
            {
                value_of = Some(arg);
            }
            continue;
        }
        if let Some(sub) = command.find_subcommand(word) {
            command = sub;
        }
    }
    if let Some(arg) = value_of {
        let values: Vec<(String, String)> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set() && v.get_name().starts_with(current))
            .map(|v| {
                let help = v.get_help().map(ToString::to_string).unwrap_or_default();
                (v.get_name().to_owned(), first_line(&help))
            })
            .collect();
        // A value without a fixed set (a file, a name): the shell's default.
        let directive = if arg.get_possible_values().is_empty() {
            DEFAULT
        } else {
            NO_FILE_COMPLETION
        };
        return (values, directive);
    }
    if current.starts_with('-') {
        let flags = command
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| {
                let long = format!("--{}", a.get_long()?);
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                long.starts_with(current).then(|| (long, first_line(&help)))
            })
            .collect();
        return (flags, NO_FILE_COMPLETION);
    }
    let subcommands: Vec<(String, String)> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .filter(|s| s.get_name().starts_with(current))
        .map(|s| {
            let about = s.get_about().map(ToString::to_string).unwrap_or_default();
            (s.get_name().to_owned(), first_line(&about))
        })
        .collect();
    if command.has_subcommands() {
        (subcommands, NO_FILE_COMPLETION)
    } else {
        (Vec::new(), DEFAULT)
    }
}

/// The flag `word` names in `command` (`--name`, `--name=value`, `-x`).
fn flag<'a>(command: &'a clap::Command, word: &str) -> Option<&'a Arg> {
    if let Some(long) = word.strip_prefix("--") {
        let name = long.split_once('=').map_or(long, |(name, _)| name);
        return command.get_arguments().find(|a| {
            a.get_long() == Some(name)
                || a.get_all_aliases()
                    .is_some_and(|aliases| aliases.contains(&name))
        });
    }
    let short = word.strip_prefix('-')?.chars().next()?;
    command
        .get_arguments()
        .find(|a| a.get_short() == Some(short))
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
