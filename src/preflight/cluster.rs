//! What the API server can tell before the installation: the namespace, the CRDs the
//! post-renderer's objects need, the external metrics API, the EKS Pod Identity Agent, and
//! the secrets of the catalog (names only: secret values are never read).

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::Client;
use kube::api::{Api, ListParams};

use super::check::{Check, Group, Progress};
use super::secret_names::{secret_title, secrets};
use crate::catalog::{EXTERNAL_METRICS_API_SERVICE, SecretSpec};
use crate::values::{AwsIdentity, PolicyEngine, Provider, Smi};

/// The CRD of the Calico NetworkPolicy the post-renderer adds (step 4).
pub const CALICO_NETWORK_POLICY_CRD: &str = "networkpolicies.crd.projectcalico.org";
/// The CRD of the ServiceMonitor the post-renderer adds (step 5).
pub const SERVICE_MONITOR_CRD: &str = "servicemonitors.monitoring.coreos.com";
/// The EKS add-on's DaemonSet, in kube-system.
pub const POD_IDENTITY_AGENT: &str = "eks-pod-identity-agent";

/// Everything the cluster checks need besides the client.
pub struct ClusterPlan<'a> {
    /// The `smi:` values.
    pub smi: &'a Smi,
    /// The namespace the platform goes in.
    pub namespace: &'a str,
    /// The secret catalog (built-in plus values): which Secrets must exist.
    pub secrets: &'a [SecretSpec],
}

/// Runs the cluster checks in order; when the API server cannot be reached, the others
/// are reported as blocked.
pub async fn check_cluster(
    client: &Client,
    plan: &ClusterPlan<'_>,
    progress: &dyn Progress,
) -> Vec<Check> {
    let total = 6 + usize::from(plan.smi.prometheus.service_monitor) + plan.secrets.len();
    progress.add(total);
    let mut checks = Vec::new();
    let record = |check: Check, checks: &mut Vec<Check>| {
        progress.finished(&check);
        checks.push(check);
    };
    let api = api_server(client).await;
    let reachable = api.status == super::check::Status::Pass;
    record(api, &mut checks);
    if !reachable {
        for check in planned(plan) {
            record(
                Check::blocked(
                    check.0,
                    Group::Cluster,
                    check.1,
                    "the API server is unreachable",
                ),
                &mut checks,
            );
        }
        return checks;
    }
    let platform_namespace = namespace(
        client,
        plan.namespace,
        "cluster/namespace",
        "the platform's namespace",
    )
    .await;
    let namespace_exists = platform_namespace.status == super::check::Status::Pass;
    record(platform_namespace, &mut checks);
    record(calico_crd(client, plan.smi).await, &mut checks);
    record(service_monitor_crd(client, plan.smi).await, &mut checks);
    if plan.smi.prometheus.service_monitor {
        let ns = &plan.smi.prometheus.namespace;
        record(
            namespace(
                client,
                ns,
                "cluster/prometheus-namespace",
                "Prometheus' namespace",
            )
            .await,
            &mut checks,
        );
    }
    record(external_metrics(client).await, &mut checks);
    record(pod_identity_agent(client, plan.smi).await, &mut checks);
    for check in secrets(client, plan, namespace_exists).await {
        record(check, &mut checks);
    }
    checks
}

/// The ids and titles of the checks after the API server's that apply to these values,
/// for reporting them blocked.
fn planned(plan: &ClusterPlan<'_>) -> Vec<(String, String)> {
    let smi = plan.smi;
    let mut list = vec![(
        "cluster/namespace".to_owned(),
        format!("namespace {} exists", plan.namespace),
    )];
    if smi.network_policy.engine == PolicyEngine::Calico {
        list.push((
            "cluster/calico-crd".to_owned(),
            format!("CRD {CALICO_NETWORK_POLICY_CRD} is installed"),
        ));
    }
    if smi.prometheus.service_monitor {
        list.push((
            "cluster/servicemonitor-crd".to_owned(),
            format!("CRD {SERVICE_MONITOR_CRD} is installed"),
        ));
        list.push((
            "cluster/prometheus-namespace".to_owned(),
            format!("namespace {} exists", smi.prometheus.namespace),
        ));
    }
    list.push((
        "cluster/external-metrics-api".to_owned(),
        format!("APIService {EXTERNAL_METRICS_API_SERVICE} is available"),
    ));
    if uses_pod_identity(smi) {
        list.push((
            "cluster/pod-identity-agent".to_owned(),
            format!("DaemonSet kube-system/{POD_IDENTITY_AGENT} is ready"),
        ));
    }
    list.extend(plan.secrets.iter().map(|s| {
        (
            format!("cluster/secret/{}", s.name),
            secret_title(plan.namespace, &s.name),
        )
    }));
    list
}

fn uses_pod_identity(smi: &Smi) -> bool {
    smi.cloud.provider == Provider::Aws
        && smi.cloud.aws.as_ref().map(|a| a.identity) == Some(AwsIdentity::PodIdentity)
}

/// What the API server said, for a detail line, and whether it was a 404.
fn describe(error: &kube::Error) -> (String, bool) {
    match error {
        kube::Error::Api(status) => (
            format!("{} ({})", status.message, status.code),
            status.code == 404,
        ),
        other => (crate::error::chain(other), false),
    }
}

fn forbidden_hint(error: &kube::Error, what: &str) -> Option<String> {
    match error {
        kube::Error::Api(status) if status.code == 401 => {
            Some("log in again: the credentials were refused".to_owned())
        }
        kube::Error::Api(status) if status.code == 403 => Some(format!(
            "your user may not {what}; ask a cluster administrator, or run as one with --as"
        )),
        _ => None,
    }
}

async fn api_server(client: &Client) -> Check {
    let (id, title) = ("cluster/api", "the Kubernetes API server answers");
    match client.apiserver_version().await {
        Ok(info) => Check::pass(
            id,
            Group::Cluster,
            title,
            format!("Kubernetes {}", info.git_version),
        ),
        Err(e) => {
            let hint = forbidden_hint(&e, "read the server version")
                .unwrap_or_else(|| "check --context/--kubeconfig and that the cluster endpoint is reachable from here".to_owned());
            Check::fail(id, Group::Cluster, title, describe(&e).0, hint)
        }
    }
}

async fn namespace(client: &Client, name: &str, id: &str, what: &str) -> Check {
    let title = format!("namespace {name} exists ({what})");
    match Api::<Namespace>::all(client.clone()).get_opt(name).await {
        Ok(Some(ns)) => {
            let deleting = ns.metadata.deletion_timestamp.is_some();
            let phase = ns.status.and_then(|s| s.phase).unwrap_or_default();
            if phase == "Terminating" || deleting {
                Check::fail(
                    id,
                    Group::Cluster,
                    title,
                    "it is being deleted",
                    format!("wait for the deletion to finish, then create {name} again"),
                )
            } else {
                Check::pass(id, Group::Cluster, title, "")
            }
        }
        Ok(None) if id == "cluster/namespace" => Check::fail(
            id,
            Group::Cluster,
            title,
            "not found",
            "`kubectl smi secrets create -f values.yaml` creates it with the secrets (step 6)",
        ),
        Ok(None) => Check::fail(
            id,
            Group::Cluster,
            title,
            "not found",
            "install kube-prometheus-stack there, or set smi.prometheus.namespace",
        ),
        Err(e) => fail_with(id, title, &e, "get namespaces"),
    }
}

pub(super) fn fail_with(id: &str, title: String, error: &kube::Error, verb: &str) -> Check {
    let hint = forbidden_hint(error, verb).unwrap_or_else(|| {
        "run the command again; if it persists, check the API server".to_owned()
    });
    Check::fail(id, Group::Cluster, title, describe(error).0, hint)
}

/// A CRD exists and serves `version`.
async fn crd(client: &Client, id: &str, name: &str, version: &str, install: &str) -> Check {
    let title = format!("CRD {name} is installed");
    match Api::<CustomResourceDefinition>::all(client.clone())
        .get_opt(name)
        .await
    {
        Ok(Some(crd)) => {
            let served = crd
                .spec
                .versions
                .iter()
                .any(|v| v.name == version && v.served);
            if served {
                Check::pass(id, Group::Cluster, title, format!("serves {version}"))
            } else {
                let detail = format!("does not serve {version}");
                Check::fail(
                    id,
                    Group::Cluster,
                    title,
                    detail,
                    format!("upgrade it: {install}"),
                )
            }
        }
        Ok(None) => Check::fail(id, Group::Cluster, title, "not found", install.to_owned()),
        Err(e) => fail_with(id, title, &e, "get customresourcedefinitions"),
    }
}

async fn calico_crd(client: &Client, smi: &Smi) -> Check {
    let id = "cluster/calico-crd";
    if smi.network_policy.engine != PolicyEngine::Calico {
        let title = format!("CRD {CALICO_NETWORK_POLICY_CRD} is installed");
        return Check::not_applicable(
            id,
            Group::Cluster,
            title,
            "smi.networkPolicy.engine is not calico",
        );
    }
    let install =
        "install Calico (the tigera-operator), or set smi.networkPolicy.engine: kubernetes";
    crd(client, id, CALICO_NETWORK_POLICY_CRD, "v1", install).await
}

async fn service_monitor_crd(client: &Client, smi: &Smi) -> Check {
    let id = "cluster/servicemonitor-crd";
    if !smi.prometheus.service_monitor {
        let title = format!("CRD {SERVICE_MONITOR_CRD} is installed");
        return Check::not_applicable(
            id,
            Group::Cluster,
            title,
            "smi.prometheus.serviceMonitor is false",
        );
    }
    let install = "install kube-prometheus-stack (it brings the prometheus-operator CRDs)";
    crd(client, id, SERVICE_MONITOR_CRD, "v1", install).await
}

async fn external_metrics(client: &Client) -> Check {
    let id = "cluster/external-metrics-api";
    let title =
        format!("APIService {EXTERNAL_METRICS_API_SERVICE} is available (prometheus-adapter)");
    let install = "install prometheus-adapter with the rule of `kubectl smi prometheus adapter-rules --merge-into values.yaml`";
    match Api::<APIService>::all(client.clone())
        .get_opt(EXTERNAL_METRICS_API_SERVICE)
        .await
    {
        Ok(Some(service)) => {
            let conditions = service
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default();
            let available = conditions.iter().find(|c| c.type_ == "Available");
            match available {
                Some(c) if c.status == "True" => {
                    let backend = service.spec.and_then(|s| s.service).map(|s| {
                        format!(
                            "served by {}/{}",
                            s.namespace.unwrap_or_default(),
                            s.name.unwrap_or_default()
                        )
                    });
                    Check::pass(id, Group::Cluster, title, backend.unwrap_or_default())
                }
                Some(c) => {
                    let detail = format!(
                        "not available: {} {}",
                        c.reason.clone().unwrap_or_default(),
                        c.message.clone().unwrap_or_default()
                    );
                    Check::fail(
                        id,
                        Group::Cluster,
                        title,
                        detail.trim_end().to_owned(),
                        "check the prometheus-adapter pods and their Service (`kubectl get apiservice`)",
                    )
                }
                None => Check::fail(
                    id,
                    Group::Cluster,
                    title,
                    "no Available condition yet",
                    "check the prometheus-adapter pods (`kubectl get apiservice`)",
                ),
            }
        }
        Ok(None) => Check::fail(id, Group::Cluster, title, "not registered", install),
        Err(e) => fail_with(id, title, &e, "get apiservices"),
    }
}

async fn pod_identity_agent(client: &Client, smi: &Smi) -> Check {
    let id = "cluster/pod-identity-agent";
    let title =
        format!("DaemonSet kube-system/{POD_IDENTITY_AGENT} is ready (EKS Pod Identity Agent)");
    if !uses_pod_identity(smi) {
        return Check::not_applicable(
            id,
            Group::Cluster,
            title,
            "the values do not use EKS Pod Identity",
        );
    }
    let install = "install the EKS add-on: `aws eks create-addon --cluster-name <cluster> --addon-name eks-pod-identity-agent`";
    let list = Api::<DaemonSet>::namespaced(client.clone(), "kube-system")
        .list(&ListParams::default())
        .await;
    let daemon_sets = match list {
        Ok(list) => list.items,
        Err(e) => return fail_with(id, title, &e, "list daemonsets in kube-system"),
    };
    let is_agent = |ds: &DaemonSet| {
        ds.metadata.name.as_deref() == Some(POD_IDENTITY_AGENT)
            || ds
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("app.kubernetes.io/name"))
                .map(String::as_str)
                == Some(POD_IDENTITY_AGENT)
    };
    let Some(agent) = daemon_sets.iter().find(|ds| is_agent(ds)) else {
        return Check::fail(id, Group::Cluster, title, "not found", install);
    };
    let status = agent.status.clone().unwrap_or_default();
    let (ready, desired) = (status.number_ready, status.desired_number_scheduled);
    if desired > 0 && ready == desired {
        Check::pass(
            id,
            Group::Cluster,
            title,
            format!("{ready}/{desired} pods ready"),
        )
    } else {
        let detail = format!("{ready}/{desired} pods ready");
        Check::fail(
            id,
            Group::Cluster,
            title,
            detail,
            "check the agent's pods: `kubectl -n kube-system get pods -l app.kubernetes.io/name=eks-pod-identity-agent`",
        )
    }
}
