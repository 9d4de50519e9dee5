//! Backup targets other than age recipients: a passphrase-encrypted file, AWS Secrets
//! Manager (moto_server on loopback); OCI Vault is tested in secrets_oci_vault.rs.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::support::aws::Moto;
use crate::support::cluster::{Cluster, assert_no_values, id};
use crate::support::{ok, ok_output, text};

const PASSPHRASE: &str = "correct horse battery staple";

fn set_backup(cluster: &Cluster, yaml: &str) {
    std::fs::write(
        &cluster.values[1],
        format!("smi:\n  secrets:\n    backup:\n{yaml}"),
    )
    .unwrap();
}

fn decrypt_with_passphrase(path: &Path, passphrase: &str) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let decryptor = age::Decryptor::new_buffered(&bytes[..]).unwrap();
    let identity =
        age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut json = Vec::new();
    reader.read_to_end(&mut json).unwrap();
    serde_json::from_slice(&json).unwrap()
}

#[test]
fn a_passphrase_backup_is_written_read_back_and_used_to_restore() {
    let cluster = Cluster::new();
    set_backup(&cluster, "      file:\n        directory: backups\n");
    ok(cluster
        .smi(&[
            "create",
            "--from-env-file",
            cluster.env_file.to_str().unwrap(),
        ])
        .env("SMI_BACKUP_PASSPHRASE", PASSPHRASE));
    let keys = cluster.keys();
    let document = decrypt_with_passphrase(&cluster.backup_files()[0], PASSPHRASE);
    assert_eq!(
        document["secrets"]["smi-session"]["CSRF_SECRET"]
            .as_str()
            .unwrap()
            .as_bytes(),
        keys[&id("smi-session", "CSRF_SECRET")]
    );

    cluster.delete_key("smi-session", "CSRF_SECRET");
    let writes = cluster.writes().len();
    let output = cluster
        .smi(&["create"])
        .env("SMI_BACKUP_PASSPHRASE", "not the passphrase at all")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot decrypt"), "{stderr}");
    assert!(
        stderr.contains("is it the right passphrase or identity?"),
        "{stderr}"
    );
    assert_eq!(
        cluster.writes().len(),
        writes,
        "a backup that cannot be read stops the run"
    );

    let output = cluster
        .smi(&["create"])
        .env("SMI_BACKUP_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    ok_output(&output);
    assert_eq!(cluster.keys(), keys);
    assert_no_values(&output, &keys);
}

#[test]
fn without_the_passphrase_no_secret_is_written() {
    let cluster = Cluster::new();
    set_backup(
        &cluster,
        "      file:\n        directory: backups\n        passphraseEnv: DTP_BACKUP_PASSPHRASE\n",
    );
    let output = cluster.create(&[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the backup is encrypted with a passphrase: set DTP_BACKUP_PASSPHRASE"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: fix the backup target and run again: no secret was written"),
        "{stderr}"
    );
    let output = cluster
        .smi(&[
            "create",
            "--from-env-file",
            cluster.env_file.to_str().unwrap(),
        ])
        .env("DTP_BACKUP_PASSPHRASE", "short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("shorter than 12 characters"));
    assert!(cluster.secret_writes().is_empty());
    assert!(cluster.backup_files().is_empty());
}

/// `{VersionStage: SecretString}` of a secret in moto, read with boto3.
fn versions(moto: &Moto, name: &str) -> serde_json::Value {
    let script = r#"
import boto3, json, sys
sm = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=sys.argv[1], aws_access_key_id="testing", aws_secret_access_key="testing")
out = {}
for stage in ("AWSCURRENT", "AWSPREVIOUS"):
    try:
        out[stage] = json.loads(sm.get_secret_value(SecretId=sys.argv[2], VersionStage=stage)["SecretString"])
    except sm.exceptions.ResourceNotFoundException:
        pass
print(json.dumps(out))
"#;
    let stdout = ok(Command::new("python3").args(["-c", script, &moto.url, name]));
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn aws_secrets_manager_keeps_the_keys_restores_them_and_keeps_the_previous_version() {
    let Some(moto) = Moto::start(&[]) else {
        return;
    };
    let cluster = Cluster::new();
    set_backup(&cluster, "      awsSecretsManager: {}\n");
    let run = |args: &[&str]| {
        let mut cmd = cluster.smi(args);
        moto.env(&mut cmd);
        cmd.output().unwrap()
    };
    let env = cluster.env_file.to_str().unwrap().to_owned();
    let stdout = ok_output(&run(&["create", "--from-env-file", &env]));
    assert!(stdout.contains("backup written and read back: AWS Secrets Manager (us-east-1): smi/prod/smi-data-encryption, smi/prod/smi-identity-signing, smi/prod/smi-session"), "{stdout}");
    let keys = cluster.keys();
    let stored = versions(&moto, "smi/prod/smi-data-encryption");
    let data_key = id("smi-data-encryption", "DATA_ENCRYPTION_KEY");
    assert_eq!(
        stored["AWSCURRENT"]["DATA_ENCRYPTION_KEY"]
            .as_str()
            .unwrap()
            .as_bytes(),
        keys[&data_key]
    );

    cluster.delete_key("smi-data-encryption", "DATA_ENCRYPTION_KEY");
    let stdout = ok_output(&run(&["create"]));
    assert_eq!(cluster.keys(), keys, "restored from Secrets Manager");
    assert!(stdout.contains("missing keys restored from backup AWS Secrets Manager"));

    let output = run(&["create", "--rotate", "DATA_ENCRYPTION_KEY"]);
    ok_output(&output);
    let rotated = cluster.keys();
    let stored = versions(&moto, "smi/prod/smi-data-encryption");
    assert_eq!(
        stored["AWSCURRENT"]["DATA_ENCRYPTION_KEY"]
            .as_str()
            .unwrap()
            .as_bytes(),
        rotated[&data_key]
    );
    assert_eq!(
        stored["AWSPREVIOUS"]["DATA_ENCRYPTION_KEY"]
            .as_str()
            .unwrap()
            .as_bytes(),
        keys[&data_key],
        "the old key stays as AWSPREVIOUS"
    );
    let mut values = keys.clone();
    values.extend(rotated);
    assert_no_values(&output, &values);
}
