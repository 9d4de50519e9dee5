//! Progress of long commands (policies --apply, preflight): an indicatif line on stderr
//! when it is a terminal, nothing in pipes and CI logs.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress line, or nothing when stderr is not a terminal.
pub struct ProgressLine(Option<ProgressBar>);

impl ProgressLine {
    /// A spinner with `done/total` and the current step's message, `verb` first
    /// ("checking 3/12 dns/app.example.com").
    pub fn new(verb: &str) -> ProgressLine {
        if !std::io::stderr().is_terminal() {
            return ProgressLine(None);
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let template = format!("{{spinner}} {verb} {{pos}}/{{len}} {{wide_msg}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        ProgressLine(Some(bar))
    }

    /// `count` more steps to do.
    pub fn add(&self, count: u64) {
        if let Some(bar) = &self.0 {
            bar.inc_length(count);
        }
    }

    /// The step now under way (`total` known up front).
    pub fn start(&self, index: u64, total: u64, message: String) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(index);
            bar.set_message(message);
        }
    }

    /// One step done, with the message to show.
    pub fn step_done(&self, message: String) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(message);
        }
    }

    /// Runs `f` (which prints a line) with the progress line hidden, so that it does not
    /// garble the line.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Clears the line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
