//! Reporting failures so that they reach the operator however kubectl-smi was started.
//!
//! Helm 4 throws a post-renderer plugin's stderr away (not even `--debug` shows it) and
//! only says `plugin "kubectl-smi" exited with error`. When running as a Helm plugin
//! (HELM_PLUGIN_NAME is set), an error also goes to the controlling terminal, if there is
//! one, and every call appends to a log file at a stable path: $SMI_LOG_FILE, else
//! $XDG_STATE_HOME/kubectl-smi/kubectl-smi.log, else ~/.local/state/kubectl-smi/kubectl-smi.log.
//! Each call's entry opens with a header (time, pid, argv, post-render strategy), then its
//! warnings, changes and error; the two calls of Helm's `separate` strategy both stay. Past
//! [`LOG_LIMIT`] bytes the file is moved to `<file>.1` (the one older file kept).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kubectl_smi::error::Hint;

use crate::error::Error;

/// Whether Helm 4 started us as a plugin (it sets HELM_PLUGIN_NAME for plugins only).
pub fn under_helm_plugin() -> bool {
    std::env::var_os("HELM_PLUGIN_NAME").is_some()
}

/// The log file every call appends to when running as a Helm plugin.
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

/// This call's entry in the log: the strategy for its header, and whether the header has
/// been written.
struct Entry {
    strategy: Option<&'static str>,
    started: bool,
}

static ENTRY: Mutex<Entry> = Mutex::new(Entry {
    strategy: None,
    started: false,
});

/// Names the post-render strategy in this call's log header (before anything is logged).
pub fn post_render_strategy(name: &'static str) {
    if let Ok(mut entry) = ENTRY.lock() {
        entry.strategy = Some(name);
    }
}

/// Appends `text()` to this call's entry in the Helm 4 log (nothing outside Helm 4, where
/// the text is not even made).
pub fn log(text: impl FnOnce() -> String) {
    if under_helm_plugin()
        && let Some(path) = log_path()
    {
        write_log(&path, &text());
    }
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
    log(|| text);
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
