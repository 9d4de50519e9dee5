//! `kubectl smi secrets backup verify`: each configured backup compared with the cluster's
//! secrets key by key (age files against the API server double, AWS Secrets Manager in
//! moto), the bad inputs, and never a value or a digest of one in any output.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use base64::Engine;
use fake_apiserver::{Fault, Verb};
use sha2::Digest;

use crate::support::aws::Moto;
use crate::support::cluster::{Cluster, NAMESPACE, assert_no_values};
use crate::support::{ok, ok_output, text};

const PASSPHRASE: &str = "correct horse battery staple";

type Values = BTreeMap<(String, String), Vec<u8>>;

fn set_backup(cluster: &Cluster, yaml: &str) {
    std::fs::write(
        &cluster.values[1],
        format!("smi:\n  secrets:\n    backup:\n{yaml}"),
    )
    .unwrap();
}

fn verify(cluster: &Cluster, extra: &[&str]) -> Output {
    let mut args = vec!["backup", "verify"];
    args.extend_from_slice(extra);
    cluster.smi(&args).output().expect("kubectl-smi runs")
}

/// Fails when a value, its base64, or its SHA-256 (hex or base64) appears in the output.
fn assert_nothing_of(output: &Output, values: &Values) {
    assert_no_values(output, values);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for ((secret, key), value) in values {
        let digest = sha2::Sha256::digest(value);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        for form in [hex.as_str(), &hex[..16], b64.as_str()] {
            assert!(
                !all.contains(form),
                "a digest of {secret}/{key} appears in the output:\n{all}"
            );
        }
    }
}

/// The STATUS column of the row for SECRET KEY, as printed.
fn status_of(stdout: &str, secret: &str, key: &str) -> Option<String> {
    stdout.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(secret) && words.next() == Some(key))
            .then(|| words.collect::<Vec<_>>().join(" "))
    })
}

#[test]
fn a_backup_just_written_matches_every_generated_key_and_exits_0() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let writes = cluster.writes().len();
    let requests = cluster.api.requests().len();
    let output = verify(&cluster, &[]);
    let stdout = ok_output(&output);
    let backup = cluster.backup_files()[0].display().to_string();
    assert!(
        stdout.starts_with(&format!("backup: {backup}\n")),
        "{stdout}"
    );
    for (secret, key) in [
        ("smi-session", "SESSION_SECRET"),
        ("smi-data-encryption", "DATA_ENCRYPTION_KEY"),
        ("smi-identity-signing", "signing-key.pub.pem"),
    ] {
        assert_eq!(
            status_of(&stdout, secret, key).as_deref(),
            Some("matches"),
            "{stdout}"
        );
    }
    assert_eq!(
        status_of(&stdout, "smi-postgresql", "POSTGRES_PASSWORD"),
        None,
        "supplied credentials are not backed up, so not compared: {stdout}"
    );
    assert!(
        stdout.contains("0 differs, 0 missing from backup, 0 only in backup"),
        "{stdout}"
    );
    assert!(
        stdout.contains("this backup can restore the cluster's generated keys as they are"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not compared: 13 key(s) of the cluster (13 supplied)"),
        "{stdout}"
    );
    assert_eq!(cluster.writes().len(), writes, "verify only reads");
    let reads: Vec<_> = cluster.api.requests()[requests..]
        .iter()
        .filter(|r| r.resource == "secrets")
        .map(|r| (r.verb, r.wants_metadata_only()))
        .collect();
    assert!(!reads.is_empty());
    assert!(
        reads.iter().all(|r| *r == (Some(Verb::Get), false)),
        "the values are read with get: {reads:?}"
    );
    assert_nothing_of(&output, &cluster.keys());

    let output = verify(&cluster, &["-o", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["restores"], true, "{}", text(&output));
    let keys = report["targets"][0]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 7, "{report}");
    assert!(keys.iter().all(|k| k["status"] == "matches"), "{report}");
    assert_eq!(report["notCompared"].as_array().unwrap().len(), 13);
    assert_nothing_of(&output, &cluster.keys());
}

#[test]
fn a_key_changed_in_the_cluster_differs_and_exits_1() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    cluster
        .api
        .edit("secrets", NAMESPACE, "smi-session", "kubectl-edit", |s| {
            s["data"]["SESSION_SECRET"] = base64::engine::general_purpose::STANDARD
                .encode("changed-by-hand-Qz81Lm")
                .into();
        })
        .unwrap();
    let output = verify(&cluster, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        status_of(&stdout, "smi-session", "SESSION_SECRET").as_deref(),
        Some("differs"),
        "{stdout}"
    );
    assert_eq!(
        status_of(&stdout, "smi-session", "CSRF_SECRET").as_deref(),
        Some("matches")
    );
    assert!(
        stdout.contains("this backup could not restore the cluster as it is"),
        "{stdout}"
    );
    let mut values = before;
    values.extend(cluster.keys());
    assert_nothing_of(&output, &values);

    // The remedy the message names: a new backup of the keys as they are.
    let stdout = ok_output(&cluster.create(&[]));
    assert!(stdout.contains("backup written and read back"), "{stdout}");
    let output = verify(&cluster, &[]);
    let stdout = ok_output(&output);
    assert_eq!(
        status_of(&stdout, "smi-session", "SESSION_SECRET").as_deref(),
        Some("matches"),
        "{stdout}"
    );
    assert_nothing_of(&output, &values);
}

#[test]
fn keys_only_in_the_backup_are_reported_and_the_backup_still_restores() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let values = cluster.keys();
    cluster.delete_key("smi-session", "CSRF_SECRET");
    cluster
        .api
        .delete("secrets", NAMESPACE, "smi-data-encryption")
        .unwrap();
    let output = verify(&cluster, &[]);
    let stdout = ok_output(&output);
    for (secret, key) in [
        ("smi-session", "CSRF_SECRET"),
        ("smi-data-encryption", "DATA_ENCRYPTION_KEY"),
        ("smi-data-encryption", "FILE_ENCRYPTION_KEY"),
    ] {
        assert_eq!(
            status_of(&stdout, secret, key).as_deref(),
            Some("only in backup"),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("keys only in the backup are missing from the cluster"),
        "{stdout}"
    );
    assert_nothing_of(&output, &values);
}

#[test]
fn without_a_backup_every_generated_key_is_missing_from_it() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    for file in cluster.backup_files() {
        std::fs::remove_file(file).unwrap();
    }
    let output = verify(&cluster, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "backup: file {}: no backup of namespace prod",
            cluster.backups.display()
        )),
        "{stdout}"
    );
    assert_eq!(
        status_of(&stdout, "smi-session", "SESSION_SECRET").as_deref(),
        Some("missing from backup"),
        "{stdout}"
    );
    assert!(
        stdout.contains("7 key(s): 0 matches, 0 differs, 7 missing from backup"),
        "{stdout}"
    );
    assert_nothing_of(&output, &cluster.keys());
}

#[test]
fn without_a_backup_target_it_stops_before_asking_the_cluster() {
    let cluster = Cluster::new();
    std::fs::write(&cluster.values[1], "smi:\n  secrets: {}\n").unwrap();
    let output = verify(&cluster, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no backup target is configured (smi.secrets.backup in the values)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: configure smi.secrets.backup"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    assert!(
        cluster.api.requests().is_empty(),
        "the cluster was not asked"
    );
}

#[test]
fn a_wrong_or_missing_passphrase_is_an_error_naming_the_file() {
    let cluster = Cluster::new();
    set_backup(&cluster, "      file:\n        directory: backups\n");
    ok(cluster
        .smi(&[
            "create",
            "--from-env-file",
            cluster.env_file.to_str().unwrap(),
        ])
        .env("SMI_BACKUP_PASSPHRASE", PASSPHRASE));
    let backup = cluster.backup_files()[0].display().to_string();

    let output = cluster
        .smi(&["backup", "verify"])
        .env("SMI_BACKUP_PASSPHRASE", "not the passphrase at all")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&backup), "{stderr}");
    assert!(
        stderr.contains("is it the right passphrase or identity?"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no verdict without the backup");

    let output = verify(&cluster, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the backup is encrypted with a passphrase: set SMI_BACKUP_PASSPHRASE"),
        "{stderr}"
    );

    let output = cluster
        .smi(&["backup", "verify"])
        .env("SMI_BACKUP_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    ok_output(&output);
    assert_nothing_of(&output, &cluster.keys());
}

#[test]
fn a_recipient_backup_needs_an_identity_which_identity_gives() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let recipient = std::fs::read_to_string(&cluster.values[1]).unwrap();
    let without_identity: String = recipient
        .lines()
        .filter(|l| !l.contains("identityFile"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cluster.values[1], without_identity).unwrap();
    let output = verify(&cluster, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is encrypted to age recipients and no identity to decrypt it is at hand"),
        "{stderr}"
    );
    assert!(stderr.contains("--identity FILE"), "{stderr}");

    let output = verify(
        &cluster,
        &["--identity", cluster.identity.to_str().unwrap()],
    );
    ok_output(&output);
    assert_nothing_of(&output, &cluster.keys());
}

#[test]
fn a_user_without_get_on_secrets_is_told_what_verify_needs() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    cluster
        .api
        .inject(Fault::on(&[Verb::Get]).resource("secrets").forbid());
    let output = verify(&cluster, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("backup verify compares the values of the secrets, so it needs `get` on secrets in namespace prod"),
        "{stderr}"
    );
    assert!(
        stderr.contains("is forbidden"),
        "the API server's words: {stderr}"
    );
    assert!(
        stderr.contains("kubectl smi preflight` makes is not enough"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    assert_nothing_of(&output, &cluster.keys());
}

#[test]
fn the_help_says_verify_needs_get_on_secrets() {
    let cluster = Cluster::new();
    let stdout = ok(&mut cluster.smi(&["backup", "verify", "--help"]));
    assert!(stdout.contains("Needs `get` on secrets"), "{stdout}");
}

/// Deletes a remote secret from moto at once (no recovery window).
fn delete_remote(moto: &Moto, name: &str) {
    let script = r#"
import boto3, sys
sm = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=sys.argv[1], aws_access_key_id="testing", aws_secret_access_key="testing")
sm.delete_secret(SecretId=sys.argv[2], ForceDeleteWithoutRecovery=True)
"#;
    ok(Command::new("python3").args(["-c", script, &moto.url, name]));
}

#[test]
fn each_target_is_verified_and_a_stale_secrets_manager_fails_the_run() {
    let Some(moto) = Moto::start(&[]) else {
        return;
    };
    let cluster = Cluster::new();
    let file = std::fs::read_to_string(&cluster.values[1]).unwrap();
    std::fs::write(
        &cluster.values[1],
        format!("{file}      awsSecretsManager: {{}}\n"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut cmd = cluster.smi(args);
        moto.env(&mut cmd);
        cmd.output().unwrap()
    };
    let env = cluster.env_file.to_str().unwrap().to_owned();
    ok_output(&run(&["create", "--from-env-file", &env]));
    let output = run(&["backup", "verify"]);
    let stdout = ok_output(&output);
    assert!(
        stdout.contains("backup: AWS Secrets Manager (us-east-1): smi/prod/smi-data-encryption, smi/prod/smi-identity-signing, smi/prod/smi-session"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("this backup can restore").count(),
        2,
        "both targets: {stdout}"
    );
    assert_nothing_of(&output, &cluster.keys());

    delete_remote(&moto, "smi/prod/smi-session");
    let output = run(&["backup", "verify", "-o", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["targets"][0]["restores"], true, "the file: {report}");
    let aws = &report["targets"][1];
    assert_eq!(aws["restores"], false, "{report}");
    let status = |secret: &str, key: &str| {
        aws["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["secret"] == secret && k["key"] == key)
            .map(|k| k["status"].clone())
    };
    assert_eq!(
        status("smi-session", "SESSION_SECRET"),
        Some("missing from backup".into())
    );
    assert_eq!(
        status("smi-data-encryption", "DATA_ENCRYPTION_KEY"),
        Some("matches".into())
    );
    assert_nothing_of(&output, &cluster.keys());
}

#[test]
fn a_backup_file_of_another_namespace_is_refused() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let file = &cluster.backup_files()[0];
    let name = file.file_name().unwrap().to_str().unwrap();
    let renamed = cluster
        .backups
        .join(name.replace("smi-secrets-prod-", "smi-secrets-staging-"));
    std::fs::copy(file, &renamed).unwrap();
    let output = verify(&cluster, &["-n", "staging"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{} is a backup of namespace \"prod\"",
            renamed.display()
        )),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}
