//! OCI Vault as the backup target of `secrets create`, against a double of the Vault APIs
//! (tests/oci_emulators/vault.py) that authenticates requests as OCI does: the signature of
//! an API key whose public half the test gives it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use serde_json::Value;

use crate::support::cluster::{self, Cluster, assert_no_values, id};
use crate::support::{self, ok, ok_output, text};

const TENANCY: &str = "ocid1.tenancy.oc1..aaaatenancy";
const USER: &str = "ocid1.user.oc1..aaaauser";
const FINGERPRINT: &str = "12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0";
const VAULT: &str = "ocid1.vault.oc1.eu-frankfurt-1.aaaavault";
const COMPARTMENT: &str = "ocid1.compartment.oc1..aaaacompartment";
const KEY: &str = "ocid1.key.oc1.eu-frankfurt-1.aaaakey";

fn openssl(args: &[&str]) {
    ok(Command::new("openssl").args(args));
}

/// An RSA key pair: PKCS#8 private key (PKCS#1 with `traditional`) and its public key.
fn key_pair(dir: &Path, name: &str, traditional: bool) -> (PathBuf, PathBuf) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        private.to_str().unwrap(),
    ]);
    if traditional {
        openssl(&[
            "rsa",
            "-in",
            private.to_str().unwrap(),
            "-traditional",
            "-out",
            private.to_str().unwrap(),
        ]);
    }
    openssl(&[
        "rsa",
        "-in",
        private.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    (private, public)
}

/// The Vault double on a free loopback port, stopped when dropped.
struct Vault {
    child: Child,
    url: String,
    config: PathBuf,
}

impl Vault {
    /// A double trusting `public`; the OCI config names `private` as the key_file.
    fn start(dir: &Path, public: &Path, private: &Path, extra: &[&str]) -> Option<Vault> {
        if !support::python_has("cryptography") {
            return None;
        }
        let port_file = dir.join("vault.port");
        let child = Command::new("python3")
            .arg(support::repo().join("tests/oci_emulators/vault.py"))
            .args(["--port-file", port_file.to_str().unwrap()])
            .args(["--public-key", public.to_str().unwrap()])
            .args(["--key-id", &format!("{TENANCY}/{USER}/{FINGERPRINT}")])
            .args(["--vault", VAULT])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let config = dir.join("oci-config");
        std::fs::write(
            &config,
            format!(
                "[DEFAULT]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=eu-frankfurt-1\nkey_file={}\n",
                private.display()
            ),
        )
        .unwrap();
        let mut vault = Vault {
            child,
            url: String::new(),
            config,
        };
        for _ in 0..100 {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                vault.url = format!("http://127.0.0.1:{port}");
                return Some(vault);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the OCI Vault double did not start");
    }

    fn env(&self, cmd: &mut assert_cmd::Command) {
        cmd.env("OCI_CLI_CONFIG_FILE", &self.config)
            .env_remove("OCI_CLI_PROFILE")
            .env("OCI_VAULT_ENDPOINT", &self.url)
            .env("OCI_SECRETS_ENDPOINT", &self.url);
    }

    /// `{secretName: {versions: [{versionNumber, content, stages}], ...}}`.
    fn state(&self) -> Value {
        let stdout = ok(Command::new("python3").args([
            "-c",
            "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + '/_test/secrets').read().decode())",
            &self.url,
        ]));
        serde_json::from_str(&stdout).unwrap()
    }

    /// The JSON object a version of a secret holds.
    fn content(&self, name: &str, stage: &str) -> Value {
        let state = self.state();
        let version = state[name]["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["stages"].as_array().unwrap().iter().any(|s| s == stage))
            .unwrap_or_else(|| panic!("{name} has no {stage} version: {state}"))
            .clone();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(version["content"].as_str().unwrap())
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn set_oci_backup(cluster: &Cluster) {
    std::fs::write(
        &cluster.values[1],
        format!(
            "smi:\n  secrets:\n    backup:\n      ociVault: {{vaultId: {VAULT}, compartmentId: {COMPARTMENT}, keyId: {KEY}}}\n"
        ),
    )
    .unwrap();
}

#[test]
fn oci_vault_keeps_the_keys_restores_them_and_keeps_the_previous_version() {
    let cluster = Cluster::new();
    let (private, public) = key_pair(cluster.dir.path(), "api-key", false);
    // Secrets stay CREATING/UPDATING for two reads: kubectl-smi waits for ACTIVE.
    let Some(vault) = Vault::start(cluster.dir.path(), &public, &private, &["--settle", "2"])
    else {
        return;
    };
    set_oci_backup(&cluster);
    let run = |args: &[&str]| {
        let mut cmd = cluster.smi(args);
        vault.env(&mut cmd);
        cmd.output().unwrap()
    };
    let env = cluster.env_file.to_str().unwrap().to_owned();
    let output = run(&["create", "--from-env-file", &env]);
    let stdout = ok_output(&output);
    assert!(
        stdout.contains(&format!("backup written and read back: OCI Vault {VAULT} (eu-frankfurt-1): smi-prod-smi-data-encryption, smi-prod-smi-identity-signing, smi-prod-smi-session")),
        "{stdout}"
    );
    let keys = cluster.keys();
    assert_no_values(&output, &keys);
    let data_key = id("smi-data-encryption", "DATA_ENCRYPTION_KEY");
    let name = "smi-prod-smi-data-encryption";
    assert_eq!(
        vault.content(name, "CURRENT")["DATA_ENCRYPTION_KEY"]
            .as_str()
            .unwrap()
            .as_bytes(),
        keys[&data_key]
    );
    let state = vault.state();
    assert_eq!(state[name]["compartmentId"], COMPARTMENT);
    assert_eq!(state[name]["keyId"], KEY);
    assert_eq!(state[name]["versions"].as_array().unwrap().len(), 1);

    // A second run changes nothing: no new versions, no new keys.
    let output = run(&["create", "--from-env-file", &env]);
    ok_output(&output);
    assert_eq!(cluster.keys(), keys);
    assert_eq!(
        vault.state(),
        state,
        "the second run wrote nothing to the vault"
    );
    assert_no_values(&output, &keys);

    cluster.delete_key("smi-data-encryption", "DATA_ENCRYPTION_KEY");
    let output = run(&["create"]);
    let stdout = ok_output(&output);
    assert_eq!(cluster.keys(), keys, "restored from OCI Vault");
    assert!(
        stdout.contains("missing keys restored from backup OCI Vault"),
        "{}",
        text(&output)
    );
    assert_no_values(&output, &keys);

    let output = run(&["create", "--rotate", "DATA_ENCRYPTION_KEY"]);
    ok_output(&output);
    let rotated = cluster.keys();
    assert_ne!(rotated[&data_key], keys[&data_key]);
    assert_eq!(
        vault.content(name, "CURRENT")["DATA_ENCRYPTION_KEY"]
            .as_str()
            .unwrap()
            .as_bytes(),
        rotated[&data_key]
    );
    assert_eq!(
        vault.content(name, "PREVIOUS")["DATA_ENCRYPTION_KEY"]
            .as_str()
            .unwrap()
            .as_bytes(),
        keys[&data_key],
        "the old key stays as the previous version"
    );
    let mut values = keys.clone();
    values.extend(rotated);
    assert_no_values(&output, &values);
}

#[test]
fn a_key_the_vault_does_not_know_is_a_clear_401_and_nothing_is_applied() {
    let cluster = Cluster::new();
    let (_, public) = key_pair(cluster.dir.path(), "api-key", false);
    let (other, _) = key_pair(cluster.dir.path(), "other-key", true);
    let Some(vault) = Vault::start(cluster.dir.path(), &public, &other, &[]) else {
        return;
    };
    set_oci_backup(&cluster);
    let mut cmd = cluster.smi(&[
        "create",
        "--from-env-file",
        cluster.env_file.to_str().unwrap(),
    ]);
    vault.env(&mut cmd);
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("OCI Vault {VAULT}")), "{stderr}");
    assert!(
        stderr.contains("cannot list secret smi-prod-smi-postgresql: HTTP 401 NotAuthenticated"),
        "{stderr}"
    );
    assert!(stderr.contains("check fingerprint, key_file"), "{stderr}");
    assert!(stderr.contains("no secret was written"), "{stderr}");
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
    assert_eq!(vault.state(), serde_json::json!({}));
    assert_no_values(
        &output,
        &cluster::SUPPLIED
            .iter()
            .map(|(k, v)| (id("supplied", k), v.as_bytes().to_vec()))
            .collect(),
    );
}

#[test]
fn a_backup_that_does_not_read_back_stops_the_run_before_the_cluster() {
    let cluster = Cluster::new();
    let (private, public) = key_pair(cluster.dir.path(), "api-key", true);
    let Some(vault) = Vault::start(cluster.dir.path(), &public, &private, &["--lose-writes"])
    else {
        return;
    };
    set_oci_backup(&cluster);
    let mut cmd = cluster.smi(&[
        "create",
        "--from-env-file",
        cluster.env_file.to_str().unwrap(),
    ]);
    vault.env(&mut cmd);
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("smi-prod-smi-data-encryption does not read back as written"),
        "{stderr}"
    );
    assert!(cluster.secret_writes().is_empty(), "{:?}", cluster.writes());
    assert!(cluster.keys().is_empty());
}

#[test]
fn without_an_oci_config_the_error_says_where_it_looked() {
    let cluster = Cluster::new();
    set_oci_backup(&cluster);
    let output = cluster
        .smi(&[
            "create",
            "--from-env-file",
            cluster.env_file.to_str().unwrap(),
        ])
        .env_remove("OCI_CLI_CONFIG_FILE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read the OCI config file") && stderr.contains(".oci/config"),
        "{stderr}"
    );
    assert!(cluster.writes().is_empty());
}

#[test]
fn backup_verify_reads_the_vault_and_finds_a_key_changed_in_the_cluster() {
    let cluster = Cluster::new();
    let (private, public) = key_pair(cluster.dir.path(), "api-key", false);
    let Some(vault) = Vault::start(cluster.dir.path(), &public, &private, &[]) else {
        return;
    };
    set_oci_backup(&cluster);
    let run = |args: &[&str]| {
        let mut cmd = cluster.smi(args);
        vault.env(&mut cmd);
        cmd.output().unwrap()
    };
    let env = cluster.env_file.to_str().unwrap().to_owned();
    ok_output(&run(&["create", "--from-env-file", &env]));
    let output = run(&["backup", "verify"]);
    let stdout = ok_output(&output);
    assert!(
        stdout.contains(&format!("backup: OCI Vault {VAULT} (eu-frankfurt-1): smi-prod-smi-data-encryption, smi-prod-smi-identity-signing, smi-prod-smi-session")),
        "{stdout}"
    );
    assert!(stdout.contains("7 key(s): 7 matches"), "{stdout}");
    let mut keys = cluster.keys();
    assert_no_values(&output, &keys);

    cluster
        .api
        .edit(
            "secrets",
            cluster::NAMESPACE,
            "smi-data-encryption",
            "kubectl-edit",
            |s| {
                s["data"]["FILE_ENCRYPTION_KEY"] = base64::engine::general_purpose::STANDARD
                    .encode("edited-by-hand-Tq42Wx")
                    .into();
            },
        )
        .unwrap();
    let output = run(&["backup", "verify", "-o", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let changed = report["targets"][0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "FILE_ENCRYPTION_KEY")
        .cloned();
    assert_eq!(
        changed,
        Some(
            serde_json::json!({"secret": "smi-data-encryption", "key": "FILE_ENCRYPTION_KEY", "status": "differs"})
        )
    );
    keys.extend(cluster.keys());
    assert_no_values(&output, &keys);
}
