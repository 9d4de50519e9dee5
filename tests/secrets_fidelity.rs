//! `secrets create` against the behaviours of a real API server that the double models
//! (issue 14): a namespace being deleted, a server-side dry run of every secret before the
//! backup and the writes, two runs racing, immutable and typed Secrets, field-manager
//! conflicts (including kubectl-smi's own create, which the API server records as another
//! manager than its applies), admission webhooks and quota, a stale resourceVersion, and a
//! reply lost after its write committed. Each test also checks that no secret value appears
//! in any output.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use fake_apiserver::{FakeApiServer, Fault, SideEffects, Verb, Webhook};
use serde_json::json;

use crate::support::cluster::{Cluster, NAMESPACE, SUPPLIED, assert_no_values, id};
use crate::support::{kubectl_smi, ok_output, text};

type Keys = BTreeMap<(String, String), Vec<u8>>;

/// The supplied credentials of the env file, keyed for `assert_no_values`.
fn supplied() -> Keys {
    SUPPLIED
        .iter()
        .map(|(k, v)| (id("supplied", k), v.as_bytes().to_vec()))
        .collect()
}

/// Everything that must never be printed: what the cluster holds, what every backup file
/// holds, and the supplied credentials.
fn all_values(cluster: &Cluster) -> Keys {
    let mut values = supplied();
    values.extend(cluster.keys());
    for file in cluster.backup_files() {
        values.extend(cluster.read_backup(&file));
    }
    values
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn failed(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{}", text(output));
    stderr(output)
}

#[test]
fn a_terminating_namespace_is_refused_before_anything_is_written() {
    let cluster = Cluster::new();
    cluster
        .api
        .insert(json!({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": NAMESPACE, "deletionTimestamp": "2026-01-01T00:00:00Z"},
                       "status": {"phase": "Terminating"}}))
        .unwrap();
    let output = cluster.create(&[]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("namespace prod is being deleted"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: wait until it is gone"), "{stderr}");
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
    assert!(cluster.backup_files().is_empty());
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_namespace_whose_deletion_begins_during_the_run_is_refused_at_its_write_terminating() {
    let cluster = Cluster::new();
    cluster
        .api
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .unwrap();
    let api = cluster.api.handle();
    cluster.api.inject(
        Fault::on(&[Verb::Patch])
            .resource("namespaces")
            .once()
            .call(move |_| api.delete("namespaces", "", NAMESPACE).unwrap()),
    );
    let output = cluster.create(&[]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("namespace prod is being deleted"),
        "{stderr}"
    );
    assert!(cluster.secret_writes().is_empty(), "{:?}", cluster.writes());
    assert!(cluster.backup_files().is_empty());
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn two_runs_in_a_race_keep_the_keys_of_the_run_that_created_the_secret_first() {
    let cluster = Cluster::new();
    let api = cluster.api.handle();
    let raced = Arc::new(Mutex::new(false));
    let once = raced.clone();
    // Another kubectl-smi run (same field manager, server-side apply) creates smi-session
    // between this run's read and its write, with keys it generated itself.
    cluster.api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .name("smi-session")
            .dry_run(false)
            .once()
            .call(move |_| {
                *once.lock().unwrap() = true;
                api.apply(
                    json!({
                        "apiVersion": "v1", "kind": "Secret",
                        "metadata": {
                            "name": "smi-session", "namespace": NAMESPACE,
                            "labels": {"app.kubernetes.io/managed-by": "kubectl-smi",
                                       "smi.dtplatform.io/environment": "prod"},
                            "annotations": {"smi.dtplatform.io/keys": "{\"CSRF_SECRET\":{\"source\":\"generated\",\"created\":\"2026-01-01T00:00:00Z\"},\"SESSION_SECRET\":{\"source\":\"generated\",\"created\":\"2026-01-01T00:00:00Z\"}}"}
                        },
                        "type": "Opaque",
                        "data": {"SESSION_SECRET": "b3RoZXItcnVucy1zZXNzaW9uLXNlY3JldA==",
                                 "CSRF_SECRET": "b3RoZXItcnVucy1jc3JmLXNlY3JldA=="}
                    }),
                    "kubectl-smi",
                    false,
                )
                .unwrap();
            }),
    );
    let output = cluster.create(&[]);
    ok_output(&output);
    assert!(*raced.lock().unwrap());
    let keys = cluster.keys();
    assert_eq!(
        keys[&id("smi-session", "SESSION_SECRET")],
        b"other-runs-session-secret",
        "the other run's key is kept, never replaced"
    );
    assert_eq!(
        keys[&id("smi-session", "CSRF_SECRET")],
        b"other-runs-csrf-secret"
    );
    let statuses: Vec<u16> = cluster
        .secret_writes()
        .iter()
        .filter(|r| r.object_name() == "smi-session")
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [409],
        "AlreadyExists, then nothing left to change"
    );
    let files = cluster.backup_files();
    let newest = cluster.read_backup(files.last().unwrap());
    assert_eq!(
        newest.get(&id("smi-session", "SESSION_SECRET")),
        keys.get(&id("smi-session", "SESSION_SECRET")),
        "the newest backup holds the keys the cluster kept"
    );
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn rotating_a_key_of_an_immutable_secret_is_refused_by_the_dry_run_before_any_write() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    cluster
        .api
        .edit(
            "secrets",
            NAMESPACE,
            "smi-data-encryption",
            "kubectl-edit",
            |s| {
                s["immutable"] = json!(true);
            },
        )
        .unwrap();
    let before = cluster.keys();
    let backups = cluster.backup_files().len();
    let real_writes = cluster.secret_writes().len();

    let output = cluster.create(&["--rotate", "smi-data-encryption/DATA_ENCRYPTION_KEY"]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("secret prod/smi-data-encryption is immutable (immutable: true), so Kubernetes refuses any change to its data (DATA_ENCRYPTION_KEY); nothing was written but the namespace"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: an immutable Secret can only be replaced: delete it"),
        "{stderr}"
    );
    assert_eq!(cluster.keys(), before, "nothing changed");
    assert_eq!(cluster.backup_files().len(), backups, "no backup written");
    assert_eq!(
        cluster.secret_writes().len(),
        real_writes,
        "no secret written"
    );
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_field_another_manager_owns_is_a_conflict_naming_manager_and_field_until_forced() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    // Someone edits a supplied credential by hand; the operator then rotates it to the value
    // of the env file, over the hand-edited one.
    cluster
        .api
        .edit("secrets", NAMESPACE, "smi-kafka", "kubectl-edit", |s| {
            s["data"]["KAFKA_SASL_PASSWORD"] = json!("aGFuZC1lZGl0ZWQ=");
        })
        .unwrap();
    let real_writes = cluster.secret_writes().len();
    let rotate = ["--rotate", "smi-kafka/KAFKA_SASL_PASSWORD"];
    let output = cluster.create(&rotate);
    let stderr = failed(&output);
    assert!(
        stderr.contains("secret smi-kafka: the API server refused to change .data.KAFKA_SASL_PASSWORD owned by \"kubectl-edit\" using v1"),
        "{stderr}"
    );
    assert!(stderr.contains("--force-conflicts"), "{stderr}");
    assert!(!stderr.contains("kept changing"), "{stderr}");
    assert_eq!(
        cluster.secret_writes().len(),
        real_writes,
        "stopped by the dry run"
    );
    assert_no_values(&output, &all_values(&cluster));

    let output = cluster.create(&[
        "--rotate",
        "smi-kafka/KAFKA_SASL_PASSWORD",
        "--force-conflicts",
    ]);
    ok_output(&output);
    let (_, value) = SUPPLIED
        .iter()
        .find(|(k, _)| *k == "KAFKA_SASL_PASSWORD")
        .unwrap();
    assert_eq!(
        cluster.keys()[&id("smi-kafka", "KAFKA_SASL_PASSWORD")],
        value.as_bytes()
    );
    let mut values = all_values(&cluster);
    values.insert(id("edited", "x"), b"hand-edited".to_vec());
    assert_no_values(&output, &values);
}

#[test]
fn a_rotation_after_the_create_is_no_conflict_with_kubectl_smis_own_create() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let created = cluster
        .api
        .get("secrets", NAMESPACE, "smi-session")
        .unwrap();
    assert_eq!(
        created["metadata"]["managedFields"][0]["operation"], "Update",
        "a create is recorded as an Update, another manager than kubectl-smi's applies"
    );
    let before = cluster.keys();
    let output = cluster.create(&["--rotate", "smi-session/SESSION_SECRET"]);
    ok_output(&output);
    let after = cluster.keys();
    assert_ne!(
        after[&id("smi-session", "SESSION_SECRET")],
        before[&id("smi-session", "SESSION_SECRET")]
    );
    let managed = cluster
        .api
        .get("secrets", NAMESPACE, "smi-session")
        .unwrap()["metadata"]["managedFields"]
        .clone();
    let apply = managed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "kubectl-smi" && e["operation"] == "Apply")
        .expect("kubectl-smi's apply owns what it rotated");
    assert!(
        apply["fieldsV1"]["f:data"]["f:SESSION_SECRET"].is_object(),
        "{managed:#}"
    );
    let forced: Vec<_> = cluster
        .secret_writes()
        .into_iter()
        .filter(|w| w.force)
        .collect();
    assert_eq!(forced.len(), 1, "one forced apply, of its own field only");
    assert!(
        forced[0].body.contains("\"resourceVersion\""),
        "still guarded by the version read"
    );
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_webhook_refusal_stops_the_run_before_any_backup_or_secret_write() {
    let cluster = Cluster::new();
    cluster.api.register_webhook(
        Webhook::validating("secrets.policy.example.com")
            .resource("secrets")
            .refuse(403, "secrets must carry the label team"),
    );
    let output = cluster.create(&[]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("admission webhook \"secrets.policy.example.com\" denied the request: secrets must carry the label team (403)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: an admission webhook of the cluster refused the request"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("your user lacks the permission"),
        "not RBAC: {stderr}"
    );
    assert!(cluster.backup_files().is_empty());
    assert!(cluster.secret_writes().is_empty());
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_webhook_without_dry_run_support_is_named_and_only_skip_precheck_goes_on() {
    let cluster = Cluster::new();
    cluster.api.register_webhook(
        Webhook::validating("audit.example.com")
            .resource("secrets")
            .side_effects(SideEffects::Unknown),
    );
    let output = cluster.create(&[]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("admission webhook \"audit.example.com\" does not support dry run"),
        "{stderr}"
    );
    assert!(stderr.contains("--skip-precheck"), "{stderr}");
    assert!(cluster.backup_files().is_empty());
    assert!(cluster.secret_writes().is_empty());
    assert_no_values(&output, &all_values(&cluster));

    let output = cluster.create(&["--skip-precheck"]);
    ok_output(&output);
    assert!(
        stderr_of(&output).contains("--skip-precheck: the API server did not check the secrets"),
        "{}",
        text(&output)
    );
    assert_eq!(cluster.keys().len(), all_keys_count());
    assert_no_values(&output, &all_values(&cluster));
}

fn stderr_of(output: &std::process::Output) -> String {
    stderr(output)
}

fn all_keys_count() -> usize {
    SUPPLIED.len() + 7
}

#[test]
fn a_quota_refusal_part_way_leaves_a_state_the_next_run_finishes_from_the_backup() {
    let cluster = Cluster::new();
    cluster
        .api
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .unwrap();
    cluster
        .api
        .insert(json!({"apiVersion": "v1", "kind": "ResourceQuota",
                       "metadata": {"name": "small", "namespace": NAMESPACE},
                       "spec": {"hard": {"count/secrets": "8"}}}))
        .unwrap();
    let output = cluster.create(&[]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("is forbidden: exceeded quota: small, requested: count/secrets=1, used: count/secrets=8, limited: count/secrets=8"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: a ResourceQuota of the namespace is used up"),
        "{stderr}"
    );
    assert_eq!(cluster.api.list("secrets", NAMESPACE).len(), 8, "cut short");
    let files = cluster.backup_files();
    assert_eq!(files.len(), 1);
    let backup = cluster.read_backup(&files[0]);
    assert_eq!(
        backup.len(),
        7,
        "every generated key was backed up before the writes"
    );
    assert_no_values(&output, &all_values(&cluster));

    cluster
        .api
        .edit("resourcequotas", NAMESPACE, "small", "kubectl-edit", |q| {
            q["spec"]["hard"]["count/secrets"] = json!("20");
        })
        .unwrap();
    let output = cluster.create(&[]);
    ok_output(&output);
    let keys = cluster.keys();
    assert_eq!(keys.len(), all_keys_count());
    for (id, value) in &backup {
        assert_eq!(
            keys.get(id),
            Some(value),
            "{id:?}: from the backup, not generated anew"
        );
    }
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_stale_resource_version_of_a_secret_deleted_before_the_write_recreates_it_from_the_plan_read() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    let api = cluster.api.handle();
    // The secret goes between this run's read (and dry run) and its write.
    cluster.api.inject(
        Fault::on(&[Verb::Patch])
            .resource("secrets")
            .name("smi-session")
            .dry_run(false)
            .once()
            .call(move |_| api.delete("secrets", NAMESPACE, "smi-session").unwrap()),
    );
    let output = cluster.create(&["--rotate", "smi-session/SESSION_SECRET"]);
    ok_output(&output);
    let after = cluster.keys();
    assert_eq!(
        after[&id("smi-session", "CSRF_SECRET")],
        before[&id("smi-session", "CSRF_SECRET")],
        "kept from the read, never generated anew"
    );
    assert_ne!(
        after[&id("smi-session", "SESSION_SECRET")],
        before[&id("smi-session", "SESSION_SECRET")]
    );
    let statuses: Vec<u16> = cluster
        .secret_writes()
        .iter()
        .filter(|r| r.object_name() == "smi-session" && r.verb == Some(Verb::Patch))
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [201],
        "the apply with the stale version created it"
    );
    let files = cluster.backup_files();
    let newest = cluster.read_backup(files.last().unwrap());
    for (secret, key) in [
        ("smi-session", "SESSION_SECRET"),
        ("smi-session", "CSRF_SECRET"),
    ] {
        assert_eq!(newest.get(&id(secret, key)), after.get(&id(secret, key)));
    }
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_reply_lost_after_the_create_committed_converges_on_the_next_run() {
    let cluster = Cluster::new();
    cluster.api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .name("smi-session")
            .dry_run(false)
            .once()
            .lose_reply(),
    );
    let output = cluster.create(&[]);
    failed(&output);
    assert!(
        cluster
            .api
            .get("secrets", NAMESPACE, "smi-session")
            .is_some(),
        "the create committed"
    );
    let first = cluster.keys();
    assert_no_values(&output, &all_values(&cluster));

    let output = cluster.create(&[]);
    ok_output(&output);
    let keys = cluster.keys();
    assert_eq!(keys.len(), all_keys_count());
    for (id, value) in &first {
        assert_eq!(keys.get(id), Some(value), "{id:?} kept");
    }
    let backup = cluster.read_backup(&cluster.backup_files()[0]);
    for (id, value) in &backup {
        assert_eq!(keys.get(id), Some(value), "{id:?} is the backed-up key");
    }
    assert_no_values(&output, &all_values(&cluster));

    let writes = cluster.secret_writes().len();
    let output = cluster.create(&[]);
    ok_output(&output);
    assert_eq!(
        cluster.secret_writes().len(),
        writes,
        "converged: nothing left to write"
    );
}

#[test]
fn a_typed_secret_of_the_catalog_without_its_keys_is_refused_by_validate_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("typed.yaml");
    std::fs::write(
        &values,
        "smi:\n  secrets:\n    catalog:\n      - name: smi-ingress-tls\n        type: kubernetes.io/tls\n        keys:\n          - name: tls.crt\n            source: supplied\n",
    )
    .unwrap();
    let output = kubectl_smi()
        .arg("validate")
        .arg("-f")
        .arg(crate::support::example("values-aws.yaml"))
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let all = text(&output);
    assert!(all.contains("typed.yaml:5:15"), "{all}");
    assert!(
        all.contains(
            "a Secret of type kubernetes.io/tls needs the keys tls.crt and tls.key; tls.key missing"
        ),
        "{all}"
    );
}

#[test]
fn a_typed_secret_without_its_keys_never_reaches_the_cluster() {
    let cluster = Cluster::new();
    let typed = cluster.dir.path().join("typed.yaml");
    std::fs::write(
        &typed,
        "smi:\n  secrets:\n    catalog:\n      - name: smi-ingress-tls\n        type: kubernetes.io/tls\n        keys:\n          - name: tls.crt\n            source: supplied\n",
    )
    .unwrap();
    let output = cluster
        .smi(&[
            "create",
            "--from-env-file",
            cluster.env_file.to_str().unwrap(),
            "-f",
            typed.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let all = text(&output);
    assert!(all.contains("tls.key"), "{all}");
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
    assert_no_values(&output, &all_values(&cluster));
}

#[test]
fn a_terminating_namespace_fails_preflight_as_being_deleted() {
    let api = FakeApiServer::start();
    let cluster = Cluster::with_server(api);
    cluster
        .api
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .unwrap();
    cluster.api.delete("namespaces", "", NAMESPACE).unwrap();
    let mut cmd = kubectl_smi();
    cmd.args([
        "preflight",
        "--skip",
        "dns",
        "--skip",
        "network",
        "-o",
        "json",
        "--kubeconfig",
    ])
    .arg(&cluster.kubeconfig)
    .arg("-f")
    .arg(crate::support::example("values-aws.yaml"));
    let output = cmd.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let check = report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == "cluster/namespace")
        .cloned()
        .unwrap_or_default();
    assert_eq!(check["status"], "fail", "{}", text(&output));
    assert_eq!(check["detail"], "it is being deleted", "{check:#}");
}

#[test]
fn a_user_who_may_patch_but_not_create_secrets_is_stopped_before_any_write() {
    let cluster = Cluster::new();
    // The API server authorizes an apply that would create the object as a create too.
    cluster
        .api
        .inject(Fault::on(&[Verb::Create]).resource("secrets").forbid());
    let output = cluster.create(&[]);
    let stderr = failed(&output);
    assert!(
        stderr.contains("your user may not: create secrets in namespace prod; nothing was changed"),
        "{stderr}"
    );
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
    assert!(cluster.backup_files().is_empty());
    assert_no_values(&output, &all_values(&cluster));
}
