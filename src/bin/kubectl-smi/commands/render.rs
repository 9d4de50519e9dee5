//! `kubectl smi render`: the post-renderer. Validates the values, then reads Helm's rendered
//! manifests on stdin and writes them, with the platform's wiring, to stdout.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kubectl_smi::render::{self, PostRenderStrategy, RenderOptions};
use kubectl_smi::stream::Limits;
use kubectl_smi::values;

use super::ExitStatus;
use crate::cli::ValuesArgs;
use crate::error::Error;
use crate::{output, report};

/// `kubectl-smi render` (and no command, as Helm 3 calls it).
#[derive(Debug, Args, Default)]
pub struct RenderArgs {
    #[command(flatten)]
    pub values: ValuesArgs,

    /// Fail when a service account of the guide's table is missing from the manifests
    /// (by default that is a warning: Helm 3, and Helm 4's nohooks strategy, do not
    /// post-render hooks).
    #[arg(long)]
    pub strict: bool,

    /// How the program running Helm 4 hands hooks to the post-renderer (Helm does not say):
    /// `combined` (the helm command line), `separate` (hooks in a call of their own: no call
    /// is checked for missing service accounts) or `nohooks` (hooks never post-rendered).
    #[arg(long, value_name = "STRATEGY", value_enum, default_value_t = StrategyArg::Combined)]
    pub post_render_strategy: StrategyArg,

    /// Report every object added or changed, and why, on stderr.
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "text")]
    pub explain: Option<ExplainFormat>,

    /// Write the --explain report to this file instead of stderr (Helm 4 discards stderr).
    #[arg(long, value_name = "FILE")]
    pub explain_file: Option<PathBuf>,

    /// Directory of overlay files (JSON patches with a target), applied after the built-in
    /// injections (repeatable).
    #[arg(long = "overlays", value_name = "DIR")]
    pub overlays: Vec<PathBuf>,

    /// Re-write every document, not only the changed ones (shows how kubectl-smi writes YAML;
    /// the data does not change).
    #[arg(long)]
    pub rewrite_all: bool,

    /// Largest manifest stream accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_input_bytes: usize,

    /// The namespace the release installs into (`helm -n`, an Argo CD application's
    /// destination): refused unless it is the values' namespace (smi.namespace, else
    /// smi.environment), where kubectl-smi puts what it adds. Helm does not tell a
    /// post-renderer its namespace, so only a caller that knows it can check.
    #[arg(long, value_name = "NAMESPACE")]
    pub release_namespace: Option<String>,
}

/// `--post-render-strategy`: Helm 4.2's post-render strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum StrategyArg {
    /// One call with every document, hooks included.
    #[default]
    Combined,
    /// Two calls: the hooks alone, then the rest.
    Separate,
    /// One call without the hooks.
    Nohooks,
}

impl StrategyArg {
    /// The strategy as the library knows it.
    pub fn strategy(self) -> PostRenderStrategy {
        match self {
            StrategyArg::Combined => PostRenderStrategy::Combined,
            StrategyArg::Separate => PostRenderStrategy::Separate,
            StrategyArg::Nohooks => PostRenderStrategy::NoHooks,
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            StrategyArg::Combined => "combined",
            StrategyArg::Separate => "separate",
            StrategyArg::Nohooks => "nohooks",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
/// `--explain`: text for people, JSON (the changes as RFC 6902 operations) for tools.
pub enum ExplainFormat {
    Text,
    Json,
}

/// `render`: refuses a terminal on stdin (nothing to post-render), then post-renders.
pub fn exec(args: RenderArgs) -> Result<ExitStatus, Error> {
    if std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "no manifests on standard input: pipe them in, e.g. `helm template my-release chart | kubectl smi render -f values.yaml`".into(),
        ));
    }
    post_render(args)
}

/// The post-render: values first (invalid values leave stdout empty), then the stream.
pub fn post_render(args: RenderArgs) -> Result<ExitStatus, Error> {
    report::post_render_run(args.post_render_strategy.name());
    let loaded = values::load(&args.values.paths())?;
    let typed = loaded.typed_for(values::needs::Command::Render)?;
    if let Some(release) = &args.release_namespace
        && release != typed.smi.namespace()
    {
        return Err(Error::ReleaseNamespace {
            release: release.clone(),
            values: typed.smi.namespace().to_owned(),
            setting: typed.smi.namespace_setting(),
        });
    }
    super::check_inline_overlays(&loaded, &typed)?;
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
        strategy: args.post_render_strategy.strategy(),
        rewrite_all: args.rewrite_all,
        limits: Limits {
            max_bytes: args.max_input_bytes,
            ..Limits::default()
        },
    };
    let rendered = render::render(std::io::stdin().lock(), &options)?;
    report::warnings(&rendered.warnings);
    report::log(|| {
        format!(
            "post-rendered: {} objects added or changed, {} bytes out\n{}",
            rendered.changes.len(),
            rendered.output.len(),
            render::explain_text(&rendered.changes)
        )
    });
    let format = args
        .explain
        .or(args.explain_file.as_ref().map(|_| ExplainFormat::Text));
    if let Some(format) = format {
        let text = match format {
            ExplainFormat::Json => output::json(&rendered.changes),
            ExplainFormat::Text => render::explain_text(&rendered.changes),
        };
        match &args.explain_file {
            Some(path) => std::fs::write(path, text).map_err(|source| Error::WriteFile {
                path: path.clone(),
                source,
            })?,
            None => {
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
    }
    output::write(&rendered.output)?;
    // The process ends now: freeing every change record one by one would only cost time
    // (as much as a tenth of a post-render where every object changes).
    std::mem::forget(rendered);
    Ok(ExitStatus::Success)
}
