//! `kubectl smi secrets create` against the API-server double, through a kubeconfig file,
//! as an operator runs it: the real binary, the real `kube` client, the REST protocol.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use fake_apiserver::{FakeApiServer, Fault, Verb};

use crate::support::cluster::{self, Cluster, NAMESPACE, SUPPLIED, assert_no_values, id};
use crate::support::{ok_output, text};

/// The generated keys of the default catalog.
const GENERATED: [(&str, &str); 7] = [
    ("smi-data-encryption", "DATA_ENCRYPTION_KEY"),
    ("smi-data-encryption", "FILE_ENCRYPTION_KEY"),
    ("smi-identity-signing", "signing-key.pem"),
    ("smi-identity-signing", "signing-key.pub.pem"),
    ("smi-identity-signing", "signing-cert.pem"),
    ("smi-session", "SESSION_SECRET"),
    ("smi-session", "CSRF_SECRET"),
];

/// Values by (secret, key).
type Keys = BTreeMap<(String, String), Vec<u8>>;

#[test]
fn a_fresh_install_creates_the_namespace_and_every_secret_of_the_catalog() {
    let cluster = Cluster::new();
    let output = cluster.create(&[]);
    ok_output(&output);
    let keys = cluster.keys();
    assert_eq!(
        keys.len(),
        SUPPLIED.len() + GENERATED.len(),
        "{:?}",
        keys.keys()
    );
    for (key, value) in SUPPLIED {
        let found = keys
            .iter()
            .find(|((_, k), _)| k == key)
            .map(|(_, v)| v.clone());
        assert_eq!(found.as_deref(), Some(value.as_bytes()), "{key}");
    }
    let pem =
        String::from_utf8(keys[&id("smi-identity-signing", "signing-key.pem")].clone()).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(
        keys[&id("smi-data-encryption", "DATA_ENCRYPTION_KEY")].len(),
        44,
        "32 bytes in base64"
    );
    assert_no_values(&output, &keys);

    let namespace = cluster.api.get("namespaces", "", NAMESPACE).unwrap();
    assert_eq!(
        namespace["metadata"]["labels"]["smi.dtplatform.io/environment"],
        "prod"
    );
    let secret = cluster
        .api
        .get("secrets", NAMESPACE, "smi-session")
        .unwrap();
    assert_eq!(
        secret["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kubectl-smi"
    );
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(
        secret["metadata"]["managedFields"][0]["manager"],
        "kubectl-smi"
    );
    // A secret planned as absent is created (POST), so that one another run created
    // meanwhile is never overwritten: the API server records a create as an Update.
    assert_eq!(
        secret["metadata"]["managedFields"][0]["operation"],
        "Update"
    );
    let writes = cluster.writes();
    assert_eq!(writes[0].resource, "namespaces", "the namespace first");
    let secrets = cluster.api.list("secrets", NAMESPACE).len();
    let (dry, real): (Vec<_>, Vec<_>) = writes[1..].iter().partition(|w| w.dry_run);
    assert_eq!(
        dry.len(),
        secrets,
        "every secret checked once by a server-side dry run"
    );
    assert_eq!(real.len(), secrets);
    assert!(
        writes[1..=secrets].iter().all(|w| w.dry_run),
        "every dry run before the first real write"
    );
    for write in writes.iter().skip(1) {
        assert_eq!(write.verb, Some(Verb::Create), "{}", write.path);
        assert_eq!(write.field_manager.as_deref(), Some("kubectl-smi"));
        assert!(!write.force, "kubectl-smi never forces ownership");
    }
}

#[test]
fn every_generated_key_is_in_the_backup_exactly_as_in_the_cluster() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let files = cluster.backup_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let backup = cluster.read_backup(&files[0]);
    let keys = cluster.keys();
    for (secret, key) in GENERATED {
        assert_eq!(
            backup.get(&id(secret, key)),
            keys.get(&id(secret, key)),
            "{secret}/{key}"
        );
    }
    assert!(
        backup
            .keys()
            .all(|(s, _)| GENERATED.iter().any(|(g, _)| g == s)),
        "supplied credentials stay out of the backup"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "backup readable by others: {mode:o}");
    }
}

#[test]
fn a_second_run_changes_nothing_and_every_generated_key_stays_byte_identical() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    let version = cluster.api.resource_version();
    let writes = cluster.writes().len();

    let output = cluster.create(&[]);
    let stdout = ok_output(&output);
    assert_eq!(cluster.keys(), before);
    assert_eq!(
        cluster.api.resource_version(),
        version,
        "nothing was stored"
    );
    assert_eq!(
        cluster.writes().len(),
        writes,
        "the second run sent no write"
    );
    assert_eq!(
        cluster.backup_files().len(),
        1,
        "no new backup: nothing new to keep"
    );
    assert!(stdout.contains("namespace/prod unchanged"), "{stdout}");
    assert_eq!(stdout.matches(" unchanged").count(), 11, "{stdout}");
    assert_no_values(&output, &before);
}

#[test]
fn a_secret_with_one_key_deleted_gets_only_that_key_back_from_the_backup() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    cluster.delete_key("smi-data-encryption", "DATA_ENCRYPTION_KEY");
    let writes = cluster.secret_writes().len();

    let output = cluster.create(&[]);
    let stdout = ok_output(&output);
    assert_eq!(
        cluster.keys(),
        before,
        "the very same key is back, nothing else changed"
    );
    let new_writes = &cluster.secret_writes()[writes..];
    assert_eq!(new_writes.len(), 1, "{new_writes:?}");
    assert_eq!(new_writes[0].name, "smi-data-encryption");
    assert!(
        stdout.contains(
            "secret/smi-data-encryption configured (DATA_ENCRYPTION_KEY restored from backup)"
        ),
        "{stdout}"
    );
    assert_no_values(&output, &before);
}

#[test]
fn a_deleted_generated_key_without_a_readable_backup_is_refused_not_regenerated() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    cluster.delete_key("smi-session", "CSRF_SECRET");
    std::fs::remove_file(&cluster.identity).unwrap();
    std::fs::write(
        &cluster.values[1],
        "smi:\n  secrets:\n    backup:\n      file:\n        directory: backups\n        recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]\n",
    )
    .unwrap();
    let writes = cluster.writes().len();

    let output = cluster.create(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("smi-session/CSRF_SECRET was generated"),
        "{stderr}"
    );
    assert!(stderr.contains("--restore-from"), "{stderr}");
    assert_eq!(cluster.writes().len(), writes, "nothing was written");
}

#[test]
fn a_409_conflict_is_retried() {
    let cluster = Cluster::new();
    cluster.api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .name("smi-kafka")
            .dry_run(false)
            .once()
            .conflict(),
    );
    ok_output(&cluster.create(&[]));
    let kafka: Vec<_> = cluster
        .secret_writes()
        .into_iter()
        .filter(|r| r.object_name() == "smi-kafka")
        .collect();
    assert_eq!(
        kafka.iter().map(|r| r.status).collect::<Vec<_>>(),
        [409, 201]
    );
    assert_eq!(cluster.keys().len(), SUPPLIED.len() + GENERATED.len());
}

#[test]
fn a_key_another_client_writes_during_the_run_is_kept_and_the_rest_completes() {
    let cluster = Cluster::new();
    let api = cluster.api.handle();
    let raced = Arc::new(Mutex::new(false));
    let once = raced.clone();
    // Just before kubectl-smi's create of smi-session lands, someone else creates it.
    cluster.api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .name("smi-session")
            .dry_run(false)
            .once()
            .call(move |_| {
                *once.lock().unwrap() = true;
                api.insert(serde_json::json!({
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "smi-session", "namespace": "prod"},
                    "data": {"SESSION_SECRET": "c29tZW9uZS1lbHNlcy1zZXNzaW9uLXNlY3JldA=="}
                }))
                .unwrap();
            }),
    );
    ok_output(&cluster.create(&[]));
    assert!(*raced.lock().unwrap());
    let keys = cluster.keys();
    assert_eq!(
        keys[&id("smi-session", "SESSION_SECRET")],
        b"someone-elses-session-secret",
        "never overwritten"
    );
    let backup = cluster.read_backup(&cluster.backup_files()[0]);
    assert_eq!(
        backup[&id("smi-session", "CSRF_SECRET")],
        keys[&id("smi-session", "CSRF_SECRET")],
        "the backed-up value was applied"
    );
    let statuses: Vec<u16> = cluster
        .secret_writes()
        .iter()
        .filter(|r| r.object_name() == "smi-session")
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [409, 200],
        "409 AlreadyExists, then the re-planned apply of what was read"
    );
}

#[test]
fn an_api_failing_mid_way_loses_nothing_and_a_rerun_completes_with_the_backed_up_keys() {
    let cluster = Cluster::new();
    // The namespace and three secrets are stored, then every write fails.
    cluster.api.inject(
        Fault::writes()
            .after_writes(4)
            .respond(500, "etcdserver: request timed out"),
    );
    let output = cluster.create(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("etcdserver: request timed out"), "{stderr}");
    assert!(
        stderr.contains("applied before the failure: smi-postgresql, smi-mongodb, smi-redis"),
        "{stderr}"
    );
    assert!(stderr.contains("run the same command again"), "{stderr}");
    let first_backup = cluster.read_backup(&cluster.backup_files()[0]);
    assert_eq!(cluster.keys().len(), 5, "three secrets made it");

    cluster.api.clear_faults();
    let output = cluster.create(&[]);
    ok_output(&output);
    let keys = cluster.keys();
    assert_eq!(keys.len(), SUPPLIED.len() + GENERATED.len());
    for (secret, key) in GENERATED {
        assert_eq!(
            keys.get(&id(secret, key)),
            first_backup.get(&id(secret, key)),
            "{secret}/{key} is the key backed up before the failure"
        );
    }
    assert_eq!(
        cluster.backup_files().len(),
        1,
        "the re-run restored, it generated nothing new"
    );
    assert_no_values(&output, &keys);
}

#[test]
fn a_user_without_permission_is_told_which_before_anything_is_written() {
    let cluster = Cluster::new();
    cluster
        .api
        .inject(Fault::writes().resource("secrets").forbid());
    let output = cluster.create(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("your user may not: create secrets in namespace prod, patch secrets in namespace prod; nothing was changed"), "{stderr}");
    assert!(
        stderr.contains("hint: ask a cluster administrator"),
        "{stderr}"
    );
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
    assert!(cluster.backup_files().is_empty());
}

#[test]
fn a_403_on_a_write_gives_the_api_servers_reason_and_what_to_do() {
    let cluster = Cluster::new();
    // Allowed by RBAC (the access review says yes) but refused when written, as an
    // admission policy would.
    cluster.api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .name("smi-neo4j")
            .respond(
                403,
                "secrets \"smi-neo4j\" is forbidden: denied by policy no-secrets-on-fridays",
            ),
    );
    let output = cluster.create(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("check secret prod/smi-neo4j with a server-side dry run (before any backup or secret write; nothing was written but the namespace): secrets \"smi-neo4j\" is forbidden: denied by policy no-secrets-on-fridays (403 Forbidden)"), "{stderr}");
    assert!(
        stderr.contains("hint: your user lacks the permission"),
        "{stderr}"
    );
    assert!(cluster.secret_writes().is_empty(), "stopped by the dry run");
    assert!(cluster.backup_files().is_empty());
    assert_no_values(&output, &cluster.keys());
}

#[test]
fn the_backup_is_readable_before_the_first_key_is_applied_and_restores_a_killed_install() {
    let cluster = Cluster::new();
    let seen_at_first_apply: Arc<Mutex<Option<Keys>>> = Arc::default();
    let seen = seen_at_first_apply.clone();
    let backups = cluster.backups.clone();
    let identity = cluster.identity.clone();
    cluster.api.inject(
        Fault::on(&[Verb::Create])
            .resource("secrets")
            .dry_run(false)
            .once()
            .call(move |_| {
                let files: Vec<_> = std::fs::read_dir(&backups)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                assert_eq!(files.len(), 1);
                *seen.lock().unwrap() = Some(cluster::decrypt_backup(&files[0], &identity));
            }),
    );
    // The API server dies on the ninth secret: smi-data-encryption is in, the rest is not.
    cluster
        .api
        .inject(Fault::writes().resource("secrets").after_writes(9).crash());
    let output = cluster.create(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach the API server"), "{stderr}");

    let backup = seen_at_first_apply
        .lock()
        .unwrap()
        .clone()
        .expect("the backup existed at the first apply");
    let reached = cluster.keys();
    let key = id("smi-data-encryption", "DATA_ENCRYPTION_KEY");
    assert_eq!(
        reached.get(&key),
        backup.get(&key),
        "what reached the dead cluster is in the backup"
    );
    assert!(
        !reached.contains_key(&id("smi-session", "CSRF_SECRET")),
        "the run was cut short"
    );
    let backup_file = cluster.backup_files()[0].clone();

    // A new, empty cluster: restore from the backup file.
    let rebuilt = Cluster::with_server(FakeApiServer::start());
    let output = rebuilt.create(&[
        "--restore-from",
        backup_file.to_str().unwrap(),
        "--identity",
        cluster.identity.to_str().unwrap(),
    ]);
    ok_output(&output);
    let restored = rebuilt.keys();
    for (secret, key) in GENERATED {
        assert_eq!(
            restored.get(&id(secret, key)),
            backup.get(&id(secret, key)),
            "{secret}/{key}"
        );
    }
    assert_eq!(
        restored.get(&key),
        reached.get(&key),
        "byte-identical to the key the dead cluster held"
    );
    let files = rebuilt.backup_files();
    assert_eq!(
        files.len(),
        1,
        "the new cluster's backup target gets the restored keys too"
    );
    assert_eq!(rebuilt.read_backup(&files[0]), backup);
    assert_no_values(&output, &restored);
}

#[test]
fn no_secret_value_reaches_the_log_file_when_run_as_a_helm_plugin() {
    let cluster = Cluster::new();
    cluster
        .api
        .inject(Fault::writes().after_writes(6).respond(500, "boom"));
    let log = cluster.dir.path().join("last-error.log");
    let output = cluster
        .smi(&[
            "create",
            "--from-env-file",
            cluster.env_file.to_str().unwrap(),
        ])
        .env("HELM_PLUGIN_NAME", "kubectl-smi")
        .env("SMI_LOG_FILE", &log)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("boom"), "{logged}");
    let mut values = cluster.keys();
    values.extend(cluster.read_backup(&cluster.backup_files()[0]));
    cluster::assert_no_values_in(&logged, &values);
    assert_no_values(&output, &values);
}

#[test]
fn key_material_made_elsewhere_is_backed_up_when_first_seen() {
    let cluster = Cluster::new();
    cluster
        .api
        .insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}))
        .unwrap();
    // An installation whose session keys were made by hand before kubectl-smi.
    cluster
        .api
        .insert(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "smi-session", "namespace": "prod"},
            "data": {"SESSION_SECRET": "aGFuZC1tYWRlLXNlc3Npb24tc2VjcmV0LTE=", "CSRF_SECRET": "aGFuZC1tYWRlLWNzcmYtc2VjcmV0LTI="}
        }))
        .unwrap();
    ok_output(&cluster.create(&[]));
    let backup = cluster.read_backup(&cluster.backup_files()[0]);
    assert_eq!(
        backup[&id("smi-session", "SESSION_SECRET")],
        b"hand-made-session-secret-1"
    );
    assert_eq!(
        cluster.keys()[&id("smi-session", "SESSION_SECRET")],
        b"hand-made-session-secret-1",
        "adopted, not replaced"
    );
    let labels = &cluster.api.get("namespaces", "", "prod").unwrap()["metadata"]["labels"];
    assert_eq!(
        labels["smi.dtplatform.io/environment"], "prod",
        "adopted for this installation"
    );
    assert!(
        labels.get("app.kubernetes.io/managed-by").is_none(),
        "but still someone else's: {labels}"
    );
    let output = cluster.create(&[]);
    ok_output(&output);
    assert_eq!(cluster.backup_files().len(), 1, "already backed up");
    assert_no_values(&output, &cluster.keys());
}

#[test]
fn a_client_dry_run_reports_missing_permissions_without_failing() {
    let cluster = Cluster::new();
    cluster
        .api
        .inject(Fault::writes().resource("secrets").forbid());
    let output = cluster.create(&["--dry-run=client"]);
    ok_output(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "warning: the real run would fail: your user may not create secrets in namespace prod"
        ),
        "{stderr}"
    );
    assert!(cluster.writes().is_empty());
}
