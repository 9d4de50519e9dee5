//! What the two secret-store backups (AWS Secrets Manager, OCI Vault) share: one remote
//! secret per Kubernetes Secret holding its keys as a JSON object of text, the rotation
//! order (the replaced values are written as a version of their own before the new ones),
//! and the read-back of every write before any key reaches the cluster. Each store only
//! says how to fetch, store and re-read one remote secret.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::secrets::error::SecretsError;
use crate::secrets::value::SecretValue;

use super::{BackupDocument, Found, KeyValues};

/// The keys of one Kubernetes Secret, as a remote secret's JSON properties.
pub type Properties = BTreeMap<String, SecretValue>;

/// One secret store.
pub trait RemoteStore {
    /// How a stored secret is addressed once it exists (its name, or its OCID).
    type Handle;

    /// The store, for messages ("AWS Secrets Manager (eu-west-1)").
    fn describe(&self) -> String;

    /// The remote secret holding `secret` of `namespace`.
    fn remote_name(&self, namespace: &str, secret: &str) -> String;

    /// The remote secret of that name and its current properties, if it exists.
    async fn fetch(&self, name: &str) -> Result<Option<(Self::Handle, Properties)>, SecretsError>;

    /// Creates the remote secret (no `existing` handle) or makes `properties` its new
    /// current version.
    async fn store(
        &self,
        name: &str,
        existing: Option<&Self::Handle>,
        properties: &Properties,
        namespace: &str,
    ) -> Result<Self::Handle, SecretsError>;

    /// The current properties right after `store`, to compare with what was written.
    async fn read_back(
        &self,
        name: &str,
        handle: &Self::Handle,
    ) -> Result<Properties, SecretsError>;

    fn error(&self, message: impl Into<String>) -> SecretsError {
        SecretsError::Backup {
            target: self.describe(),
            message: message.into(),
        }
    }
}

/// Writes every secret of the document that holds key material, then reads each back.
pub async fn write<S: RemoteStore>(
    store: &S,
    document: &BackupDocument,
) -> Result<String, SecretsError> {
    let mut names = Vec::new();
    for secret in secrets_of(&document.keys) {
        let name = store.remote_name(&document.namespace, &secret);
        let mut current = store.fetch(&name).await?;
        let stored = |current: &Option<(S::Handle, Properties)>| {
            current.as_ref().map(|(_, p)| p.clone()).unwrap_or_default()
        };
        let previous = properties_of(&document.previous, &secret);
        if !previous.is_empty() {
            // Keep the replaced values as a version of their own before the new ones.
            let mut with_old = stored(&current);
            with_old.extend(previous);
            if current.as_ref().map(|(_, p)| p) != Some(&with_old) {
                let handle = store
                    .store(
                        &name,
                        current.as_ref().map(|(h, _)| h),
                        &with_old,
                        &document.namespace,
                    )
                    .await?;
                current = Some((handle, with_old));
            }
        }
        let mut merged = stored(&current);
        merged.extend(properties_of(&document.keys, &secret));
        if current.as_ref().map(|(_, p)| p) != Some(&merged) {
            let handle = store
                .store(
                    &name,
                    current.as_ref().map(|(h, _)| h),
                    &merged,
                    &document.namespace,
                )
                .await?;
            if store.read_back(&name, &handle).await? != merged {
                return Err(store.error(format!("{name} does not read back as written")));
            }
        }
        names.push(name);
    }
    Ok(format!("{}: {}", store.describe(), names.join(", ")))
}

/// The key values stored for the namespace's secrets.
pub async fn read<S: RemoteStore>(
    store: &S,
    namespace: &str,
    secrets: &[String],
) -> Result<Option<Found>, SecretsError> {
    let mut values = KeyValues::new();
    let mut read = Vec::new();
    for secret in secrets {
        let name = store.remote_name(namespace, secret);
        if let Some((_, properties)) = store.fetch(&name).await? {
            for (key, value) in properties {
                values.insert((secret.clone(), key), value);
            }
            read.push(name);
        }
    }
    if values.is_empty() {
        return Ok(None);
    }
    Ok(Some(Found {
        location: format!("{}: {}", store.describe(), read.join(", ")),
        values,
    }))
}

/// The JSON object text of the properties; `Err(key)` names a key that is not text.
pub fn to_json_text(properties: &Properties) -> Result<Zeroizing<String>, String> {
    let mut object = Map::new();
    for (key, value) in properties {
        let text = value.as_text().ok_or_else(|| key.clone())?;
        object.insert(key.clone(), Value::from(text));
    }
    Ok(Zeroizing::new(Value::Object(object).to_string()))
}

/// The properties of a remote secret's JSON text; `None` when it is not a JSON object.
pub fn from_json_text(text: &[u8]) -> Option<Properties> {
    let json: Value = serde_json::from_slice(text).ok()?;
    Some(
        json.as_object()?
            .iter()
            .filter_map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), SecretValue::new(v.as_bytes().to_vec())))
            })
            .collect(),
    )
}

fn secrets_of(values: &KeyValues) -> Vec<String> {
    let mut secrets: Vec<String> = values.keys().map(|(s, _)| s.clone()).collect();
    secrets.dedup();
    secrets
}

fn properties_of(values: &KeyValues, secret: &str) -> Properties {
    values
        .iter()
        .filter(|((s, _), _)| s == secret)
        .map(|((_, key), value)| (key.clone(), value.clone()))
        .collect()
}
