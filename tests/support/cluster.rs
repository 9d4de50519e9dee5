//! A cluster for the `secrets` tests: the fake API server on loopback, a kubeconfig pointing
//! at it, values with an age-encrypted backup directory, and the operator's env file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use age::secrecy::ExposeSecret;
use base64::Engine;
use fake_apiserver::{FakeApiServer, Handle};

use crate::support;

/// The supplied credentials of the default catalog, with values no output may contain.
pub const SUPPLIED: [(&str, &str); 13] = [
    ("POSTGRES_USER", "pg-user-q7Zr"),
    ("POSTGRES_PASSWORD", "pg-pass-K9vW2xLm"),
    ("MONGODB_USERNAME", "mongo-user-a8Fj"),
    ("MONGODB_PASSWORD", "mongo-pass-Pp3Xw7Qe"),
    ("REDIS_PASSWORD", "redis-pass-Hh4Zt9Ly"),
    ("KAFKA_SASL_USERNAME", "kafka-user-Bb6R"),
    ("KAFKA_SASL_PASSWORD", "kafka-pass-Vv8Nq2Ks"),
    ("ACTIVEMQ_USERNAME", "amq-user-Cc1T"),
    ("ACTIVEMQ_PASSWORD", "amq-pass-Ww5Mj3Rd"),
    ("NEO4J_USERNAME", "neo4j-user-Dd2U"),
    ("NEO4J_PASSWORD", "neo4j-pass-Xx7Lk4Fs"),
    ("SMTP_USERNAME", "smtp-user-Ee3V"),
    ("SMTP_PASSWORD", "smtp-pass-Yy9Gh6Tb"),
];

/// The (secret, key) pair that names one value.
pub fn id(secret: &str, key: &str) -> (String, String) {
    (secret.to_owned(), key.to_owned())
}

/// The namespace of examples/values-aws.yaml.
pub const NAMESPACE: &str = "prod";

pub struct Cluster {
    pub api: FakeApiServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    /// examples/values-aws.yaml plus `backup.yaml` (the backup target).
    pub values: Vec<PathBuf>,
    pub env_file: PathBuf,
    pub backups: PathBuf,
    pub identity: PathBuf,
}

impl Cluster {
    /// A fresh API server, and backups encrypted to an age recipient whose identity the
    /// values name (so kubectl-smi can read its own backups back).
    pub fn new() -> Self {
        Self::with_server(FakeApiServer::start())
    }

    pub fn with_server(api: FakeApiServer) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let kubeconfig = api.write_kubeconfig(&dir.path().join("kubeconfig"));
        let identity = age::x25519::Identity::generate();
        let identity_path = dir.path().join("backup-identity.txt");
        std::fs::write(
            &identity_path,
            format!("{}\n", identity.to_string().expose_secret()),
        )
        .unwrap();
        let backups = dir.path().join("backups");
        let backup_values = dir.path().join("backup.yaml");
        std::fs::write(
            &backup_values,
            format!(
                "smi:\n  secrets:\n    backup:\n      file:\n        directory: backups\n        recipients: [\"{}\"]\n        identityFile: backup-identity.txt\n",
                identity.to_public()
            ),
        )
        .unwrap();
        let env_file = dir.path().join("credentials.env");
        let env: String = SUPPLIED.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(&env_file, env).unwrap();
        Cluster {
            api,
            kubeconfig,
            values: vec![
                support::example_without_secrets("values-aws.yaml"),
                backup_values,
            ],
            env_file,
            backups,
            identity: identity_path,
            dir,
        }
    }

    /// `kubectl-smi secrets <args>` against this cluster, with the values files.
    pub fn smi(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = support::kubectl_smi();
        cmd.arg("secrets")
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig);
        for values in &self.values {
            cmd.arg("-f").arg(values);
        }
        cmd.env("HOME", self.dir.path())
            .env_remove("SMI_BACKUP_PASSPHRASE");
        cmd
    }

    /// `secrets create` with the env file of every supplied credential.
    pub fn create(&self, extra: &[&str]) -> Output {
        let mut args = vec!["create", "--from-env-file", self.env_file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.smi(&args).output().expect("kubectl-smi runs")
    }

    /// Deletes one key of a secret as an operator running `kubectl edit` would.
    pub fn delete_key(&self, secret: &str, key: &str) {
        self.api
            .edit("secrets", NAMESPACE, secret, "kubectl-edit", |s| {
                s["data"].as_object_mut().unwrap().remove(key);
            })
            .unwrap();
    }

    /// Write requests the server received (dry runs included), access reviews left out.
    pub fn writes(&self) -> Vec<fake_apiserver::RequestInfo> {
        self.api
            .write_requests()
            .into_iter()
            .filter(|r| r.resource != "selfsubjectaccessreviews")
            .collect()
    }

    /// Real (not dry-run) writes of secrets: what changed or tried to change a secret.
    pub fn secret_writes(&self) -> Vec<fake_apiserver::RequestInfo> {
        self.writes()
            .into_iter()
            .filter(|r| r.resource == "secrets" && !r.dry_run)
            .collect()
    }

    /// Every key of every secret in the namespace, decoded.
    pub fn keys(&self) -> BTreeMap<(String, String), Vec<u8>> {
        secret_keys(&self.api, NAMESPACE)
    }

    /// The backup files written so far, oldest first.
    pub fn backup_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&self.backups) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files
    }

    /// A backup file decrypted with the test's identity: (secret, key) to value.
    pub fn read_backup(&self, path: &Path) -> BTreeMap<(String, String), Vec<u8>> {
        decrypt_backup(path, &self.identity)
    }
}

/// Every key of every secret in `namespace`, decoded.
pub fn secret_keys(api: &Handle, namespace: &str) -> BTreeMap<(String, String), Vec<u8>> {
    let mut keys = BTreeMap::new();
    for secret in api.list("secrets", namespace) {
        let name = secret["metadata"]["name"].as_str().unwrap().to_owned();
        for (key, value) in secret["data"].as_object().into_iter().flatten() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.as_str().unwrap())
                .unwrap();
            keys.insert((name.clone(), key.clone()), bytes);
        }
    }
    keys
}

/// Decrypts a backup file with an age identity file: (secret, key) to value.
pub fn decrypt_backup(path: &Path, identity: &Path) -> BTreeMap<(String, String), Vec<u8>> {
    let document = backup_document(path, identity);
    let mut keys = BTreeMap::new();
    for (secret, values) in document["secrets"].as_object().unwrap() {
        for (key, value) in values.as_object().unwrap() {
            keys.insert(
                (secret.clone(), key.clone()),
                value.as_str().unwrap().as_bytes().to_vec(),
            );
        }
    }
    keys
}

/// The whole decrypted backup document.
pub fn backup_document(path: &Path, identity: &Path) -> serde_json::Value {
    use std::io::Read;
    let identities = age::IdentityFile::from_file(identity.display().to_string())
        .unwrap()
        .into_identities()
        .unwrap();
    let bytes = std::fs::read(path).unwrap();
    let decryptor = age::Decryptor::new_buffered(&bytes[..]).unwrap();
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .unwrap();
    let mut json = Vec::new();
    reader.read_to_end(&mut json).unwrap();
    let document: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(document["format"], "kubectl-smi/secret-backup/v1");
    document
}

/// Fails when any value, as bytes, as text or base64-encoded, appears in the output.
pub fn assert_no_values(output: &Output, values: &BTreeMap<(String, String), Vec<u8>>) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_no_values_in(&format!("{stdout}{stderr}"), values);
}

pub fn assert_no_values_in(text: &str, values: &BTreeMap<(String, String), Vec<u8>>) {
    for ((secret, key), value) in values {
        let plain = String::from_utf8_lossy(value);
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        // Short values could match by chance; every value of these tests is long and random.
        for form in [plain.as_ref(), encoded.as_str()] {
            if form.len() >= 8 {
                assert!(
                    !text.contains(form),
                    "the value of {secret}/{key} appears in the output:\n{text}"
                );
            }
            // PEM keys: no line of the body may appear either.
            for line in form
                .lines()
                .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
            {
                assert!(
                    !text.contains(line),
                    "a line of {secret}/{key} appears in the output:\n{text}"
                );
            }
        }
    }
}
