//! The output formats of `kubectl smi policies`. Every one is built whole in memory and is
//! deterministic: the same values give the same bytes.

mod dir;
mod hcl;
mod script;
mod shell;
mod terraform;
mod text;

pub use dir::{MARKER, documents, write_dir};

use super::{Format, Generated};

/// The output for every format but `dir=`, which [`write_dir`] writes.
pub fn render(generated: &Generated, format: &Format) -> String {
    match format {
        Format::Text => text::render(generated),
        Format::Json => json(generated),
        Format::Terraform => terraform::render(generated),
        Format::Script => script::render(generated),
        Format::Dir(_) => String::new(),
    }
}

/// Pretty JSON with a final newline.
pub fn json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
