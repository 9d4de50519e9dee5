use crate::error::Hint;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One Kubernetes Secret the platform needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSpec {
    /// The Secret's name, a Kubernetes object name; an entry named like a built-in secret replaces it, any other name adds a secret.
    pub name: String,
    /// What the secret holds, for people reading the catalog.
    #[serde(default)]
    pub description: String,
    /// The Secret's `type` (set when it is created; Kubernetes never changes it).
    #[serde(rename = "type", default = "opaque")]
    pub secret_type: String,
    /// The keys of the Secret's data, each name once.
    pub keys: Vec<KeySpec>,
    /// Service accounts whose workloads receive the secret (`envFrom`, or a volume with `mountPath`): those of the guide's table (aisvc, filesvc, itemsvc, passportsvc, scriptmanager, ...), or any other service account the charts' workloads run as.
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeySpec {
    /// The key's name in the Secret's data (and the environment variable's name with `envFrom`).
    pub name: String,
    /// Who provides the value.
    pub source: KeySource,
    /// How a generated key is made; required for `generated` keys, not allowed for `supplied` ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
    /// For `publicKeyOf` and `selfSignedCertificateOf` (required there): the name of the key it derives from, an `ecP256PrivateKey` or `rsa3072PrivateKey` key of the same secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// For `selfSignedCertificateOf` only: the certificate's common name (default: the secret's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// For `selfSignedCertificateOf` only: how many days the certificate is valid (default 3650).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_days: Option<u32>,
}

impl KeySpec {
    /// Whether the value is computed from another key of the secret (a public key or a
    /// certificate) rather than drawn at random.
    pub fn is_derived(&self) -> bool {
        self.generator.is_some_and(Generator::is_derived)
    }
}

/// Who provides a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    /// A credential of an external system, supplied by the operator; never generated.
    Supplied,
    /// Key material the platform owns: generated once, never overwritten.
    Generated,
}

/// How a generated key is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
    /// A self-signed X.509 certificate (PEM) of the private key named by `of`; issued again when it no longer matches that key.
    SelfSignedCertificateOf,
}

impl Generator {
    /// The name as the catalog and values write it.
    pub fn name(self) -> &'static str {
        match self {
            Generator::Aes256 => "aes256",
            Generator::Random64 => "random64",
            Generator::EcP256PrivateKey => "ecP256PrivateKey",
            Generator::Rsa3072PrivateKey => "rsa3072PrivateKey",
            Generator::PublicKeyOf => "publicKeyOf",
            Generator::SelfSignedCertificateOf => "selfSignedCertificateOf",
        }
    }

    /// Whether it makes a private key that `of` may name.
    pub fn is_private_key(self) -> bool {
        matches!(
            self,
            Generator::EcP256PrivateKey | Generator::Rsa3072PrivateKey
        )
    }

    /// Whether it derives the value from the key named by `of`.
    pub fn is_derived(self) -> bool {
        matches!(
            self,
            Generator::PublicKeyOf | Generator::SelfSignedCertificateOf
        )
    }
}

impl SecretSpec {
    /// The keys whose name an earlier key of the secret already has: (index, index of the
    /// first key of that name).
    pub fn repeated_keys(&self) -> Vec<(usize, usize)> {
        self.keys
            .iter()
            .enumerate()
            .filter_map(|(index, key)| {
                let first = self.keys.iter().position(|k| k.name == key.name)?;
                (first < index).then_some((index, first))
            })
            .collect()
    }

    /// The derived keys (`publicKeyOf`, `selfSignedCertificateOf`) whose `of` is set but
    /// names no generated private key of this secret, by index.
    pub fn keys_of_no_private_key(&self) -> Vec<usize> {
        self.keys
            .iter()
            .enumerate()
            .filter(|(_, key)| key.is_derived())
            .filter(|(_, key)| {
                key.of.as_deref().is_some_and(|of| {
                    !self
                        .keys
                        .iter()
                        .any(|k| k.name == of && k.generator.is_some_and(Generator::is_private_key))
                })
            })
            .map(|(index, _)| index)
            .collect()
    }
}

const DEFAULT_CATALOG: &str = include_str!("secrets.yaml");

/// Why the secret catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A secret of the catalog (after the values' changes) is inconsistent.
    #[error("secret catalog, secret {secret}: {message}")]
    Inconsistent {
        /// The Kubernetes Secret's name.
        secret: String,
        /// What is inconsistent, e.g. `the name appears twice`.
        message: String,
    },
}

impl Hint for CatalogError {
    fn hint(&self) -> Option<&str> {
        Some(
            "fix smi.secrets.catalog in the values (each key: name, source supplied|generated, generator for generated keys)",
        )
    }
}

/// Checks what Kubernetes and the generators need: valid and unique names, a generator for
/// each generated key (and none for supplied ones), `of` naming a generated private key of
/// the same secret. `kubectl smi validate` reports the same mistakes in the values with their
/// place; this is the last guard on the catalog the commands use.
pub fn check_catalog(catalog: &[SecretSpec]) -> Result<(), CatalogError> {
    let mut names = std::collections::BTreeSet::new();
    for secret in catalog {
        if !names.insert(secret.name.as_str()) {
            return Err(inconsistent(secret, "the name appears twice".into()));
        }
        check_secret(secret).map_err(|message| inconsistent(secret, message))?;
    }
    Ok(())
}

fn inconsistent(secret: &SecretSpec, message: String) -> CatalogError {
    CatalogError::Inconsistent {
        secret: secret.name.clone(),
        message,
    }
}

fn check_secret(secret: &SecretSpec) -> Result<(), String> {
    if !is_dns_subdomain(&secret.name) {
        return Err(
            "not a valid Kubernetes object name (lowercase letters, digits, '-', '.')".into(),
        );
    }
    if let Some((index, _)) = secret.repeated_keys().first() {
        return Err(format!("key {} appears twice", secret.keys[*index].name));
    }
    // `subject` and `validityDays` only mean something to certificates.
    if let Some(key) = secret.keys.iter().find(|k| {
        (k.subject.is_some() || k.validity_days.is_some())
            && k.generator != Some(Generator::SelfSignedCertificateOf)
    }) {
        return Err(format!(
            "{}: subject and validityDays are for selfSignedCertificateOf keys",
            key.name
        ));
    }
    for key in &secret.keys {
        check_key(key)?;
    }
    let names: Vec<&str> = secret.keys.iter().map(|k| k.name.as_str()).collect();
    if let Some(lack) = typed_secret_lacks(&secret.secret_type, &names) {
        return Err(lack);
    }
    if let Some(index) = secret.keys_of_no_private_key().first() {
        let key = &secret.keys[*index];
        let generator = key.generator.map_or("", Generator::name);
        return Err(format!(
            "{} is {generator}, and `of` must name a generated private key of the same secret",
            key.name
        ));
    }
    Ok(())
}

fn check_key(key: &KeySpec) -> Result<(), String> {
    if let Err(reason) = check_key_name(&key.name) {
        return Err(format!("key {:?}: {reason}", key.name));
    }
    match (key.source, key.generator) {
        (KeySource::Generated, None) => {
            Err(format!("generated key {} needs a generator", key.name))
        }
        (KeySource::Supplied, Some(_)) => {
            Err(format!("supplied key {} cannot have a generator", key.name))
        }
        _ if !key.subject.as_deref().is_none_or(is_certificate_subject) => Err(format!(
            "{}: subject must be 1 to 64 letters, digits, spaces, '-', '.' or '_'",
            key.name
        )),
        _ => Ok(()),
    }
}

/// What Kubernetes requires of a Secret of `secret_type` that its keys lack
/// (`ValidateSecret` of pkg/apis/core/validation: `kubernetes.io/tls` needs `tls.crt` and
/// `tls.key`, `basic-auth` `username` or `password`, `ssh-auth` `ssh-privatekey`,
/// `dockerconfigjson` `.dockerconfigjson`, `dockercfg` `.dockercfg`;
/// `service-account-token` needs the annotation `kubernetes.io/service-account.name`, which
/// kubectl-smi never sets). None when the keys satisfy the type (any other type has no rule).
pub fn typed_secret_lacks(secret_type: &str, keys: &[&str]) -> Option<String> {
    let has = |k: &str| keys.contains(&k);
    let missing = |needed: &[&str]| -> Option<String> {
        let absent: Vec<&str> = needed.iter().copied().filter(|k| !has(k)).collect();
        (!absent.is_empty()).then(|| {
            format!(
                "a Secret of type {secret_type} needs the key{} {}; {} missing",
                if needed.len() > 1 { "s" } else { "" },
                needed.join(" and "),
                absent.join(" and ")
            )
        })
    };
    match secret_type {
        "kubernetes.io/tls" => missing(&["tls.crt", "tls.key"]),
        "kubernetes.io/ssh-auth" => missing(&["ssh-privatekey"]),
        "kubernetes.io/dockerconfigjson" => missing(&[".dockerconfigjson"]),
        "kubernetes.io/dockercfg" => missing(&[".dockercfg"]),
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => Some(
            "a Secret of type kubernetes.io/basic-auth needs the key username or password; both are missing".to_owned(),
        ),
        "kubernetes.io/service-account-token" => Some(
            "a Secret of type kubernetes.io/service-account-token needs the annotation kubernetes.io/service-account.name, which kubectl-smi does not set (Kubernetes makes such secrets for service accounts itself)".to_owned(),
        ),
        _ => None,
    }
}

/// The common names a self-signed certificate may have: 1 to 64 letters, digits, spaces,
/// '-', '.' or '_'.
pub fn is_certificate_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.len() <= 64
        && subject
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_'))
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

/// The built-in secret catalog (read from its embedded YAML once per process: every render
/// builds two filters from it).
pub fn default_secrets() -> Vec<SecretSpec> {
    static CATALOG: std::sync::LazyLock<Vec<SecretSpec>> = std::sync::LazyLock::new(|| {
        serde_saphyr::from_str(DEFAULT_CATALOG).expect("the built-in secret catalog is valid")
    });
    CATALOG.clone()
}

/// The built-in catalog with the values' entries applied: an entry with the name of a
/// built-in secret replaces it, any other is added.
pub fn secret_catalog(overrides: &[SecretSpec]) -> Result<Vec<SecretSpec>, CatalogError> {
    let mut catalog = default_secrets();
    for spec in overrides {
        match catalog.iter_mut().find(|s| s.name == spec.name) {
            Some(existing) => *existing = spec.clone(),
            None => catalog.push(spec.clone()),
        }
    }
    check_catalog(&catalog)?;
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::service_account;

    fn spec(entry: serde_json::Value) -> SecretSpec {
        serde_json::from_value(entry).expect("a secret description")
    }

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
            spec(
                serde_json::json!({"name": "smi-smtp", "keys": [{"name": "SMTP_TOKEN", "source": "supplied"}]}),
            ),
            spec(serde_json::json!({"name": "extra", "keys": []})),
        ];
        let catalog = secret_catalog(&overrides).unwrap();
        let smtp = catalog.iter().find(|s| s.name == "smi-smtp").unwrap();
        assert_eq!(smtp.keys[0].name, "SMTP_TOKEN");
        assert!(catalog.iter().any(|s| s.name == "extra"));
    }

    #[test]
    fn generators_are_named_as_serde_writes_them() {
        for generator in [
            Generator::Aes256,
            Generator::Random64,
            Generator::EcP256PrivateKey,
            Generator::Rsa3072PrivateKey,
            Generator::PublicKeyOf,
            Generator::SelfSignedCertificateOf,
        ] {
            assert_eq!(
                serde_json::to_value(generator).unwrap(),
                generator.name(),
                "{generator:?}"
            );
        }
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
                serde_json::json!({"name": "x", "keys": [
                    {"name": "K", "source": "generated", "generator": "aes256"},
                    {"name": "P", "source": "generated", "generator": "publicKeyOf", "of": "K"}
                ]}),
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
            let err = secret_catalog(&[spec(entry.clone())])
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{entry}: {err}");
        }
    }
}
