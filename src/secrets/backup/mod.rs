//! Backups of key material, written (and read back) before any generated key reaches the
//! cluster: age-encrypted files, AWS Secrets Manager, OCI Vault.

mod aws;
mod file;
mod oci;
mod remote;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::values::SecretBackup;

use super::error::SecretsError;
use super::value::SecretValue;
use remote::RemoteStore;

pub use file::{DecryptKeys, read_backup_file, restore_keys};

/// The format name written into every backup document.
pub const FORMAT: &str = "kubectl-smi/secret-backup/v1";

/// Values by (secret, key).
pub type KeyValues = BTreeMap<(String, String), SecretValue>;

/// What one backup holds: all key material of the installation after the run, and the
/// values rotations replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupDocument {
    /// The namespace the keys belong to.
    pub namespace: String,
    /// The installation (`smi.environment`).
    pub environment: String,
    /// When the backup was made (RFC 3339, UTC).
    pub created: String,
    /// All key material of the installation after the run, by (secret, key).
    pub keys: KeyValues,
    /// The values that rotations in this run replaced, by (secret, key).
    pub previous: KeyValues,
}

impl std::fmt::Debug for BackupDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupDocument")
            .field("namespace", &self.namespace)
            .field("created", &self.created)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl BackupDocument {
    /// The JSON text (what `age -d` shows): `{"format", "namespace", "environment",
    /// "created", "secrets": {secret: {key: value}}, "previous": {...}}`; a value that is
    /// not UTF-8 is written as `{"base64": "..."}`.
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let mut root = Map::new();
        root.insert("format".into(), FORMAT.into());
        root.insert("namespace".into(), self.namespace.clone().into());
        root.insert("environment".into(), self.environment.clone().into());
        root.insert("created".into(), self.created.clone().into());
        root.insert("secrets".into(), nest(&self.keys));
        if !self.previous.is_empty() {
            root.insert("previous".into(), nest(&self.previous));
        }
        Zeroizing::new(serde_json::to_vec_pretty(&Value::Object(root)).expect("JSON serializes"))
    }

    /// Reads the JSON of [`BackupDocument::to_json`].
    /// Errors: a message when the bytes are not JSON, the `format` is not [`FORMAT`], or a value is
    /// neither text nor `{"base64": ...}`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let root: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("not a backup document: {e}"))?;
        if root["format"] != FORMAT {
            return Err(format!("not a kubectl-smi backup (format is not {FORMAT})"));
        }
        let text = |key: &str| root[key].as_str().unwrap_or_default().to_owned();
        Ok(BackupDocument {
            namespace: text("namespace"),
            environment: text("environment"),
            created: text("created"),
            keys: flatten(&root["secrets"])?,
            previous: flatten(&root["previous"])?,
        })
    }
}

fn nest(values: &KeyValues) -> Value {
    let mut secrets = Map::new();
    for ((secret, key), value) in values {
        let entry = secrets
            .entry(secret.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let encoded = match value.as_text() {
            Some(text) => Value::from(text),
            None => serde_json::json!({"base64": value.to_base64()}),
        };
        if let Value::Object(keys) = entry {
            keys.insert(key.clone(), encoded);
        }
    }
    Value::Object(secrets)
}

fn flatten(secrets: &Value) -> Result<KeyValues, String> {
    let mut values = KeyValues::new();
    let Some(secrets) = secrets.as_object() else {
        return Ok(values);
    };
    for (secret, keys) in secrets {
        for (key, value) in keys.as_object().into_iter().flatten() {
            let decoded = match value {
                Value::String(text) => SecretValue::new(text.as_bytes().to_vec()),
                other => other["base64"]
                    .as_str()
                    .and_then(SecretValue::from_base64)
                    .ok_or_else(|| format!("{secret}/{key}: neither text nor {{base64: ...}}"))?,
            };
            values.insert((secret.clone(), key.clone()), decoded);
        }
    }
    Ok(values)
}

/// One configured place backups go to.
pub enum Target {
    /// age-encrypted files in a directory (`smi.secrets.backup.file`).
    File(file::FileTarget),
    /// AWS Secrets Manager (`smi.secrets.backup.awsSecretsManager`).
    AwsSecretsManager(aws::AwsTarget),
    /// OCI Vault (`smi.secrets.backup.ociVault`).
    OciVault(Box<oci::OciTarget>),
}

impl Target {
    /// The target for messages: `file DIRECTORY`, `AWS Secrets Manager (REGION)`, `OCI Vault OCID
    /// (REGION)`.
    pub fn describe(&self) -> String {
        match self {
            Target::File(t) => t.describe(),
            Target::AwsSecretsManager(t) => t.describe(),
            Target::OciVault(t) => t.as_ref().describe(),
        }
    }
}

/// Where the values say backups go (every target configured is written).
pub struct Backups {
    /// Every configured target, in the order file, AWS Secrets Manager, OCI Vault.
    pub targets: Vec<Target>,
}

/// What a backup target found for a namespace.
pub struct Found {
    /// Where the values were found: a file's path, or the remote store and the secrets read.
    pub location: String,
    /// The backed-up values, by (secret, key).
    pub values: KeyValues,
}

impl Backups {
    /// The targets of `smi.secrets.backup`; relative paths are relative to `base_dir`.
    pub fn configure(
        config: Option<&SecretBackup>,
        base_dir: &Path,
        aws_region: Option<&str>,
        oci_region: Option<&str>,
    ) -> Self {
        let mut targets = Vec::new();
        if let Some(config) = config {
            if let Some(file) = &config.file {
                targets.push(Target::File(file::FileTarget::new(file, base_dir)));
            }
            if let Some(aws) = &config.aws_secrets_manager {
                targets.push(Target::AwsSecretsManager(aws::AwsTarget::new(
                    aws, aws_region,
                )));
            }
            if let Some(oci) = &config.oci_vault {
                targets.push(Target::OciVault(Box::new(oci::OciTarget::new(
                    oci, oci_region,
                ))));
            }
        }
        Backups { targets }
    }

    /// Whether no backup target is configured.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Writes the document to every target and reads each copy back; returns where.
    pub async fn write(&self, document: &BackupDocument) -> Result<Vec<String>, SecretsError> {
        let mut locations = Vec::new();
        for target in &self.targets {
            let location = match target {
                Target::File(t) => t.write(document)?,
                Target::AwsSecretsManager(t) => remote::write(t, document).await?,
                Target::OciVault(t) => remote::write(t.as_ref(), document).await?,
            };
            locations.push(location);
        }
        Ok(locations)
    }

    /// The newest backed-up values for the namespace, from the first target that can read
    /// them; `notes` says which targets could not be consulted and why. Offline, only the
    /// local targets (files) are read.
    pub async fn latest(
        &self,
        namespace: &str,
        secrets: &[String],
        offline: bool,
        notes: &mut Vec<String>,
    ) -> Result<Option<Found>, SecretsError> {
        for target in &self.targets {
            let found = match target {
                Target::AwsSecretsManager(_) | Target::OciVault(_) if offline => None,
                Target::File(t) => match t.latest(namespace)? {
                    file::Latest::Found(found) => Some(found),
                    file::Latest::None => None,
                    file::Latest::Unreadable(why) => {
                        notes.push(why);
                        None
                    }
                },
                Target::AwsSecretsManager(t) => remote::read(t, namespace, secrets).await?,
                Target::OciVault(t) => remote::read(t.as_ref(), namespace, secrets).await?,
            };
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Each target's newest backup of the namespace, for `secrets backup verify`: the
    /// target described, and what it holds (none when it holds no backup of the
    /// namespace). File targets are opened with their configured keys plus the age identity
    /// files `identities`; the remote stores are read for the `secrets` (Secret names).
    /// Errors: unlike [`Backups::latest`], a target that cannot be read is an error,
    /// [`SecretsError::Backup`] naming it (no key at hand, a wrong passphrase or identity,
    /// a file of another namespace, a store that refuses or cannot be reached).
    pub async fn read_each(
        &self,
        namespace: &str,
        secrets: &[String],
        identities: &[PathBuf],
    ) -> Result<Vec<(String, Option<Found>)>, SecretsError> {
        let mut read = Vec::new();
        for target in &self.targets {
            let found = match target {
                Target::File(t) => t.newest(namespace, identities)?,
                Target::AwsSecretsManager(t) => remote::read(t, namespace, secrets).await?,
                Target::OciVault(t) => remote::read(t.as_ref(), namespace, secrets).await?,
            };
            read.push((target.describe(), found));
        }
        Ok(read)
    }

    /// What can be checked of the targets without the network: that each file target has
    /// what encrypting (and reading back) needs.
    pub fn check_offline(&self) -> Result<(), SecretsError> {
        for target in &self.targets {
            if let Target::File(t) = target {
                t.check()?;
            }
        }
        Ok(())
    }

    /// The targets reached over the network (AWS Secrets Manager, OCI Vault), described.
    pub fn remote(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter(|t| !matches!(t, Target::File(_)))
            .map(Target::describe)
            .collect()
    }
}

/// A path relative to the values file's directory.
fn resolve_path(base_dir: &Path, path: &str) -> PathBuf {
    let path = PathBuf::from(path);
    if path.is_absolute() {
        path
    } else {
        base_dir.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_round_trips_through_json() {
        let mut keys = KeyValues::new();
        keys.insert(("s".into(), "K".into()), SecretValue::new(b"text".to_vec()));
        keys.insert(("s".into(), "B".into()), SecretValue::new(vec![0xff, 0x00]));
        let doc = BackupDocument {
            namespace: "prod".into(),
            environment: "prod".into(),
            created: "2025-01-01T00:00:00Z".into(),
            keys,
            previous: KeyValues::new(),
        };
        assert_eq!(BackupDocument::from_json(&doc.to_json()).unwrap(), doc);
        assert!(!format!("{doc:?}").contains("text\""), "{doc:?}");
    }
}
