//! Rotation: only on request, the old value backed up before the new one is applied.

use std::sync::{Arc, Mutex};

use fake_apiserver::{Fault, Verb};

use crate::support::cluster::{self, Cluster, NAMESPACE, assert_no_values, id};
use crate::support::{ok_output, text};

#[test]
fn rotating_a_data_key_backs_up_old_and_new_before_applying_and_touches_nothing_else() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    let key = id("smi-data-encryption", "DATA_ENCRYPTION_KEY");

    let at_apply = Arc::new(Mutex::new(None));
    let seen = at_apply.clone();
    let (backups, identity) = (cluster.backups.clone(), cluster.identity.clone());
    cluster.api.inject(
        Fault::on(&[Verb::Patch])
            .resource("secrets")
            .dry_run(false)
            .once()
            .call(move |_| {
                let mut files: Vec<_> = std::fs::read_dir(&backups)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                *seen.lock().unwrap() =
                    Some(cluster::backup_document(files.last().unwrap(), &identity));
            }),
    );
    let output = cluster.create(&["--rotate", "DATA_ENCRYPTION_KEY"]);
    let stdout = ok_output(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: secret/smi-data-encryption changed (DATA_ENCRYPTION_KEY) while pods may be running: they keep the old values until restarted; restart the workloads running as service accounts datasourcesvc, filesvc,"),
        "the operator is told the pods need a restart: {stderr}"
    );
    assert_eq!(
        stderr.matches("rollout restart").count(),
        1,
        "only the changed secret needs a restart: {stderr}"
    );
    let after = cluster.keys();
    assert_ne!(after[&key], before[&key], "a new key");
    for (id, value) in &before {
        if *id != key {
            assert_eq!(after.get(id), Some(value), "{id:?} unchanged");
        }
    }
    let document = at_apply
        .lock()
        .unwrap()
        .clone()
        .expect("a backup existed when the rotation was applied");
    let text_of = |v: &serde_json::Value| v.as_str().unwrap().as_bytes().to_vec();
    assert_eq!(
        text_of(&document["secrets"]["smi-data-encryption"]["DATA_ENCRYPTION_KEY"]),
        after[&key]
    );
    assert_eq!(
        text_of(&document["previous"]["smi-data-encryption"]["DATA_ENCRYPTION_KEY"]),
        before[&key]
    );
    assert_eq!(
        cluster.backup_files().len(),
        2,
        "the first backup is kept as it was"
    );

    let secret = cluster
        .api
        .get("secrets", NAMESPACE, "smi-data-encryption")
        .unwrap();
    let records: serde_json::Value = serde_json::from_str(
        secret["metadata"]["annotations"]["smi.dtplatform.io/keys"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(
        records["DATA_ENCRYPTION_KEY"]["rotated"].is_string(),
        "{records}"
    );
    assert!(
        records["FILE_ENCRYPTION_KEY"]["rotated"].is_null(),
        "{records}"
    );
    assert!(
        stdout.contains("secret/smi-data-encryption configured (DATA_ENCRYPTION_KEY rotated)"),
        "{stdout}"
    );
    let mut values = before.clone();
    values.extend(after);
    assert_no_values(&output, &values);
}

#[test]
fn rotating_the_signing_key_derives_its_public_key_again() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    let stdout = ok_output(&cluster.create(&["--rotate", "smi-identity-signing/signing-key.pem"]));
    let after = cluster.keys();
    let public = id("smi-identity-signing", "signing-key.pub.pem");
    assert_ne!(after[&public], before[&public]);
    assert!(
        stdout.contains(
            "(signing-key.pem rotated, signing-key.pub.pem derived, signing-cert.pem derived)"
        ),
        "{stdout}"
    );
}

#[test]
fn a_supplied_credential_is_replaced_only_with_rotate_and_its_old_value_is_backed_up() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let new_env = cluster.dir.path().join("new-password.env");
    std::fs::write(&new_env, "POSTGRES_PASSWORD=pg-pass-NEW-Rr5Tt8Uu\n").unwrap();
    let password = id("smi-postgresql", "POSTGRES_PASSWORD");

    let output = cluster.create(&["--from-env-file", new_env.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the same key twice: {}",
        text(&output)
    );

    let output = cluster
        .smi(&["create", "--from-env-file", new_env.to_str().unwrap()])
        .output()
        .unwrap();
    ok_output(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: smi-postgresql/POSTGRES_PASSWORD: the cluster's value differs from the one supplied at"), "{stderr}");
    assert_eq!(
        cluster.keys()[&password],
        b"pg-pass-K9vW2xLm",
        "kept without --rotate"
    );

    let output = cluster
        .smi(&[
            "create",
            "--from-env-file",
            new_env.to_str().unwrap(),
            "--rotate",
            "POSTGRES_PASSWORD",
        ])
        .output()
        .unwrap();
    ok_output(&output);
    assert_eq!(cluster.keys()[&password], b"pg-pass-NEW-Rr5Tt8Uu");
    let document =
        cluster::backup_document(cluster.backup_files().last().unwrap(), &cluster.identity);
    assert_eq!(
        document["previous"]["smi-postgresql"]["POSTGRES_PASSWORD"],
        "pg-pass-K9vW2xLm"
    );
    assert_no_values(&output, &cluster.keys());

    let output = cluster
        .smi(&["create", "--rotate", "POSTGRES_USER"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--rotate smi-postgresql/POSTGRES_USER: a supplied key is rotated to a new value you give"), "{stderr}");
}
