use crate::error::Hint;
use serde::{Deserialize, Serialize};

/// One Kubernetes Secret the platform needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The Secret's `type` (set when it is created; Kubernetes never changes it).
    #[serde(rename = "type", default = "opaque")]
    pub secret_type: String,
    pub keys: Vec<KeySpec>,
    /// Service accounts whose workloads receive the secret.
    #[serde(default)]
    pub consumers: Vec<String>,
    /// Mount the keys as files here instead of exposing them as environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
}

fn opaque() -> String {
    "Opaque".to_owned()
}

/// One key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeySpec {
    pub name: String,
    pub source: KeySource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
    /// For `publicKeyOf` and `selfSignedCertificateOf`: the private key it derives from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// For `selfSignedCertificateOf`: the certificate's common name (default: the secret's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// For `selfSignedCertificateOf`: how long the certificate is valid (default 3650 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_days: Option<u32>,
}

impl KeySpec {
    /// Whether the value is computed from another key of the secret (a public key or a
    /// certificate) rather than drawn at random.
    pub fn is_derived(&self) -> bool {
        matches!(
            self.generator,
            Some(Generator::PublicKeyOf | Generator::SelfSignedCertificateOf)
        )
    }
}

/// Who provides a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    /// A credential of an external system, supplied by the operator; never generated.
    Supplied,
    /// Key material the platform owns: generated once, never overwritten.
    Generated,
}

/// How a generated key is made.
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
    /// A self-signed X.509 certificate (PEM) of the private key named by `of`; issued again
    /// when it no longer matches that key.
    SelfSignedCertificateOf,
}

const DEFAULT_CATALOG: &str = include_str!("secrets.yaml");

/// Why the secret catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// An entry of `smi.secrets.catalog` is not a secret description.
    #[error("smi.secrets.catalog[{index}]: {message}")]
    Entry { index: usize, message: String },
    /// A secret of the catalog (after the values' changes) is inconsistent.
    #[error("secret catalog, secret {secret}: {message}")]
    Inconsistent { secret: String, message: String },
}

impl Hint for CatalogError {
    fn hint(&self) -> Option<&str> {
        Some(
            "fix smi.secrets.catalog in the values (each key: name, source supplied|generated, generator for generated keys)",
        )
    }
}

/// Checks what Kubernetes and the generators need: valid and unique names, a generator for
/// each generated key (and none for supplied ones), `publicKeyOf` naming a private key of
/// the same secret.
pub fn check_catalog(catalog: &[SecretSpec]) -> Result<(), CatalogError> {
    let mut names = std::collections::BTreeSet::new();
    for secret in catalog {
        let fail = |message: String| CatalogError::Inconsistent {
            secret: secret.name.clone(),
            message,
        };
        if !names.insert(secret.name.as_str()) {
            return Err(fail("the name appears twice".into()));
        }
        if !is_dns_subdomain(&secret.name) {
            return Err(fail(
                "not a valid Kubernetes object name (lowercase letters, digits, '-', '.')".into(),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        // `subject` and `validityDays` only mean something to certificates.
        if let Some(key) = secret.keys.iter().find(|k| {
            (k.subject.is_some() || k.validity_days.is_some())
                && k.generator != Some(Generator::SelfSignedCertificateOf)
        }) {
            return Err(fail(format!(
                "{}: subject and validityDays are for selfSignedCertificateOf keys",
                key.name
            )));
        }
        for key in &secret.keys {
            if !keys.insert(key.name.as_str()) {
                return Err(fail(format!("key {} appears twice", key.name)));
            }
            if let Err(reason) = check_key_name(&key.name) {
                return Err(fail(format!("key {:?}: {reason}", key.name)));
            }
            match (key.source, key.generator) {
                (KeySource::Generated, None) => {
                    return Err(fail(format!(
                        "generated key {} needs a generator",
                        key.name
                    )));
                }
                (KeySource::Supplied, Some(_)) => {
                    return Err(fail(format!(
                        "supplied key {} cannot have a generator",
                        key.name
                    )));
                }
                (
                    _,
                    Some(generator @ (Generator::PublicKeyOf | Generator::SelfSignedCertificateOf)),
                ) => {
                    let private = key
                        .of
                        .as_deref()
                        .and_then(|of| secret.keys.iter().find(|k| k.name == of));
                    let is_private = private.is_some_and(|k| {
                        matches!(
                            k.generator,
                            Some(Generator::EcP256PrivateKey | Generator::Rsa3072PrivateKey)
                        )
                    });
                    if !is_private {
                        let name = if generator == Generator::PublicKeyOf {
                            "publicKeyOf"
                        } else {
                            "selfSignedCertificateOf"
                        };
                        return Err(fail(format!(
                            "{} is {name}, and `of` must name a generated private key of the same secret",
                            key.name
                        )));
                    }
                    let subject_ok = key.subject.as_deref().is_none_or(|s| {
                        !s.is_empty()
                            && s.len() <= 64
                            && s.chars().all(|c| {
                                c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_')
                            })
                    });
                    if !subject_ok {
                        return Err(fail(format!(
                            "{}: subject must be 1 to 64 letters, digits, spaces, '-', '.' or '_'",
                            key.name
                        )));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The rule Kubernetes applies to keys of a Secret's data.
pub fn check_key_name(key: &str) -> Result<(), &'static str> {
    if key.is_empty() || key.len() > 253 {
        return Err("a key must be 1 to 253 characters long");
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("Kubernetes accepts only letters, digits, '-', '_' and '.' in a key");
    }
    if key == "." || key == ".." || key.starts_with("..") {
        return Err("a key cannot be '.' or '..' or start with '..'");
    }
    Ok(())
}

fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
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
    check_catalog(&catalog)?;
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
                assert!(
                    service_account(consumer).is_some(),
                    "{consumer} in {}",
                    secret.name
                );
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

    #[test]
    fn the_default_catalog_is_consistent() {
        check_catalog(&default_secrets()).unwrap();
    }

    #[test]
    fn inconsistent_entries_are_refused() {
        let cases = [
            (
                serde_json::json!({"name": "x", "keys": [{"name": "a b", "source": "supplied"}]}),
                "only letters",
            ),
            (
                serde_json::json!({"name": "x", "keys": [{"name": "K", "source": "generated"}]}),
                "needs a generator",
            ),
            (
                serde_json::json!({"name": "x", "keys": [{"name": "K", "source": "supplied", "generator": "aes256"}]}),
                "cannot have a generator",
            ),
            (
                serde_json::json!({"name": "x", "keys": [{"name": "P", "source": "generated", "generator": "publicKeyOf", "of": "nope"}]}),
                "must name a generated private key",
            ),
            (
                serde_json::json!({"name": "x", "keys": [{"name": "K", "source": "generated", "generator": "aes256", "subject": "k"}]}),
                "subject and validityDays are for selfSignedCertificateOf keys",
            ),
            (
                serde_json::json!({"name": "x", "keys": [
                    {"name": "k.pem", "source": "generated", "generator": "ecP256PrivateKey"},
                    {"name": "c.pem", "source": "generated", "generator": "selfSignedCertificateOf", "of": "k.pem", "subject": "a/b"}
                ]}),
                "subject must be 1 to 64 letters",
            ),
            (
                serde_json::json!({"name": "Bad_Name", "keys": []}),
                "not a valid Kubernetes object name",
            ),
            (
                serde_json::json!({"name": "x", "keys": [{"name": "K", "source": "supplied"}, {"name": "K", "source": "supplied"}]}),
                "appears twice",
            ),
        ];
        for (entry, expected) in cases {
            let err = secret_catalog(std::slice::from_ref(&entry))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{entry}: {err}");
        }
    }
}
