//! The API server double's answers for a cluster ready for the platform: the real JSON
//! shapes of version, namespaces, CRDs, the external metrics APIService, DaemonSet lists and
//! metadata-only Secret lists, with chosen objects missing.

use serde_json::{Value, json};

use super::fake_apiserver::{FakeApiServer, Request, Response};

/// An API server double where everything the platform needs is installed, except what
/// `missing` names (object names or secret names).
pub fn cluster(missing: &'static [&'static str]) -> FakeApiServer {
    FakeApiServer::start(move |request: &Request| cluster_answer(request, missing))
}

fn crd(name: &str, group: &str, kind: &str, plural: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {"group": group, "names": {"kind": kind, "plural": plural}, "scope": "Namespaced",
                 "versions": [{"name": "v1", "served": true, "storage": true}]}
    })
}

pub fn cluster_answer(request: &Request, missing: &[&str]) -> Response {
    let gone = |name: &str| missing.contains(&name);
    let path = request.path.as_str();
    if let Some(name) = path
        .strip_prefix("/api/v1/namespaces/")
        .filter(|n| !n.contains('/'))
    {
        if gone(name) {
            return Response::not_found("namespaces", name);
        }
        return Response::json(
            200,
            &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "status": {"phase": "Active"}}),
        );
    }
    match path {
        "/version" => Response::json(
            200,
            &json!({
                "major": "1", "minor": "33", "gitVersion": "v1.33.2", "gitCommit": "abc", "gitTreeState": "clean",
                "buildDate": "2025-06-01T00:00:00Z", "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"
            }),
        ),
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/networkpolicies.crd.projectcalico.org"
            if !gone("calico") =>
        {
            Response::json(
                200,
                &crd(
                    "networkpolicies.crd.projectcalico.org",
                    "crd.projectcalico.org",
                    "NetworkPolicy",
                    "networkpolicies",
                ),
            )
        }
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servicemonitors.monitoring.coreos.com"
            if !gone("servicemonitor") =>
        {
            Response::json(
                200,
                &crd(
                    "servicemonitors.monitoring.coreos.com",
                    "monitoring.coreos.com",
                    "ServiceMonitor",
                    "servicemonitors",
                ),
            )
        }
        "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io"
            if !gone("adapter") =>
        {
            let available = if gone("adapter-ready") {
                "False"
            } else {
                "True"
            };
            Response::json(
                200,
                &json!({
                    "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                    "metadata": {"name": "v1beta1.external.metrics.k8s.io"},
                    "spec": {"group": "external.metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100,
                             "service": {"namespace": "monitoring", "name": "prometheus-adapter", "port": 443}},
                    "status": {"conditions": [{"type": "Available", "status": available, "lastTransitionTime": "2025-06-01T00:00:00Z",
                                                "reason": if available == "True" { "Passed" } else { "FailedDiscoveryCheck" }, "message": "all checks passed"}]}
                }),
            )
        }
        "/apis/apps/v1/namespaces/kube-system/daemonsets" => {
            let mut items = vec![
                json!({"metadata": {"name": "aws-node", "namespace": "kube-system"},
                "status": {"currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberMisscheduled": 0, "numberReady": 2}}),
            ];
            if !gone("eks-pod-identity-agent") {
                items.push(json!({"metadata": {"name": "eks-pod-identity-agent", "namespace": "kube-system",
                    "labels": {"app.kubernetes.io/name": "eks-pod-identity-agent"}},
                    "status": {"currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberMisscheduled": 0, "numberReady": 2}}));
            }
            Response::json(
                200,
                &json!({"apiVersion": "apps/v1", "kind": "DaemonSetList", "metadata": {"resourceVersion": "1"}, "items": items}),
            )
        }
        "/api/v1/namespaces/prod/secrets" => {
            // A metadata-only list, as the API server answers `as=PartialObjectMetadataList`.
            let accept = request
                .headers
                .iter()
                .find(|(k, _)| k == "accept")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            assert!(
                accept.contains("PartialObjectMetadataList"),
                "secrets must be listed without their data, Accept was {accept:?}"
            );
            let names = kubectl_smi::catalog::default_secrets()
                .into_iter()
                .map(|s| s.name)
                .filter(|n| !gone(n));
            let items: Vec<Value> = names.map(|name| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": {"name": name, "namespace": "prod"}})).collect();
            Response::json(
                200,
                &json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": {"resourceVersion": "7"}, "items": items}),
            )
        }
        other => Response::not_found("things", other.rsplit('/').next().unwrap_or(other)),
    }
}
