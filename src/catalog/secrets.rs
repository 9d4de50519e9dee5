use serde::{Deserialize, Serialize};

/// One Kubernetes Secret the platform needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub keys: Vec<KeySpec>,
    /// Service accounts whose workloads receive the secret.
    #[serde(default)]
    pub consumers: Vec<String>,
    /// Mount the keys as files here instead of exposing them as environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeySpec {
    pub name: String,
    pub source: KeySource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
    /// For `publicKeyOf`: the private key it derives from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    /// A credential of an external system, supplied by the operator; never generated.
    Supplied,
    /// Key material the platform owns: generated once, never overwritten.
    Generated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Generator {
    /// 32 random bytes, base64.
    Aes256,
    /// 64 random bytes, base64url.
    Random64,
    /// An EC P-256 private key, PKCS#8 PEM.
    EcP256PrivateKey,
    /// An RSA 3072 private key, PKCS#8 PEM.
    Rsa3072PrivateKey,
    /// The public key (SPKI PEM) of the private key named by `of`.
    PublicKeyOf,
}

const DEFAULT_CATALOG: &str = include_str!("secrets.yaml");

/// Why the secret catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// An entry of `smi.secrets.catalog` is not a secret description.
    #[error("smi.secrets.catalog[{index}]: {message}")]
    Entry { index: usize, message: String },
}

/// The built-in secret catalog.
pub fn default_secrets() -> Vec<SecretSpec> {
    serde_saphyr::from_str(DEFAULT_CATALOG).expect("the built-in secret catalog is valid")
}

/// The built-in catalog with the values' entries applied: an entry with the name of a
/// built-in secret replaces it, any other is added.
pub fn secret_catalog(overrides: &[serde_json::Value]) -> Result<Vec<SecretSpec>, CatalogError> {
    let mut catalog = default_secrets();
    for (index, entry) in overrides.iter().enumerate() {
        let spec: SecretSpec =
            serde_json::from_value(entry.clone()).map_err(|e| CatalogError::Entry {
                index,
                message: e.to_string(),
            })?;
        match catalog.iter_mut().find(|s| s.name == spec.name) {
            Some(existing) => *existing = spec,
            None => catalog.push(spec),
        }
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::service_account;

    #[test]
    fn the_default_catalog_reads_and_names_real_service_accounts() {
        let catalog = default_secrets();
        assert!(catalog.len() >= 10);
        for secret in &catalog {
            for consumer in &secret.consumers {
                assert!(service_account(consumer).is_some(), "{consumer} in {}", secret.name);
            }
        }
    }

    #[test]
    fn values_replace_and_extend_entries() {
        let overrides = vec![
            serde_json::json!({"name": "smi-smtp", "keys": [{"name": "SMTP_TOKEN", "source": "supplied"}]}),
            serde_json::json!({"name": "extra", "keys": []}),
        ];
        let catalog = secret_catalog(&overrides).unwrap();
        let smtp = catalog.iter().find(|s| s.name == "smi-smtp").unwrap();
        assert_eq!(smtp.keys[0].name, "SMTP_TOKEN");
        assert!(catalog.iter().any(|s| s.name == "extra"));
    }
}
