//! `kubectl smi secrets status`: present or missing, generated or supplied, rotations;
//! never a value.

use crate::support::cluster::{Cluster, NAMESPACE, assert_no_values};
use crate::support::{ok, ok_output};

#[test]
fn before_the_install_every_secret_is_missing() {
    let cluster = Cluster::new();
    let stdout = ok(&mut cluster.smi(&["status"]));
    assert!(
        stdout.starts_with("namespace prod does not exist\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 of 20 keys present, 20 missing"),
        "{stdout}"
    );
    assert!(cluster.writes().is_empty(), "status only reads");
}

#[test]
fn status_shows_a_deleted_key_as_missing_and_rotations_with_their_time() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    ok_output(&cluster.create(&["--rotate", "SESSION_SECRET"]));
    cluster
        .api
        .edit(
            "secrets",
            NAMESPACE,
            "smi-data-encryption",
            "kubectl-edit",
            |s| {
                s["data"]
                    .as_object_mut()
                    .unwrap()
                    .remove("FILE_ENCRYPTION_KEY");
                s["data"]["EXTRA"] = "eA==".into();
            },
        )
        .unwrap();

    let output = cluster.smi(&["status"]).output().unwrap();
    let stdout = ok_output(&output);
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(key))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("FILE_ENCRYPTION_KEY").contains(" missing "),
        "{stdout}"
    );
    assert!(
        line("DATA_ENCRYPTION_KEY").contains(" present "),
        "{stdout}"
    );
    assert!(line("POSTGRES_PASSWORD").contains("supplied"), "{stdout}");
    assert!(line("signing-key.pub.pem").contains("derived"), "{stdout}");
    assert!(
        line("SESSION_SECRET").trim_end().ends_with('Z'),
        "a rotation time: {stdout}"
    );
    assert!(
        line("CSRF_SECRET").trim_end().ends_with("never"),
        "{stdout}"
    );
    assert!(line("EXTRA").contains("not in catalog"), "{stdout}");
    assert!(
        stdout.contains("19 of 20 keys present, 1 missing"),
        "{stdout}"
    );
    assert_no_values(&output, &cluster.keys());

    let output = cluster.smi(&["status", "-o", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let session = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "smi-session")
        .unwrap();
    assert_eq!(session["managedBy"], "kubectl-smi");
    assert_eq!(session["environment"], "prod");
    assert_eq!(session["keys"][0]["name"], "SESSION_SECRET");
    assert_eq!(session["keys"][0]["source"], "generated");
    assert!(session["keys"][0]["lastRotation"].is_string());
    assert_no_values(&output, &cluster.keys());
}

#[test]
fn a_secret_managed_by_external_secrets_is_reported_and_left_alone_by_create() {
    let cluster = Cluster::new();
    cluster.api.insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}})).unwrap();
    cluster
        .api
        .insert(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "smi-smtp", "namespace": "prod", "ownerReferences": [
                {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "smi-smtp", "uid": "1"}
            ]},
            "data": {"SMTP_USERNAME": "dXNlcg=="}
        }))
        .unwrap();
    let output = cluster.create(&[]);
    ok_output(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("secret smi-smtp is managed by External Secrets Operator (ExternalSecret smi-smtp): left alone"), "{stderr}");
    assert!(!cluster.writes().iter().any(|w| w.name == "smi-smtp"));

    let output = cluster.smi(&["status"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("note: smi-smtp is managed by external-secrets (ExternalSecret smi-smtp)"),
        "{stdout}"
    );
}
