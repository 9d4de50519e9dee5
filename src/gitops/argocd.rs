//! Argo CD: kubectl-smi as a Config Management Plugin (CMP) in a sidecar of the repo server.
//!
//! argocd-cmp-server runs the plugin's `generate` as `command[0] command[1..] args...`, in
//! the application's source directory, with its own environment plus the build variables
//! (`ARGOCD_APP_NAME`, `ARGOCD_APP_NAMESPACE`, `KUBE_VERSION`, `KUBE_API_VERSIONS`, ...) and
//! each `spec.source.plugin.env` entry as `ARGOCD_ENV_<name>` (argo-cd
//! cmpserver/plugin/plugin.go, reposerver/repository/repository.go). It reads the manifests
//! from stdout and shows stderr in the UI. A generate that succeeds with no object makes Argo
//! CD prune the application, so ours fails closed: any failed step exits non-zero with
//! nothing on stdout, and an empty render is refused.

use serde_json::{Value, json};

/// The plugin's name, as an Application names it in `spec.source.plugin.name`.
pub const PLUGIN_NAME: &str = "kubectl-smi";

/// The cluster label (on Argo CD's cluster secrets) that names a cluster's environment; the
/// ApplicationSet makes one application per labelled cluster.
pub const ENVIRONMENT_LABEL: &str = "smi.dtplatform.io/environment";

/// The cluster label an [`application_set`] reads the release namespace from, for an
/// environment whose `smi.namespace` is not its name (default: the environment's name).
pub const NAMESPACE_LABEL: &str = "smi.dtplatform.io/namespace";

/// Where the sidecar finds its plugin file (argocd-cmp-server's fixed path).
pub const PLUGIN_CONFIG_PATH: &str = "/home/argocd/cmp-server/config/plugin.yaml";

/// The `generate` script, run by `sh -c` in the application's directory. No pipe (so no
/// `pipefail` is needed, which not every `sh` has): helm's output and the render go to
/// temporary files, and stdout gets the render only once both steps succeeded.
///
/// Environment: `ARGOCD_APP_NAME` (`<namespace>_<name>` for applications outside Argo CD's
/// namespace: the prefix is removed, as a release name cannot hold `_`),
/// `ARGOCD_APP_NAMESPACE` (the release namespace), `KUBE_VERSION` and `KUBE_API_VERSIONS`
/// (passed to helm only when non-empty), `ARGOCD_ENV_SMI_VALUES` (values files relative to
/// the directory, `:`-separated; default `values.yaml`), `ARGOCD_ENV_SMI_RELEASE` (a release
/// name instead of the application's name).
pub const GENERATE_SCRIPT: &str = r#"set -eu
release="${ARGOCD_ENV_SMI_RELEASE:-${ARGOCD_APP_NAME#*_}}"
values="${ARGOCD_ENV_SMI_VALUES:-values.yaml}"
set -f
set --
IFS=:
for file in $values; do
  if [ -n "$file" ]; then set -- "$@" --values "$file"; fi
done
unset IFS
if [ -n "${KUBE_VERSION:-}" ]; then set -- "$@" --kube-version "$KUBE_VERSION"; fi
if [ -n "${KUBE_API_VERSIONS:-}" ]; then set -- "$@" --api-versions "$KUBE_API_VERSIONS"; fi
manifests="$(mktemp)"
rendered="$(mktemp)"
trap 'rm -f "$manifests" "$rendered"' EXIT
helm template "$release" . --namespace "$ARGOCD_APP_NAMESPACE" "$@" > "$manifests"
SMI_VALUES="$values" kubectl-smi render --post-render-strategy combined --release-namespace "$ARGOCD_APP_NAMESPACE" < "$manifests" > "$rendered"
if ! grep -q '^kind:' "$rendered"; then
  echo "kubectl-smi: the render holds no object; refusing to hand Argo CD an empty application (it would prune every resource)" >&2
  exit 1
fi
cat "$rendered"
"#;

/// The `discover` command: prints the values files that hold an `smi:` section when the
/// directory is a chart (Argo CD takes any output as a match); always exits 0, as a failing
/// discovery is an error in Argo CD's log rather than "no match".
pub const DISCOVER_SCRIPT: &str =
    r#"if [ -f Chart.yaml ]; then grep -l '^smi:' -- *.yaml 2>/dev/null || true; fi"#;

/// What the examples are built from: where the platform's chart directory is in Git and
/// where it installs.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The Git repository Argo CD reads (`spec.source.repoURL`).
    pub repo_url: String,
    /// The revision (`spec.source.targetRevision`), e.g. `main`.
    pub revision: String,
    /// The chart directory in the repository (`spec.source.path`).
    pub path: String,
    /// The namespace Argo CD runs in (where Applications live).
    pub argocd_namespace: String,
    /// The Argo CD project.
    pub project: String,
    /// The release namespace: `smi.namespace` of the values.
    pub namespace: String,
    /// The environment: `smi.environment` of the values.
    pub environment: String,
    /// The values files of the single Application, relative to the chart directory.
    pub values_files: Vec<String>,
}

/// The `ConfigManagementPlugin` (`argoproj.io/v1alpha1`) the sidecar reads at
/// [`PLUGIN_CONFIG_PATH`].
pub fn plugin() -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": PLUGIN_NAME},
        "spec": plugin_spec(),
    })
}

/// The plugin's `spec`: `generate` and `discover`. It reads `plugin.env` (`ARGOCD_ENV_*`),
/// not `plugin.parameters` (which Argo CD passes as `PARAM_*`).
fn plugin_spec() -> Value {
    json!({
        "generate": {"command": ["sh", "-c"], "args": [GENERATE_SCRIPT]},
        "discover": {"find": {"command": ["sh", "-c", DISCOVER_SCRIPT]}},
    })
}

/// The argo-cd Helm chart's values that add the sidecar to the repo server: the plugin in
/// the chart's `argocd-cmp-cm` ConfigMap (`configs.cmp`), the sidecar running
/// argocd-cmp-server from `image` (`repoServer.extraContainers`), and its volumes. The
/// image brings `sh`, `mktemp`, `grep`, `helm` and `kubectl-smi`: Argo CD 3.5 ships Helm
/// 4.2, earlier 3.x Helm 3, and the sidecar does not use the repo server's.
pub fn chart_values(image: &str) -> Value {
    json!({
        "configs": {"cmp": {"create": true, "plugins": {PLUGIN_NAME: plugin_spec()}}},
        "repoServer": {
            "extraContainers": [{
                "name": PLUGIN_NAME,
                "image": image,
                "command": ["/var/run/argocd/argocd-cmp-server"],
                "securityContext": {"runAsNonRoot": true, "runAsUser": 999},
                "env": [
                    {"name": "HELM_CACHE_HOME", "value": "/tmp/helm/cache"},
                    {"name": "HELM_CONFIG_HOME", "value": "/tmp/helm/config"},
                    {"name": "HELM_DATA_HOME", "value": "/tmp/helm/data"},
                ],
                "volumeMounts": [
                    {"mountPath": "/var/run/argocd", "name": "var-files"},
                    {"mountPath": "/home/argocd/cmp-server/plugins", "name": "plugins"},
                    {
                        "mountPath": PLUGIN_CONFIG_PATH,
                        "subPath": format!("{PLUGIN_NAME}.yaml"),
                        "name": "argocd-cmp-cm",
                    },
                    {"mountPath": "/tmp", "name": "kubectl-smi-tmp"},
                ],
            }],
            "volumes": [
                {"name": "argocd-cmp-cm", "configMap": {"name": "argocd-cmp-cm"}},
                {"name": "kubectl-smi-tmp", "emptyDir": {}},
            ],
        },
    })
}

/// The application's sync wave in an app of apps: after the applications (wave 0) that
/// install the CRDs of the objects the render adds (Calico's `crd.projectcalico.org`
/// NetworkPolicy, the Prometheus operator's ServiceMonitor, the ACK EKS controller's
/// PodIdentityAssociation). Within the application Argo CD applies custom resources after
/// every built-in kind of a wave, and `SkipDryRunOnMissingResource=true` lets its dry run
/// pass while those CRDs are not installed yet.
pub const APPLICATION_WAVE: &str = "1";

fn sync_policy() -> Value {
    json!({
        "automated": {"prune": true, "selfHeal": true},
        "syncOptions": ["CreateNamespace=true", "SkipDryRunOnMissingResource=true"],
        "retry": {"limit": 10, "backoff": {"duration": "30s", "factor": 2, "maxDuration": "10m"}},
    })
}

/// An `Application` for one cluster: the chart directory through the plugin, with the
/// values files in `SMI_VALUES`. Its sync wave puts it after the applications (wave 0 of an
/// app of apps) that install the CRDs its added objects need.
pub fn application(setup: &Setup) -> Value {
    let values = setup.values_files.join(":");
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": format!("smi-{}", setup.environment),
            "namespace": setup.argocd_namespace,
            "annotations": {"argocd.argoproj.io/sync-wave": APPLICATION_WAVE},
        },
        "spec": {
            "project": setup.project,
            "source": {
                "repoURL": setup.repo_url,
                "targetRevision": setup.revision,
                "path": setup.path,
                "plugin": {
                    "name": PLUGIN_NAME,
                    "env": [
                        {"name": "SMI_VALUES", "value": values},
                        {"name": "SMI_RELEASE", "value": "dtplatform"},
                    ],
                },
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": setup.namespace},
            "syncPolicy": sync_policy(),
        },
    })
}

/// An `ApplicationSet` with a cluster generator: one application per cluster registered in
/// Argo CD with the [`ENVIRONMENT_LABEL`] label, each with the values files
/// `values.yaml:environments/<environment>.yaml`. Its sync wave (in an app of apps) puts
/// it after the applications that install the CRDs.
pub fn application_set(setup: &Setup) -> Value {
    let environment = format!("{{{{index .metadata.labels \"{ENVIRONMENT_LABEL}\"}}}}");
    // The cluster's namespace label, else the environment's name (kubectl-smi's default
    // namespace): never the namespace of the values this was printed from, which is one
    // environment's. The render refuses a namespace its environment's values do not name.
    let namespace = format!(
        "{{{{index .metadata.labels \"{NAMESPACE_LABEL}\" | default (index .metadata.labels \"{ENVIRONMENT_LABEL}\")}}}}"
    );
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": "smi-fleet",
            "namespace": setup.argocd_namespace,
            "annotations": {"argocd.argoproj.io/sync-wave": APPLICATION_WAVE},
        },
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"clusters": {"selector": {"matchExpressions": [
                {"key": ENVIRONMENT_LABEL, "operator": "Exists"},
            ]}}}],
            "template": {
                "metadata": {"name": format!("smi-{environment}")},
                "spec": {
                    "project": setup.project,
                    "source": {
                        "repoURL": setup.repo_url,
                        "targetRevision": setup.revision,
                        "path": setup.path,
                        "plugin": {
                            "name": PLUGIN_NAME,
                            "env": [
                                {
                                    "name": "SMI_VALUES",
                                    "value": format!("values.yaml:environments/{environment}.yaml"),
                                },
                                {"name": "SMI_RELEASE", "value": "dtplatform"},
                            ],
                        },
                    },
                    "destination": {"server": "{{.server}}", "namespace": namespace},
                    "syncPolicy": sync_policy(),
                },
            },
        },
    })
}
