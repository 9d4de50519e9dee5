//! The real kubectl against the double: if kubectl accepts its answers, so will other
//! clients built on client-go's conventions.

mod common;

use common::{kubectl, kubectl_present, tempfile_dir};
use fake_apiserver::{FakeApiServer, Fault, Verb};

// kubectl's typed commands (`create namespace`) speak protobuf, which the double does not;
// manifests (`create -f`, `apply`) go as JSON.
const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n";
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: prod\nstringData:\n  USER: admin\n";

#[test]
fn kubectl_creates_applies_and_reads_through_the_double() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile_dir();
    let api = FakeApiServer::start();
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));

    let (ok, out, err) = kubectl(
        &kubeconfig,
        &["create", "--validate=false", "-f", "-"],
        Some(NAMESPACE),
    );
    assert!(ok, "{out}{err}");
    let (ok, out, err) = kubectl(
        &kubeconfig,
        &["apply", "--server-side", "--validate=false", "-f", "-"],
        Some(SECRET),
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("secret/creds serverside-applied"), "{out}");
    let (ok, out, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "secret",
            "creds",
            "-n",
            "prod",
            "-o",
            "jsonpath={.data.USER}",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert_eq!(out, "YWRtaW4=");
    let (ok, out, err) = kubectl(&kubeconfig, &["api-resources", "--api-group=apps"], None);
    assert!(ok, "{err}");
    assert!(out.contains("daemonsets"), "{out}");
    let applied = api
        .requests()
        .into_iter()
        .find(|r| r.verb == Some(Verb::Patch))
        .unwrap();
    assert_eq!(applied.content_type, "application/apply-patch+yaml");
    assert_eq!(applied.field_manager.as_deref(), Some("kubectl"));
}

#[test]
fn kubectl_shows_the_servers_refusals() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile_dir();
    let api = FakeApiServer::start();
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));

    let (ok, _, err) = kubectl(
        &kubeconfig,
        &["get", "secret", "nope", "-n", "default"],
        None,
    );
    assert!(!ok);
    assert!(err.contains("secrets \"nope\" not found"), "{err}");

    let (ok, _, err) = kubectl(
        &kubeconfig,
        &["apply", "--server-side", "--validate=false", "-f", "-"],
        Some(SECRET),
    );
    assert!(!ok);
    assert!(err.contains("namespaces \"prod\" not found"), "{err}");

    api.inject(Fault::writes().resource("namespaces").forbid());
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &["create", "--validate=false", "-f", "-"],
        Some(NAMESPACE),
    );
    assert!(!ok);
    assert!(
        err.contains(
            "is forbidden: User \"kubernetes-admin\" cannot create resource \"namespaces\""
        ),
        "{err}"
    );

    api.clear_faults();
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &["create", "--validate=false", "-f", "-"],
        Some(&NAMESPACE.replace("prod", "Bad_Name")),
    );
    assert!(!ok);
    assert!(err.contains("is invalid"), "{err}");
}

#[test]
fn what_preflight_reads_is_servable_crds_daemonsets_and_apiservices() {
    if !kubectl_present() {
        return;
    }
    let crd_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/crds/monitoring.coreos.com_servicemonitors.yaml");
    let Ok(crd_text) = std::fs::read_to_string(&crd_path) else {
        eprintln!("SKIPPED: {} is absent", crd_path.display());
        return;
    };
    let dir = tempfile_dir();
    let api = FakeApiServer::start();
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));
    let crd: serde_json::Value = serde_saphyr::from_str(&crd_text).unwrap();
    api.insert(crd).unwrap();
    api.insert(serde_json::json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "calico-node", "namespace": "kube-system"}, "spec": {}
    }))
    .unwrap();
    api.insert(serde_json::json!({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": "v1beta1.external.metrics.k8s.io"},
        "spec": {"group": "external.metrics.k8s.io", "version": "v1beta1"},
        "status": {"conditions": [{"type": "Available", "status": "True"}]}
    }))
    .unwrap();

    let (ok, out, err) = kubectl(&kubeconfig, &["get", "crd", "-o", "name"], None);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "customresourcedefinition.apiextensions.k8s.io/servicemonitors.monitoring.coreos.com\n"
    );
    let (ok, out, err) = kubectl(&kubeconfig, &["get", "servicemonitors", "-A"], None);
    assert!(ok, "the CRD's resource is served: {err}");
    assert!(out.is_empty() || out.contains("No resources"), "{out}");
    let (ok, out, err) = kubectl(
        &kubeconfig,
        &["get", "daemonsets", "-n", "kube-system", "-o", "name"],
        None,
    );
    assert!(ok, "{err}");
    assert_eq!(out, "daemonset.apps/calico-node\n");
    let (ok, out, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "apiservice",
            "v1beta1.external.metrics.k8s.io",
            "-o",
            "jsonpath={.status.conditions[0].status}",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert_eq!(out, "True");
    api.inject(
        Fault::on(&[Verb::List])
            .resource("daemonsets.apps")
            .forbid(),
    );
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &[
            "auth",
            "can-i",
            "list",
            "daemonsets.apps",
            "-n",
            "kube-system",
        ],
        None,
    );
    assert!(!ok, "can-i says no");
    assert!(err.is_empty() || !err.contains("error"), "{err}");
}
