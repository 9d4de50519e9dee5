//! Reporting failures so that they reach the operator however kubectl-smi was started.
//!
//! Helm 4 throws a post-renderer plugin's stderr away and only says `plugin "kubectl-smi"
//! exited with error`. When running as a Helm plugin (HELM_PLUGIN_NAME is set), the message
//! also goes to the controlling terminal, if there is one, and to a log file at a stable
//! path: $SMI_LOG_FILE, else $XDG_STATE_HOME/kubectl-smi/last-error.log, else
//! ~/.local/state/kubectl-smi/last-error.log.

use std::io::Write;
use std::path::PathBuf;

use kubectl_smi::error::Hint;

use crate::error::Error;

/// Whether Helm 4 started us as a plugin (it sets HELM_PLUGIN_NAME for plugins only).
pub fn under_helm_plugin() -> bool {
    std::env::var_os("HELM_PLUGIN_NAME").is_some()
}

/// The log file errors are written to when running as a Helm plugin.
pub fn log_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SMI_LOG_FILE") {
        return Some(PathBuf::from(path));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("kubectl-smi").join("last-error.log"))
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

/// Reports a failure: stderr always; the terminal and the log file under Helm 4.
pub fn failure(message: &str) {
    let _ = std::io::stderr().write_all(message.as_bytes());
    if !under_helm_plugin() {
        return;
    }
    let log = log_path();
    let mut to_terminal = format!("kubectl-smi (Helm post-renderer) failed:\n{message}");
    if let Some(path) = &log {
        to_terminal.push_str(&format!("(also written to {})\n", path.display()));
    }
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = tty.write_all(to_terminal.as_bytes());
    }
    if let Some(path) = log {
        write_log(&path, message);
    }
}

/// Warnings, each as `warning: LINE`: stderr, and the log file under Helm 4 (where stderr
/// is lost). Every command's warnings go through here.
pub fn warnings(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let text: String = lines.iter().map(|l| format!("warning: {l}\n")).collect();
    let _ = std::io::stderr().write_all(text.as_bytes());
    if under_helm_plugin()
        && let Some(path) = log_path()
    {
        write_log(&path, &text);
    }
}

fn write_log(path: &std::path::Path, message: &str) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let args: Vec<String> = std::env::args().collect();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let entry = format!(
        "# kubectl-smi {} at unix time {stamp}, run as: {}\n{message}",
        env!("CARGO_PKG_VERSION"),
        args.join(" ")
    );
    let _ = std::fs::write(path, entry);
}
