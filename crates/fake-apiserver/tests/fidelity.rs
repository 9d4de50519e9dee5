//! The behaviours of the real kube-apiserver that `secrets create` meets on real clusters
//! (issue 14's table), each shown through the real kubectl where kubectl can show it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{kubectl, kubectl_present, tempfile_dir};
use fake_apiserver::{FakeApiServer, Fault, SideEffects, Verb, Webhook};
use serde_json::json;

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n";

fn secret(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: prod\n{extra}data:\n  USER: YWRtaW4=\n"
    )
}

fn server() -> (FakeApiServer, PathBuf) {
    let dir = tempfile_dir();
    let api = FakeApiServer::start();
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));
    api.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}))
        .unwrap();
    (api, kubeconfig)
}

fn create(kubeconfig: &Path, manifest: &str) -> (bool, String, String) {
    kubectl(
        kubeconfig,
        &["create", "--validate=false", "-f", "-"],
        Some(manifest),
    )
}

fn apply(kubeconfig: &Path, manifest: &str, manager: &str) -> (bool, String, String) {
    kubectl(
        kubeconfig,
        &[
            "apply",
            "--server-side",
            "--validate=false",
            "--field-manager",
            manager,
            "-f",
            "-",
        ],
        Some(manifest),
    )
}

#[test]
fn an_apply_carrying_the_version_of_a_deleted_object_creates_it_and_a_stale_one_conflicts() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    let stale = secret("creds", "  resourceVersion: \"5\"\n");
    let (ok, out, err) = apply(&kubeconfig, &stale, "me");
    assert!(ok, "created, the version not compared: {out}{err}");
    assert!(api.get("secrets", "prod", "creds").is_some());
    let (ok, _, err) = apply(&kubeconfig, &stale, "me");
    assert!(!ok);
    assert!(
        err.contains(
            "the object has been modified; please apply your changes to the latest version"
        ),
        "{err}"
    );
    // Any other patch of an object that is gone is 404.
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &[
            "patch",
            "secret",
            "gone",
            "-n",
            "prod",
            "--type=merge",
            "-p",
            "{\"metadata\":{\"resourceVersion\":\"5\"}}",
        ],
        None,
    );
    assert!(!ok);
    assert!(err.contains("secrets \"gone\" not found"), "{err}");
}

#[test]
fn a_deleted_namespace_is_terminating_refuses_new_content_and_goes_when_finalized() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    assert!(create(&kubeconfig, &secret("kept", "")).0);
    let (ok, out, err) = kubectl(
        &kubeconfig,
        &["delete", "namespace", "prod", "--wait=false"],
        None,
    );
    assert!(ok, "{out}{err}");
    let (ok, phase, err) = kubectl(
        &kubeconfig,
        &[
            "get",
            "namespace",
            "prod",
            "-o",
            "jsonpath={.status.phase} {.metadata.deletionTimestamp}",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(phase.starts_with("Terminating 20"), "{phase}");
    assert!(
        api.get("secrets", "prod", "kept").is_some(),
        "content is removed later"
    );

    let (ok, _, err) = create(&kubeconfig, &secret("late", ""));
    assert!(!ok);
    assert!(
        err.contains("secrets \"late\" is forbidden: unable to create new content in namespace prod because it is being terminated"),
        "{err}"
    );
    let (ok, _, err) = apply(&kubeconfig, &secret("late", ""), "me");
    assert!(!ok, "an apply that would create is a create");
    assert!(err.contains("being terminated"), "{err}");
    let (ok, _, err) = apply(&kubeconfig, &secret("kept", ""), "me");
    assert!(ok, "an existing object may still change: {err}");

    assert_eq!(api.finalize_namespaces(), ["prod"]);
    let (ok, _, err) = kubectl(&kubeconfig, &["get", "namespace", "prod"], None);
    assert!(!ok);
    assert!(err.contains("namespaces \"prod\" not found"), "{err}");
    assert!(api.get("secrets", "prod", "kept").is_none());
}

#[test]
fn the_terminating_refusal_carries_the_namespace_terminating_cause() {
    let (api, _) = server();
    api.delete("namespaces", "", "prod").unwrap();
    let response = ureq_post(
        &format!("{}/api/v1/namespaces/prod/secrets", api.url()),
        &secret_json("late"),
    );
    assert_eq!(response.0, 403);
    assert_eq!(
        response.1["details"]["causes"][0]["reason"],
        "NamespaceTerminating"
    );
    assert_eq!(
        response.1["details"]["causes"][0]["field"],
        "metadata.namespace"
    );
}

#[test]
fn a_namespace_status_is_active_on_create_and_kept_on_update() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile_dir();
    let api = FakeApiServer::start();
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));
    let (ok, _, err) = create(
        &kubeconfig,
        &format!("{NAMESPACE}status:\n  phase: Terminating\n"),
    );
    assert!(ok, "{err}");
    assert_eq!(
        api.get("namespaces", "", "prod").unwrap()["status"]["phase"],
        "Active",
        "a client's status is not taken on create"
    );
    api.insert(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "going"},
                      "status": {"phase": "Terminating"}}),
    )
    .unwrap();
    let (ok, _, err) = apply(
        &kubeconfig,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: going\n  labels:\n    a: b\nstatus:\n  phase: Active\n",
        "me",
    );
    assert!(ok, "{err}");
    let going = api.get("namespaces", "", "going").unwrap();
    assert_eq!(going["metadata"]["labels"]["a"], "b");
    assert_eq!(going["status"]["phase"], "Terminating", "kept on update");
}

#[test]
fn typed_secrets_are_refused_without_their_keys() {
    if !kubectl_present() {
        return;
    }
    let (_api, kubeconfig) = server();
    let cases = [
        ("kubernetes.io/tls", "data[tls.key]: Required value"),
        (
            "kubernetes.io/basic-auth",
            "data[%s][username]: Required value",
        ),
        (
            "kubernetes.io/ssh-auth",
            "data[%s][ssh-privatekey]: Required value",
        ),
        (
            "kubernetes.io/dockerconfigjson",
            "data[.dockerconfigjson]: Required value",
        ),
        (
            "kubernetes.io/dockercfg",
            "data[.dockercfg]: Required value",
        ),
        (
            "kubernetes.io/service-account-token",
            "metadata.annotations[kubernetes.io/service-account.name]: Required value",
        ),
    ];
    for (index, (kind, message)) in cases.iter().enumerate() {
        let manifest = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{index}\n  namespace: prod\ntype: {kind}\ndata:\n  tls.crt: YQ==\n"
        );
        let (ok, _, err) = create(&kubeconfig, &manifest);
        assert!(!ok, "{kind}");
        assert!(err.contains(message), "{kind}: {err}");
    }
    let (ok, _, err) = create(
        &kubeconfig,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: docker\n  namespace: prod\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: not json\n",
    );
    assert!(!ok);
    assert!(err.contains("<secret contents redacted>"), "{err}");
    assert!(
        !err.contains("not json"),
        "the value is never echoed: {err}"
    );
}

#[test]
fn a_create_and_an_apply_by_the_same_name_are_two_managers_that_conflict() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &[
            "create",
            "--validate=false",
            "--field-manager",
            "me",
            "-f",
            "-",
        ],
        Some(&secret("creds", "")),
    );
    assert!(ok, "{err}");
    let changed = secret("creds", "").replace("YWRtaW4=", "cm9vdA==");
    let (ok, _, err) = apply(&kubeconfig, &changed, "me");
    assert!(!ok, "me/Update and me/Apply are different managers");
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"me\" using v1: .data.USER"),
        "{err}"
    );
    let (ok, _, err) = apply(&kubeconfig, &secret("creds", ""), "me");
    assert!(ok, "the same value is shared: {err}");
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &[
            "apply",
            "--server-side",
            "--validate=false",
            "--field-manager",
            "me",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&changed),
    );
    assert!(ok, "{err}");
    let managed = api.get("secrets", "prod", "creds").unwrap()["metadata"]["managedFields"].clone();
    let entry = |operation: &str| {
        managed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["manager"] == "me" && e["operation"] == operation)
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        entry("Apply")["fieldsV1"]["f:data"]["f:USER"].is_object(),
        "{managed:#}"
    );
    assert!(
        entry("Update")["fieldsV1"]["f:data"].is_null(),
        "forced away: {managed:#}"
    );
}

#[test]
fn conflicts_with_several_fields_are_listed_by_manager() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    let two = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: prod\ndata:\n  A: YQ==\n  B: Yg==\n";
    assert!(create(&kubeconfig, two).0);
    let (ok, _, err) = apply(
        &kubeconfig,
        &two.replace("YQ==", "eA==").replace("Yg==", "eQ=="),
        "me",
    );
    assert!(!ok);
    assert!(
        err.contains("Apply failed with 2 conflicts: conflicts with \"kubectl-create\" using v1:\n- .data.A\n- .data.B"),
        "{err}"
    );
    assert!(api.get("secrets", "prod", "creds").is_some());
}

#[test]
fn an_apply_that_creates_needs_create_permission() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    assert!(create(&kubeconfig, &secret("existing", "")).0);
    api.inject(Fault::on(&[Verb::Create]).resource("secrets").forbid());
    let (ok, _, err) = apply(&kubeconfig, &secret("new", ""), "me");
    assert!(!ok);
    assert!(err.contains("secrets \"new\" is forbidden"), "{err}");
    assert!(api.get("secrets", "prod", "new").is_none());
    let (ok, _, err) = apply(&kubeconfig, &secret("existing", ""), "kubectl-create");
    assert!(ok, "patching an existing one needs patch only: {err}");
}

#[test]
fn a_pod_in_a_namespace_without_its_default_service_account_yet_is_refused() {
    if !kubectl_present() {
        return;
    }
    let dir = tempfile_dir();
    let api = FakeApiServer::builder()
        .service_account_delay(Duration::from_secs(2))
        .start();
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));
    assert!(create(&kubeconfig, NAMESPACE).0);
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: prod\nspec:\n  containers:\n  - name: c\n    image: busybox\n";
    let (ok, _, err) = create(&kubeconfig, pod);
    assert!(!ok);
    assert!(
        err.contains("pods \"p\" is forbidden: error looking up service account prod/default: serviceaccount \"default\" not found"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(2500));
    let (ok, _, err) = create(&kubeconfig, pod);
    assert!(ok, "the controller made it meanwhile: {err}");
    assert_eq!(
        api.get("pods", "prod", "p").unwrap()["spec"]["serviceAccountName"],
        "default"
    );
}

#[test]
fn a_webhook_refuses_and_one_with_side_effects_refuses_every_dry_run() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    api.register_webhook(
        Webhook::validating("labels.policy.example.com")
            .resource("secrets")
            .decide(|object| {
                if object["metadata"]["labels"]["team"].is_string() {
                    Ok(())
                } else {
                    Err((403, "secrets need the label team".to_owned()))
                }
            }),
    );
    let (ok, _, err) = create(&kubeconfig, &secret("creds", ""));
    assert!(!ok);
    assert!(
        err.contains("admission webhook \"labels.policy.example.com\" denied the request: secrets need the label team"),
        "{err}"
    );
    let labelled = secret("creds", "  labels:\n    team: a\n");
    assert!(create(&kubeconfig, &labelled).0);

    api.register_webhook(
        Webhook::validating("audit.example.com")
            .resource("secrets")
            .side_effects(SideEffects::Unknown),
    );
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &["create", "--validate=false", "--dry-run=server", "-f", "-"],
        Some(&labelled.replace("creds", "other")),
    );
    assert!(!ok);
    assert!(
        err.contains("admission webhook \"audit.example.com\" does not support dry run"),
        "{err}"
    );
    assert!(
        create(&kubeconfig, &labelled.replace("creds", "other")).0,
        "real writes pass"
    );
}

#[test]
fn a_quota_on_secrets_refuses_creates_beyond_it_and_dry_runs_consume_nothing() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    api.insert(json!({"apiVersion": "v1", "kind": "ResourceQuota",
                      "metadata": {"name": "secrets", "namespace": "prod"},
                      "spec": {"hard": {"count/secrets": "2"}}}))
        .unwrap();
    assert!(create(&kubeconfig, &secret("one", "")).0);
    for name in ["two", "three"] {
        let (ok, _, err) = kubectl(
            &kubeconfig,
            &["create", "--validate=false", "--dry-run=server", "-f", "-"],
            Some(&secret(name, "")),
        );
        assert!(ok, "each dry run sees one in use: {err}");
    }
    assert!(create(&kubeconfig, &secret("two", "")).0);
    let (ok, _, err) = create(&kubeconfig, &secret("three", ""));
    assert!(!ok);
    assert!(
        err.contains("secrets \"three\" is forbidden: exceeded quota: secrets, requested: count/secrets=1, used: count/secrets=2, limited: count/secrets=2"),
        "{err}"
    );
    let (ok, _, err) = kubectl(
        &kubeconfig,
        &[
            "patch",
            "secret",
            "one",
            "-n",
            "prod",
            "--type=merge",
            "-p",
            "{\"data\":{\"USER\":\"cm9vdA==\"}}",
        ],
        None,
    );
    assert!(ok, "an update is not counted: {err}");
}

#[test]
fn a_write_whose_reply_is_lost_is_stored() {
    if !kubectl_present() {
        return;
    }
    let (api, kubeconfig) = server();
    api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .once()
            .lose_reply(),
    );
    let (ok, _, _) = create(&kubeconfig, &secret("creds", ""));
    assert!(!ok, "the client saw no answer");
    assert!(
        api.get("secrets", "prod", "creds").is_some(),
        "but the write committed"
    );
    let create_request = api
        .write_requests()
        .into_iter()
        .find(|r| r.verb == Some(Verb::Create))
        .unwrap();
    assert_eq!(create_request.status, 0, "recorded as unanswered");
    let (ok, _, err) = kubectl(&kubeconfig, &["get", "secret", "creds", "-n", "prod"], None);
    assert!(ok, "the server keeps serving: {err}");
}

fn secret_json(name: &str) -> String {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "prod"}})
        .to_string()
}

/// A plain HTTP POST on a fresh connection: (status, JSON body).
fn ureq_post(url: &str, body: &str) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let code = response[9..12].parse().unwrap();
    let json = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    (code, serde_json::from_str(json).unwrap_or_default())
}
