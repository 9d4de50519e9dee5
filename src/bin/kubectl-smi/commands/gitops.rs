//! `kubectl smi gitops argocd` and `kubectl smi gitops flux`: the post-render on the GitOps
//! engines a fleet runs (docs/gitops.md).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kubectl_smi::gitops::argocd::{self, Setup};
use kubectl_smi::gitops::flux::{self, FluxOptions, KustomizationOptions};
use kubectl_smi::render::{self, PostRenderStrategy, RenderOptions};
use kubectl_smi::stream::{Limits, read_input};
use kubectl_smi::values;

use super::ExitStatus;
use crate::cli::ValuesArgs;
use crate::error::Error;
use crate::output::{self, ObjectFormat};
use crate::report;

/// `kubectl-smi gitops ...`.
#[derive(Debug, Subcommand)]
pub enum GitopsCommand {
    /// Print the Argo CD Config Management Plugin, and an Application and ApplicationSet
    /// that use it (or, with --chart-values, the argo-cd chart values adding the sidecar).
    Argocd(ArgocdArgs),
    /// Read rendered manifests on stdin and print a Flux HelmRelease fragment whose kustomize
    /// post-renderer makes the render's changes, plus the objects the render adds.
    Flux(FluxArgs),
}

/// `kubectl-smi gitops argocd`.
#[derive(Debug, Args)]
pub struct ArgocdArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Print the argo-cd Helm chart values that add the plugin's sidecar to the repo server
    /// (needs --image) instead of the plugin and the examples.
    #[arg(long, requires = "image")]
    pub chart_values: bool,
    /// The sidecar image: it brings argocd-cmp-server's runtime needs (sh, mktemp, grep),
    /// helm and kubectl-smi. No registry is guessed.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// The Git repository holding the chart directory (the examples' repoURL).
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://git.example.com/platform/fleet.git"
    )]
    pub repo_url: String,
    /// The Git revision the examples track.
    #[arg(long, value_name = "REVISION", default_value = "main")]
    pub revision: String,
    /// The chart directory in the repository (with the values files).
    #[arg(long, value_name = "DIR", default_value = "dtplatform")]
    pub path: String,
    /// The namespace Argo CD runs in.
    #[arg(long, value_name = "NAMESPACE", default_value = "argocd")]
    pub argocd_namespace: String,
    /// The Argo CD project of the examples.
    #[arg(long, value_name = "PROJECT", default_value = "default")]
    pub project: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ObjectFormat::Yaml)]
    pub output: ObjectFormat,
}

/// `--post-render-strategy` of `gitops flux`: the strategies that hand hooks to the
/// post-renderers (the patches target hooks too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FluxStrategy {
    /// Hooks and the rest in one stream (Flux's default).
    Combined,
    /// Hooks in a stream of their own.
    Separate,
}

/// `kubectl-smi gitops flux`.
#[derive(Debug, Args)]
pub struct FluxArgs {
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Check that this existing export still yields the render's result on the stream read
    /// from stdin (exit 1 and what differs when it does not), instead of printing an export.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// The HelmRelease's name.
    #[arg(long, value_name = "NAME", default_value = "dtplatform")]
    pub release: String,
    /// The namespace of the HelmRelease and the Kustomization, where Flux's sources are.
    #[arg(long, value_name = "NAMESPACE", default_value = "flux-system")]
    pub flux_namespace: String,
    /// spec.postRenderStrategy of the HelmRelease (Flux 2.9+).
    #[arg(long, value_name = "STRATEGY", value_enum, default_value_t = FluxStrategy::Combined)]
    pub post_render_strategy: FluxStrategy,
    /// The path, in the source, of the added objects the Kustomization applies.
    #[arg(long, value_name = "PATH", default_value = "./dtplatform-added")]
    pub kustomization_path: String,
    /// The Kustomization's source, as KIND/NAME (in the Flux namespace).
    #[arg(
        long,
        value_name = "KIND/NAME",
        default_value = "GitRepository/flux-system"
    )]
    pub source: String,
    /// A Kustomization (in the Flux namespace) that installs CRDs the added objects need
    /// (repeatable).
    #[arg(long, value_name = "NAME")]
    pub depends_on: Vec<String>,
    /// Directory of overlay files, as `render --overlays` (repeatable).
    #[arg(long = "overlays", value_name = "DIR")]
    pub overlays: Vec<PathBuf>,
    /// Largest manifest stream accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_input_bytes: usize,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ObjectFormat::Yaml)]
    pub output: ObjectFormat,
}

/// Runs `gitops argocd` or `gitops flux`.
pub fn exec(command: GitopsCommand) -> Result<ExitStatus, Error> {
    match command {
        GitopsCommand::Argocd(args) => argocd(args),
        GitopsCommand::Flux(args) => flux(args),
    }
}

fn argocd(args: ArgocdArgs) -> Result<ExitStatus, Error> {
    let paths = args.values.paths();
    let values = values::load(&paths)?.typed()?;
    let docs = if args.chart_values {
        // clap requires --image with --chart-values.
        let image = args.image.as_deref().unwrap_or_default();
        vec![argocd::chart_values(image)]
    } else {
        let values_files = app_relative(&paths, &args.path)?;
        let setup = Setup {
            repo_url: args.repo_url,
            revision: args.revision,
            path: args.path,
            argocd_namespace: args.argocd_namespace,
            project: args.project,
            namespace: values.smi.namespace().to_owned(),
            environment: values.smi.environment.clone(),
            values_files,
        };
        vec![
            argocd::plugin(),
            argocd::application(&setup),
            argocd::application_set(&setup),
        ]
    };
    output::write(output::objects(&docs, args.output).as_bytes())?;
    Ok(ExitStatus::Success)
}

/// The values files as the plugin reads them: relative to the chart directory `chart_dir`
/// (a leading `<chart_dir>/` removed, so that `-f dtplatform/values.yaml` works from the
/// repository's root).
fn app_relative(paths: &[PathBuf], chart_dir: &str) -> Result<Vec<String>, Error> {
    paths
        .iter()
        .map(|p| {
            if p.is_absolute() {
                return Err(Error::Usage(format!(
                    "{}: the Application names values files relative to its chart directory; give them as in the repository (e.g. {chart_dir}/values.yaml)",
                    p.display()
                )));
            }
            let relative = p.strip_prefix(chart_dir).unwrap_or(p);
            Ok(relative.to_string_lossy().into_owned())
        })
        .collect()
}

fn flux(args: FluxArgs) -> Result<ExitStatus, Error> {
    if std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "no manifests on standard input: pipe them in, e.g. `helm template dtplatform chart | kubectl smi gitops flux -f values.yaml`".into(),
        ));
    }
    let Some((kind, name)) = args.source.split_once('/') else {
        return Err(Error::Usage(format!(
            "--source {}: expected KIND/NAME, e.g. GitRepository/flux-system",
            args.source
        )));
    };
    let strategy = match args.post_render_strategy {
        FluxStrategy::Combined => PostRenderStrategy::Combined,
        FluxStrategy::Separate => PostRenderStrategy::Separate,
    };
    let loaded = values::load(&args.values.paths())?;
    let typed = loaded.typed_for(values::needs::Command::GitopsFlux)?;
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
    let limits = Limits {
        max_bytes: args.max_input_bytes,
        ..Limits::default()
    };
    let namespace = typed.smi.namespace().to_owned();
    let options = RenderOptions {
        values: typed,
        values_json: loaded.merged.clone(),
        overlay_dirs,
        strict: false,
        strategy,
        rewrite_all: false,
        limits,
    };
    let filters = render::filters(&options)?;
    // The export file is read before stdin, so that a wrong path fails first.
    let existing = match &args.check {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
                path: path.clone(),
                source,
            })?;
            Some(flux::read_export(
                &path.display().to_string(),
                text,
                limits,
            )?)
        }
        None => None,
    };
    let text = read_input(std::io::stdin().lock().by_ref(), &limits)?;
    if let (Some(existing), Some(path)) = (existing, &args.check) {
        let report = flux::check(&existing, &filters, text, limits)?;
        if report.problems.is_empty() {
            output::write(
                format!(
                    "{}: the export still yields the render's result ({} patches)\n",
                    path.display(),
                    report.patches
                )
                .as_bytes(),
            )?;
            return Ok(ExitStatus::Success);
        }
        let mut text = format!(
            "{}: the export no longer yields the render's result:\n",
            path.display()
        );
        for problem in &report.problems {
            text.push_str(&format!("  {problem}\n"));
        }
        output::write(text.as_bytes())?;
        report::negative(
            "the export is out of date",
            Some(
                "write it again with `kubectl smi gitops flux` from the newer stream and commit it",
            ),
        );
        return Ok(ExitStatus::Failure);
    }
    let export = flux::export(&filters, text, limits)?;
    report::warnings(&export.warnings);
    let flux_options = FluxOptions {
        release: args.release,
        flux_namespace: args.flux_namespace,
        target_namespace: namespace,
        strategy,
        kustomization: KustomizationOptions {
            name: "dtplatform-added".into(),
            path: args.kustomization_path,
            source: (kind.to_owned(), name.to_owned()),
            depends_on: args.depends_on,
        },
    };
    let docs = flux::documents(&export, &flux_options);
    output::write(output::objects(&docs, args.output).as_bytes())?;
    Ok(ExitStatus::Success)
}
