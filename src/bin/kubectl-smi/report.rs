//! Reporting warnings and failures so that they reach the operator however kubectl-smi was
//! started.
//!
//! Helm runs a post-renderer with its stderr going into a buffer: Helm 3
//! (`pkg/postrender/exec.go`) shows that buffer only when the post-renderer fails, Helm 4
//! (`internal/plugin/runtime_subprocess.go`, `runPostrenderer`) never shows it, and says only
//! `plugin "kubectl-smi" exited with error`. Neither says on the environment that it is
//! Helm 3 calling; Helm 4 sets HELM_PLUGIN_NAME and HELM_PLUGIN_DIR for its plugins. So:
//!
//! - **The controlling terminal.** The warnings of a post-render (`render`, or no command)
//!   are also written to /dev/tty when stderr is not a terminal (a post-renderer's stderr
//!   is Helm's buffer) and /dev/tty opens (there is a controlling terminal: not in CI), unless
//!   SMI_NO_TTY is set to anything but `` or `0`. Failures go to /dev/tty by the same rule
//!   under Helm 4 only (Helm 3 shows a failure's stderr itself). [`to_terminal`] is that rule.
//! - **The log file.** Every post-render that warns or fails, and every call under Helm 4,
//!   appends one entry to a log file at a stable path: $SMI_LOG_FILE, else
//!   $XDG_STATE_HOME/kubectl-smi/kubectl-smi.log, else
//!   ~/.local/state/kubectl-smi/kubectl-smi.log. Each entry opens with a header (time,
//!   version, pid, post-render strategy, argv), then its warnings, changes and error; the two
//!   calls of Helm's `separate` strategy both stay. Past [`LOG_LIMIT`] bytes the file is
//!   moved to `<file>.1` (the one older file kept).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kubectl_smi::error::Hint;

use crate::error::Error;

/// Whether Helm 4 started us as a plugin (it sets HELM_PLUGIN_NAME for plugins only).
pub fn under_helm_plugin() -> bool {
    std::env::var_os("HELM_PLUGIN_NAME").is_some()
}

/// The log file: post-renders that warn or fail, and every call under Helm 4, append to it.
pub fn log_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SMI_LOG_FILE") {
        return Some(PathBuf::from(path));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("kubectl-smi").join("kubectl-smi.log"))
}

/// Size past which the log file is rotated to `<file>.1` before a call appends to it.
pub const LOG_LIMIT: u64 = 1024 * 1024;

/// This call's entry in the log: whether the call post-renders (and with which strategy,
/// for its header), and whether the header has been written.
struct Entry {
    post_render: bool,
    strategy: Option<&'static str>,
    started: bool,
}

static ENTRY: Mutex<Entry> = Mutex::new(Entry {
    post_render: false,
    strategy: None,
    started: false,
});

/// Marks this call as a post-render and names its strategy for the log header (before
/// anything is reported): its warnings and failure then go to the log and the terminal.
pub fn post_render_run(strategy: &'static str) {
    if let Ok(mut entry) = ENTRY.lock() {
        entry.post_render = true;
        entry.strategy = Some(strategy);
    }
}

/// Whether this call post-renders ([`post_render_run`] was called).
fn post_render() -> bool {
    ENTRY.lock().is_ok_and(|e| e.post_render)
}

/// Whether this call has opened its entry in the log.
fn logging() -> bool {
    ENTRY.lock().is_ok_and(|e| e.started)
}

/// Appends `text()` to this call's entry in the log when the call logs at all: every call
/// under Helm 4, a post-render once it has warned (the text is not even made otherwise).
pub fn log(text: impl FnOnce() -> String) {
    if (under_helm_plugin() || logging())
        && let Some(path) = log_path()
    {
        write_log(&path, &text());
    }
}

/// What is being reported, for [`to_terminal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// A call's warnings.
    Warnings,
    /// The error or negative result a call ended with.
    Failure,
}

/// What [`to_terminal`] decides on, read from the process by [`Situation::current`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// The call post-renders (`render`, or no command).
    pub post_render: bool,
    /// Helm 4 started it as a plugin (HELM_PLUGIN_NAME is set).
    pub helm_plugin: bool,
    /// stderr is a terminal: what is written there is seen.
    pub stderr_is_terminal: bool,
    /// /dev/tty opens: the process has a controlling terminal.
    pub terminal_opens: bool,
    /// SMI_NO_TTY is set to something other than `` or `0`.
    pub opted_out: bool,
}

impl Situation {
    /// This process's situation; `terminal_opens` as given (the caller has tried /dev/tty).
    fn current(terminal_opens: bool) -> Situation {
        use std::io::IsTerminal;
        Situation {
            post_render: post_render(),
            helm_plugin: under_helm_plugin(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            terminal_opens,
            opted_out: opted_out(std::env::var_os("SMI_NO_TTY").as_deref()),
        }
    }
}

/// Whether SMI_NO_TTY's value asks for no terminal copy: set, and neither empty nor `0`.
pub fn opted_out(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether `report` is also written to the controlling terminal: only where stderr is not
/// seen (not a terminal) and there is a terminal, unless opted out; warnings of a
/// post-render (Helm 3 shows its stderr only on failure, Helm 4 never), failures under
/// Helm 4 only (Helm 3 shows a failure's stderr).
pub fn to_terminal(report: Report, situation: Situation) -> bool {
    let concerned = match report {
        Report::Warnings => situation.post_render || situation.helm_plugin,
        Report::Failure => situation.helm_plugin,
    };
    concerned && !situation.stderr_is_terminal && situation.terminal_opens && !situation.opted_out
}

/// Writes `text` to the controlling terminal when [`to_terminal`] says so.
fn terminal(report: Report, text: impl FnOnce() -> String) {
    let tty = std::fs::OpenOptions::new().write(true).open("/dev/tty");
    if to_terminal(report, Situation::current(tty.is_ok()))
        && let Ok(mut tty) = tty
    {
        let _ = tty.write_all(text().as_bytes());
    }
}

/// Whether this call's warnings and failure go to the log.
fn logs() -> bool {
    under_helm_plugin() || post_render()
}

/// Reports the error a command ended with: `error: MESSAGE` and, when there is one,
/// `  hint: WHAT TO DO`, through [`failure`].
pub fn error(error: &Error) {
    failure(&message(&error.to_string(), error.hint()));
}

/// Reports a negative result (invalid values, differences found) the command has printed
/// on stdout: its one-line summary, as [`error`] writes an error.
pub fn negative(summary: &str, hint: Option<&str>) {
    failure(&message(summary, hint));
}

fn message(text: &str, hint: Option<&str>) -> String {
    let mut message = format!("error: {text}\n");
    if let Some(hint) = hint {
        message.push_str(&format!("  hint: {hint}\n"));
    }
    message
}

/// Reports a failure: stderr always; the log file for a post-render and under Helm 4; the
/// terminal by [`to_terminal`].
pub fn failure(message: &str) {
    let _ = std::io::stderr().write_all(message.as_bytes());
    if !logs() {
        return;
    }
    let log = log_path();
    terminal(Report::Failure, || {
        let mut text = format!("kubectl-smi (Helm post-renderer) failed:\n{message}");
        if let Some(path) = &log {
            text.push_str(&format!("(also written to {})\n", path.display()));
        }
        text
    });
    if let Some(path) = log {
        write_log(&path, message);
    }
}

/// Warnings, each as `warning: LINE`: stderr; the log file for a post-render and under
/// Helm 4 (where stderr is lost); the terminal by [`to_terminal`], naming the log. Every
/// command's warnings go through here.
pub fn warnings(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let text: String = lines.iter().map(|l| format!("warning: {l}\n")).collect();
    let _ = std::io::stderr().write_all(text.as_bytes());
    if !logs() {
        return;
    }
    let log = log_path();
    terminal(Report::Warnings, || {
        let count = match lines.len() {
            1 => "1 warning".to_owned(),
            n => format!("{n} warnings"),
        };
        let also = log
            .as_ref()
            .map(|p| format!(", also written to {}", p.display()))
            .unwrap_or_default();
        format!("kubectl-smi (Helm post-renderer): {count}{also}:\n{text}")
    });
    if let Some(path) = log {
        write_log(&path, &text);
    }
}

/// Appends to the log, opening this call's entry with its header the first time (and first
/// rotating a file past [`LOG_LIMIT`]). A log that cannot be written is no reason to fail.
fn write_log(path: &Path, message: &str) {
    let Ok(mut entry) = ENTRY.lock() else {
        return;
    };
    let mut text = String::new();
    if !entry.started {
        entry.started = true;
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        rotate(path);
        let args: Vec<String> = std::env::args().collect();
        text.push_str(&format!(
            "# {} kubectl-smi {} pid {} strategy {}: {}\n",
            jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            env!("CARGO_PKG_VERSION"),
            std::process::id(),
            entry.strategy.unwrap_or("-"),
            args.join(" ")
        ));
    }
    text.push_str(message);
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(text.as_bytes());
    }
}

/// Moves a log past [`LOG_LIMIT`] to `<file>.1`, replacing the older one.
fn rotate(path: &Path) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > LOG_LIMIT) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        let _ = std::fs::rename(path, old);
    }
}

#[cfg(test)]
mod tests {
    use super::{Report, Situation, opted_out, to_terminal};
    use std::ffi::OsStr;

    /// A post-render run by Helm 3 from an operator's shell: stderr is Helm's buffer, the
    /// terminal is there.
    const HELM3: Situation = Situation {
        post_render: true,
        helm_plugin: false,
        stderr_is_terminal: false,
        terminal_opens: true,
        opted_out: false,
    };

    #[test]
    fn warnings_of_a_post_render_reach_the_terminal_only_where_stderr_is_not_seen() {
        let helm4 = Situation {
            helm_plugin: true,
            ..HELM3
        };
        assert!(to_terminal(Report::Warnings, HELM3));
        assert!(to_terminal(Report::Warnings, helm4));
        // Run by hand on a terminal: stderr is seen, no copy.
        let by_hand = Situation {
            stderr_is_terminal: true,
            ..HELM3
        };
        assert!(!to_terminal(Report::Warnings, by_hand));
        // CI, cron, a pipeline without a controlling terminal.
        let no_terminal = Situation {
            terminal_opens: false,
            ..HELM3
        };
        assert!(!to_terminal(Report::Warnings, no_terminal));
        // Opted out.
        let opted = Situation {
            opted_out: true,
            ..HELM3
        };
        assert!(!to_terminal(Report::Warnings, opted));
        assert!(!to_terminal(
            Report::Failure,
            Situation {
                opted_out: true,
                ..helm4
            }
        ));
        // Another command whose stderr the operator redirected: their choice.
        let other_command = Situation {
            post_render: false,
            ..HELM3
        };
        assert!(!to_terminal(Report::Warnings, other_command));
    }

    #[test]
    fn a_failure_reaches_the_terminal_under_helm4_only_as_helm3_shows_its_stderr() {
        assert!(!to_terminal(Report::Failure, HELM3));
        let helm4 = Situation {
            helm_plugin: true,
            ..HELM3
        };
        assert!(to_terminal(Report::Failure, helm4));
        assert!(!to_terminal(
            Report::Failure,
            Situation {
                terminal_opens: false,
                ..helm4
            }
        ));
    }

    #[test]
    fn smi_no_tty_opts_out_unless_empty_or_zero() {
        assert!(!opted_out(None));
        assert!(!opted_out(Some(OsStr::new(""))));
        assert!(!opted_out(Some(OsStr::new("0"))));
        assert!(opted_out(Some(OsStr::new("1"))));
        assert!(opted_out(Some(OsStr::new("yes"))));
    }
}
