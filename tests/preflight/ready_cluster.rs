//! A cluster ready for the platform, in the API server double the `secrets` tests use
//! (`crates/fake-apiserver`): the values' namespace and Prometheus', the Calico and
//! ServiceMonitor CRDs (the upstream files from ../shared/data), the external metrics
//! APIService (Available), the EKS Pod Identity Agent DaemonSet (ready), and every secret of
//! the catalog as `secrets create` writes them. Tests then take one thing away through the
//! double, as an operator's cluster would lack it.

use fake_apiserver::{FakeApiServer, Handle};
use k8s_openapi::ByteString;
use kubectl_smi::catalog::{EXTERNAL_METRICS_API_SERVICE, KeySource, SecretSpec, default_secrets};
use kubectl_smi::preflight::{CALICO_NETWORK_POLICY_CRD, POD_IDENTITY_AGENT, SERVICE_MONITOR_CRD};
use kubectl_smi::secrets::manifest::{self, KeyRecord, KeyRecords, SecretApply};
use serde_json::{Value, json};

use crate::support::shared_data;

/// `smi.namespace` and `smi.environment` of the tests' values.
pub const NAMESPACE: &str = "prod";
/// `smi.prometheus.namespace` of the tests' values.
pub const PROMETHEUS_NAMESPACE: &str = "monitoring";
/// Every seeded secret value starts with this, so a leak would be easy to see.
pub const SEEDED_VALUE: &str = "seeded-secret-value-of-";

const SEEDED_AT: &str = "2025-06-01T10:00:00Z";

/// A fresh double (no authentication) holding a ready cluster.
pub fn ready_cluster() -> FakeApiServer {
    let api = FakeApiServer::start();
    seed(&api);
    api
}

/// Stores everything preflight looks for.
pub fn seed(api: &Handle) {
    let insert = |object: Value| {
        let what = format!("{} {}", object["kind"], object["metadata"]["name"]);
        api.insert(object)
            .unwrap_or_else(|e| panic!("seeding {what}: {:#}", e.body));
    };
    insert(serde_json::to_value(manifest::namespace(NAMESPACE, NAMESPACE, true)).unwrap());
    insert(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PROMETHEUS_NAMESPACE,
        "labels": {"kubernetes.io/metadata.name": PROMETHEUS_NAMESPACE}}}),
    );
    insert(crd(
        "crds/crd.projectcalico.org_networkpolicies.yaml",
        CALICO_NETWORK_POLICY_CRD,
        "NetworkPolicy",
    ));
    insert(crd(
        "crds/monitoring.coreos.com_servicemonitors.yaml",
        SERVICE_MONITOR_CRD,
        "ServiceMonitor",
    ));
    insert(external_metrics_api_service());
    insert(daemon_set(
        "aws-node",
        "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1",
    ));
    insert(daemon_set(
        POD_IDENTITY_AGENT,
        "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/eks-pod-identity-agent:v0.1.29",
    ));
    for spec in default_secrets() {
        insert(catalog_secret(&spec));
    }
}

/// The upstream CRD file, or a minimal CRD of the same name serving v1 when ../shared is
/// absent (said on stderr: the test then proves less about real CRDs).
fn crd(file: &str, name: &str, kind: &str) -> Value {
    if let Some(path) = shared_data(file) {
        let text = std::fs::read_to_string(&path).unwrap();
        let crd: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(crd["metadata"]["name"], name, "{}", path.display());
        return crd;
    }
    eprintln!("SKIPPED: the upstream {name} CRD; seeding a minimal CRD serving v1 instead");
    let (plural, group) = name.split_once('.').unwrap();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": kind.to_lowercase()},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    })
}

/// prometheus-adapter's APIService, as its chart registers it, after the aggregator found
/// the adapter answering.
fn external_metrics_api_service() -> Value {
    json!({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": EXTERNAL_METRICS_API_SERVICE,
                     "labels": {"app.kubernetes.io/name": "prometheus-adapter", "app.kubernetes.io/instance": "prometheus-adapter"}},
        "spec": {"group": "external.metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
                 "groupPriorityMinimum": 100, "versionPriority": 100,
                 "service": {"namespace": PROMETHEUS_NAMESPACE, "name": "prometheus-adapter", "port": 443}},
        "status": {"conditions": [{"type": "Available", "status": "True", "lastTransitionTime": SEEDED_AT,
                                   "reason": "Passed", "message": "all checks passed"}]}
    })
}

/// A kube-system DaemonSet as an EKS add-on installs it, with two of two pods ready.
fn daemon_set(name: &str, image: &str) -> Value {
    let labels = json!({"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name});
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system", "generation": 1, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"hostNetwork": true, "priorityClassName": "system-node-critical",
                                  "containers": [{"name": name, "image": image}]}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}
        },
        "status": {"currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberAvailable": 2,
                   "numberMisscheduled": 0, "numberReady": 2, "observedGeneration": 1, "updatedNumberScheduled": 2}
    })
}

/// A secret of the catalog as `secrets create` writes it: labels, key records, every key.
fn catalog_secret(spec: &SecretSpec) -> Value {
    let data = spec
        .keys
        .iter()
        .map(|k| {
            let value = format!("{SEEDED_VALUE}{}", k.name);
            (k.name.clone(), ByteString(value.into_bytes()))
        })
        .collect();
    let records: KeyRecords = spec
        .keys
        .iter()
        .map(|k| {
            let source = match k.source {
                KeySource::Supplied => "supplied",
                KeySource::Generated if k.is_derived() => "derived",
                KeySource::Generated => "generated",
            };
            let record = KeyRecord {
                source: source.to_owned(),
                created: SEEDED_AT.to_owned(),
                rotated: None,
            };
            (k.name.clone(), record)
        })
        .collect();
    let secret = manifest::secret(SecretApply {
        name: &spec.name,
        namespace: NAMESPACE,
        environment: NAMESPACE,
        data,
        records: &records,
        resource_version: None,
        secret_type: Some(&spec.secret_type),
    });
    serde_json::to_value(secret).unwrap()
}

/// The aggregator's verdict when prometheus-adapter does not answer.
pub fn make_external_metrics_unavailable(api: &Handle) {
    api.edit(
        "apiservices.apiregistration.k8s.io",
        "",
        EXTERNAL_METRICS_API_SERVICE,
        "kube-apiserver",
        |service| {
            service["status"] = json!({"conditions": [{
                "type": "Available", "status": "False", "lastTransitionTime": SEEDED_AT,
                "reason": "FailedDiscoveryCheck",
                "message": "failing or missing response from https://10.100.84.17:443/apis/external.metrics.k8s.io/v1beta1: Get \"https://10.100.84.17:443/apis/external.metrics.k8s.io/v1beta1\": dial tcp 10.100.84.17:443: i/o timeout"
            }]});
        },
    )
    .unwrap();
}

pub fn delete_crd(api: &Handle, name: &str) {
    api.delete("customresourcedefinitions.apiextensions.k8s.io", "", name)
        .unwrap();
}

pub fn delete_secret(api: &Handle, name: &str) {
    api.delete("secrets", NAMESPACE, name).unwrap();
}

/// Deletes the namespace and lets the namespace controller finish: it is gone.
pub fn delete_namespace(api: &Handle, name: &str) {
    api.delete("namespaces", "", name).unwrap();
    api.finalize_namespaces();
}

pub fn delete_pod_identity_agent(api: &Handle) {
    api.delete("daemonsets.apps", "kube-system", POD_IDENTITY_AGENT)
        .unwrap();
}
