//! GitOps engines: what Argo CD and Flux need to run kubectl-smi's post-render at fleet
//! scale, on the engines a fleet already runs.
//!
//! - [`argocd`]: Argo CD has no post-renderer (argo-cd#3698); the tool runs as a Config
//!   Management Plugin in a sidecar of the repo server. The module writes the plugin (a
//!   fail-closed `generate`), the argo-cd chart values that add the sidecar, and an
//!   `Application` and `ApplicationSet` as examples.
//! - [`flux`]: Flux's HelmRelease takes kustomize patches only (helm-controller#202). The
//!   module turns the change records of a render ([`crate::render::Change`], exact RFC 6902
//!   operations) into `spec.postRenderers[].kustomize.patches`, the objects the render adds
//!   into documents of their own, and checks that an export still yields the render's
//!   result on a newer stream.

pub mod argocd;
pub mod flux;

use crate::error::Hint;
use crate::render::RenderError;
use crate::stream::StreamError;

/// Why a GitOps export could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum GitopsError {
    /// The render the export is made from failed (values, overlays, the stream).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A manifest stream or an export file could not be read.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// A change record names an object the export cannot target (a `kind: List` item
    /// without its `/items/<i>` prefix, an object without kind or name).
    #[error("{object}: {problem}")]
    Target {
        /// The object, as `Kind/namespace/name`.
        object: String,
        /// What about it cannot be selected by a kustomize target.
        problem: String,
    },
    /// The patches, applied to the input stream, do not give the render's output: the export
    /// would not carry the render's meaning, so none is written.
    #[error("the exported patches do not reproduce the render: {0}")]
    NotReproduced(String),
    /// The file given to --check is not an export of `kubectl smi gitops flux`.
    #[error("{file}: {problem}")]
    Export {
        /// The export file.
        file: String,
        /// What is missing or not understood in it.
        problem: String,
    },
}

impl Hint for GitopsError {
    fn hint(&self) -> Option<&str> {
        match self {
            GitopsError::Render(e) => e.hint(),
            GitopsError::Stream(e) => e.hint(),
            GitopsError::Target { .. } => Some(
                "give the object a kind and a name in the chart, or split the kind: List into documents",
            ),
            GitopsError::NotReproduced(_) => Some(
                "this is a bug of kubectl-smi: report it with the manifests and values (`kubectl smi render --explain=json` shows the changes)",
            ),
            GitopsError::Export { .. } => Some(
                "pass the file `kubectl smi gitops flux` wrote (its HelmRelease document holds the patches)",
            ),
        }
    }
}
