//! OCI Vault as the backup: one secret per Kubernetes Secret, named
//! `smi-<namespace>-<secret>` (the names `secrets external` reads for OCI Vault), holding its
//! keys as a JSON object (base64 content, as the Vault API carries it). Every UpdateSecret
//! makes a new secret version: a rotation writes the old values first, so they stay as the
//! version before the current one.
//!
//! APIs: Vault secret management (`/20180608/secrets`: ListSecrets, CreateSecret, GetSecret,
//! UpdateSecret) and secret retrieval (`/20190301/secretbundles/{id}`: GetSecretBundle), at
//! `https://vaults.<region>.oci.oraclecloud.com` and
//! `https://secrets.vaults.<region>.oci.oraclecloud.com`, or `OCI_VAULT_ENDPOINT` and
//! `OCI_SECRETS_ENDPOINT`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use crate::oci_api::{ApiKey, Client, Response};
use crate::secrets::error::SecretsError;
use crate::secrets::manifest::FIELD_MANAGER;
use crate::values::OciVaultBackup;

use super::remote::{self, Properties, RemoteStore};

/// How long a new or updated secret may take to become ACTIVE.
const ACTIVE_WAIT: Duration = Duration::from_secs(120);

pub struct OciTarget {
    config: OciVaultBackup,
    /// `cloud.oci.region` of the values; the config file's region when absent.
    region: Option<String>,
    client: OnceCell<Result<Connection, String>>,
}

struct Connection {
    client: Client,
    vault_endpoint: String,
    secrets_endpoint: String,
    region: String,
}

impl OciTarget {
    pub fn new(config: &OciVaultBackup, default_region: Option<&str>) -> Self {
        OciTarget {
            config: config.clone(),
            region: default_region.map(str::to_owned),
            client: OnceCell::new(),
        }
    }

    async fn connection(&self) -> Result<&Connection, SecretsError> {
        let connection = self
            .client
            .get_or_init(|| async {
                let key = ApiKey::from_environment()?;
                let region = self
                    .region
                    .clone()
                    .or_else(|| key.region.clone())
                    .ok_or_else(|| {
                        format!(
                            "no region: set smi.cloud.oci.region, or region in {}",
                            key.source
                        )
                    })?;
                let endpoint = |var: &str, default: String| {
                    std::env::var(var)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| v.trim_end_matches('/').to_owned())
                        .unwrap_or(default)
                };
                Ok(Connection {
                    vault_endpoint: endpoint(
                        "OCI_VAULT_ENDPOINT",
                        format!("https://vaults.{region}.oci.oraclecloud.com"),
                    ),
                    secrets_endpoint: endpoint(
                        "OCI_SECRETS_ENDPOINT",
                        format!("https://secrets.vaults.{region}.oci.oraclecloud.com"),
                    ),
                    client: Client::new(key)?,
                    region,
                })
            })
            .await;
        connection.as_ref().map_err(|why| self.error(why.clone()))
    }

    /// Sends a request; a transport error or an HTTP error becomes a backup error naming
    /// what was done, with a hint for the usual causes.
    async fn call(
        &self,
        what: &str,
        method: Method,
        url: String,
        body: Option<&[u8]>,
    ) -> Result<Response, SecretsError> {
        let connection = self.connection().await?;
        let response = connection
            .client
            .send(method, &url, body)
            .await
            .map_err(|why| self.error(format!("cannot {what}: {why}")))?;
        if response.is_success() {
            return Ok(response);
        }
        let hint = match (response.status, response.code().as_deref()) {
            (401, _) => format!(
                "check fingerprint, key_file, user and tenancy in {} (the fingerprint must be the one of the API key uploaded for the user) and the clock (OCI allows 5 minutes of skew)",
                connection.client.key().source
            ),
            (404, _) | (403, _) => format!(
                "check smi.secrets.backup.ociVault.vaultId and compartmentId, the region ({}), and that a policy allows it: `allow group <group> to manage secret-family in compartment <compartment>` (and `use keys` for keyId)",
                connection.region
            ),
            (409, _) => {
                "another change of the secret is in progress; run again in a minute".to_owned()
            }
            (429, _) => "OCI throttled the requests; run again in a minute".to_owned(),
            (400, _) => "check smi.secrets.backup.ociVault (keyId must be an AES key of the vault)"
                .to_owned(),
            _ => "run again; if it persists, give OCI support the opc-request-id".to_owned(),
        };
        Err(self.error(format!(
            "cannot {what}: {}; hint: {hint}",
            response.error_text()
        )))
    }

    /// The active secret of that name in the vault, with its current content.
    async fn get(&self, name: &str) -> Result<Option<(String, Properties)>, SecretsError> {
        let connection = self.connection().await?;
        let url = format!(
            "{}/20180608/secrets?compartmentId={}&vaultId={}&name={}",
            connection.vault_endpoint,
            query(&self.config.compartment_id),
            query(&self.config.vault_id),
            query(name)
        );
        let response = self
            .call(&format!("list secret {name}"), Method::GET, url, None)
            .await?;
        let list: Value = serde_json::from_slice(&response.body)
            .map_err(|e| self.error(format!("ListSecrets answered no JSON: {e}")))?;
        let found: Vec<&Value> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["secretName"] == name && s["vaultId"] == self.config.vault_id.as_str())
            .collect();
        let Some(summary) = found.iter().find(|s| {
            s["lifecycleState"] != "PENDING_DELETION" && s["lifecycleState"] != "DELETED"
        }) else {
            if found
                .iter()
                .any(|s| s["lifecycleState"] == "PENDING_DELETION")
            {
                return Err(self.error(format!(
                    "secret {name} is scheduled for deletion, so its name cannot be used; cancel the deletion (`oci vault secret cancel-secret-deletion`) and run again"
                )));
            }
            return Ok(None);
        };
        let id = summary["id"]
            .as_str()
            .ok_or_else(|| self.error(format!("ListSecrets gave {name} no id")))?
            .to_owned();
        self.wait_active(name, &id).await?;
        let properties = self.bundle(name, &id).await?;
        Ok(Some((id, properties)))
    }

    /// The current version's content of a secret, as JSON properties.
    async fn bundle(&self, name: &str, id: &str) -> Result<Properties, SecretsError> {
        let connection = self.connection().await?;
        let url = format!(
            "{}/20190301/secretbundles/{}?stage=CURRENT",
            connection.secrets_endpoint,
            query(id)
        );
        let response = self
            .call(&format!("read secret {name}"), Method::GET, url, None)
            .await?;
        let bundle: Value = serde_json::from_slice(&response.body)
            .map_err(|_| self.error(format!("GetSecretBundle of {name} answered no JSON")))?;
        let content = bundle["secretBundleContent"]["content"]
            .as_str()
            .ok_or_else(|| self.error(format!("{name} has no BASE64 content")))?;
        let bytes = Zeroizing::new(
            STANDARD
                .decode(content)
                .map_err(|_| self.error(format!("{name}: the content is not base64")))?,
        );
        remote::from_json_text(&bytes)
            .ok_or_else(|| self.error(format!("{name} does not hold a JSON object of keys")))
    }

    /// Creates the secret, or makes a new current version of it; returns its id once ACTIVE.
    async fn put(
        &self,
        name: &str,
        id: Option<&str>,
        properties: &Properties,
        namespace: &str,
    ) -> Result<String, SecretsError> {
        let text = remote::to_json_text(properties).map_err(|key| {
            self.error(format!(
                "{name}: {key} is binary; the backup holds JSON properties of text only"
            ))
        })?;
        let content = json!({
            "contentType": "BASE64",
            "content": STANDARD.encode(text.as_bytes()),
            "stage": "CURRENT",
        });
        let connection = self.connection().await?;
        let (method, url, body, what) = match id {
            None => (
                Method::POST,
                format!("{}/20180608/secrets", connection.vault_endpoint),
                json!({
                    "compartmentId": self.config.compartment_id,
                    "vaultId": self.config.vault_id,
                    "keyId": self.config.key_id,
                    "secretName": name,
                    "description": "Key material of the SMI platform, backed up by kubectl-smi",
                    "freeformTags": {
                        "managed-by": FIELD_MANAGER,
                        "smi-namespace": namespace,
                    },
                    "secretContent": content,
                }),
                format!("create secret {name}"),
            ),
            Some(id) => (
                Method::PUT,
                format!(
                    "{}/20180608/secrets/{}",
                    connection.vault_endpoint,
                    query(id)
                ),
                json!({"secretContent": content}),
                format!("update secret {name}"),
            ),
        };
        let body = Zeroizing::new(serde_json::to_vec(&body).expect("JSON serializes"));
        let response = self.call(&what, method, url, Some(&body)).await?;
        let secret: Value = serde_json::from_slice(&response.body)
            .map_err(|_| self.error(format!("{what}: the answer is no JSON")))?;
        let id = secret["id"]
            .as_str()
            .map(str::to_owned)
            .or(id.map(str::to_owned))
            .ok_or_else(|| self.error(format!("{what}: the answer has no id")))?;
        self.wait_active(name, &id).await?;
        Ok(id)
    }

    /// Waits until the secret is ACTIVE (new secrets and versions are CREATING or UPDATING
    /// for a few seconds, and refuse further changes meanwhile).
    async fn wait_active(&self, name: &str, id: &str) -> Result<(), SecretsError> {
        let start = std::time::Instant::now();
        let mut delay = Duration::from_millis(250);
        loop {
            let connection = self.connection().await?;
            let url = format!(
                "{}/20180608/secrets/{}",
                connection.vault_endpoint,
                query(id)
            );
            let response = self
                .call(&format!("get secret {name}"), Method::GET, url, None)
                .await?;
            let secret: Value = serde_json::from_slice(&response.body).unwrap_or_default();
            match secret["lifecycleState"].as_str() {
                Some("ACTIVE") => return Ok(()),
                Some("CREATING" | "UPDATING") if start.elapsed() < ACTIVE_WAIT => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                state => {
                    return Err(self.error(format!(
                        "secret {name} is {} (not ACTIVE){}",
                        state.unwrap_or("in no known state"),
                        if start.elapsed() >= ACTIVE_WAIT {
                            format!(" after {} s", ACTIVE_WAIT.as_secs())
                        } else {
                            String::new()
                        }
                    )));
                }
            }
        }
    }
}

impl RemoteStore for OciTarget {
    /// The secret's OCID.
    type Handle = String;

    fn describe(&self) -> String {
        let region = self
            .client
            .get()
            .and_then(|c| c.as_ref().ok())
            .map(|c| c.region.clone())
            .or_else(|| self.region.clone());
        match region {
            Some(region) => format!("OCI Vault {} ({region})", self.config.vault_id),
            None => format!("OCI Vault {}", self.config.vault_id),
        }
    }

    /// `smi-<namespace>-<secret>`, the names `secrets external` reads for OCI Vault.
    fn remote_name(&self, namespace: &str, secret: &str) -> String {
        format!("smi-{namespace}-{secret}")
    }

    async fn fetch(&self, name: &str) -> Result<Option<(String, Properties)>, SecretsError> {
        self.get(name).await
    }

    async fn store(
        &self,
        name: &str,
        existing: Option<&String>,
        properties: &Properties,
        namespace: &str,
    ) -> Result<String, SecretsError> {
        self.put(name, existing.map(String::as_str), properties, namespace)
            .await
    }

    async fn read_back(&self, name: &str, id: &String) -> Result<Properties, SecretsError> {
        self.bundle(name, id).await
    }
}

/// Percent-encodes a query value or path segment (OCIDs hold only `.` `:` and
/// alphanumerics, names `-`; anything else is encoded).
fn query(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query("ocid1.vault.oc1..a-b_c"), "ocid1.vault.oc1..a-b_c");
        assert_eq!(query("a b:/"), "a%20b%3A%2F");
    }
}
