//! AWS Secrets Manager as the backup: one secret per Kubernetes Secret, named
//! `<prefix><namespace>/<secret>`, holding its keys as JSON properties (the layout External
//! Secrets Operator reads with `remoteRef.property`). Secrets Manager keeps versions: a
//! rotation writes the old values first, so they stay as the AWSPREVIOUS version.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_secretsmanager::types::Tag;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use crate::secrets::error::SecretsError;
use crate::secrets::manifest::FIELD_MANAGER;
use crate::secrets::value::SecretValue;
use crate::values::AwsSecretsManagerBackup;

use super::{BackupDocument, Found, KeyValues};

pub struct AwsTarget {
    region: Option<String>,
    prefix: String,
    kms_key_id: Option<String>,
    client: OnceCell<Client>,
}

/// The JSON properties of one Secrets Manager secret.
type Properties = BTreeMap<String, SecretValue>;

impl AwsTarget {
    pub fn new(config: &AwsSecretsManagerBackup, default_region: Option<&str>) -> Self {
        AwsTarget {
            region: config.region.clone().or(default_region.map(str::to_owned)),
            prefix: config.prefix.clone(),
            kms_key_id: config.kms_key_id.clone(),
            client: OnceCell::new(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.region {
            Some(region) => format!("AWS Secrets Manager ({region})"),
            None => "AWS Secrets Manager".to_owned(),
        }
    }

    fn error(&self, message: impl Into<String>) -> SecretsError {
        SecretsError::Backup {
            target: self.describe(),
            message: message.into(),
        }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                Client::new(&crate::aws_sdk::loader(self.region.as_deref()).load().await)
            })
            .await
    }

    fn name(&self, namespace: &str, secret: &str) -> String {
        format!("{}{namespace}/{secret}", self.prefix)
    }

    /// Writes every secret of the document that holds key material, then reads each back.
    pub async fn write(&self, document: &BackupDocument) -> Result<String, SecretsError> {
        let mut names = Vec::new();
        for secret in secrets_of(&document.keys) {
            let name = self.name(&document.namespace, &secret);
            let mut current = self.get(&name).await?;
            let previous = properties_of(&document.previous, &secret);
            if !previous.is_empty() {
                // Keep the replaced values as a version of their own before the new ones.
                let mut with_old = current.clone().unwrap_or_default();
                with_old.extend(previous);
                if current.as_ref() != Some(&with_old) {
                    self.put(&name, &with_old, current.is_none(), &document.namespace)
                        .await?;
                    current = Some(with_old);
                }
            }
            let mut merged = current.clone().unwrap_or_default();
            merged.extend(properties_of(&document.keys, &secret));
            if current.as_ref() != Some(&merged) {
                self.put(&name, &merged, current.is_none(), &document.namespace)
                    .await?;
                let read = self.get(&name).await?;
                if read.as_ref() != Some(&merged) {
                    return Err(self.error(format!("{name} does not read back as written")));
                }
            }
            names.push(name);
        }
        Ok(format!("{}: {}", self.describe(), names.join(", ")))
    }

    /// The key values stored for the namespace's secrets.
    pub async fn read(
        &self,
        namespace: &str,
        secrets: &[String],
    ) -> Result<Option<Found>, SecretsError> {
        let mut values = KeyValues::new();
        let mut read = Vec::new();
        for secret in secrets {
            let name = self.name(namespace, secret);
            if let Some(properties) = self.get(&name).await? {
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
            location: format!("{}: {}", self.describe(), read.join(", ")),
            values,
        }))
    }

    async fn get(&self, name: &str) -> Result<Option<Properties>, SecretsError> {
        let result = self
            .client()
            .await
            .get_secret_value()
            .secret_id(name)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(self.error(format!("cannot read {name}: {}", DisplayErrorContext(&e))));
            }
        };
        let text = Zeroizing::new(output.secret_string().unwrap_or("{}").to_owned());
        let json: Value = serde_json::from_str(&text)
            .map_err(|_| self.error(format!("{name} does not hold a JSON object of keys")))?;
        let object = json
            .as_object()
            .ok_or_else(|| self.error(format!("{name} does not hold a JSON object of keys")))?;
        let properties = object
            .iter()
            .filter_map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), SecretValue::new(v.as_bytes().to_vec())))
            })
            .collect();
        Ok(Some(properties))
    }

    async fn put(
        &self,
        name: &str,
        properties: &Properties,
        create: bool,
        namespace: &str,
    ) -> Result<(), SecretsError> {
        let mut object = Map::new();
        for (key, value) in properties {
            let text = value.as_text().ok_or_else(|| {
                self.error(format!(
                    "{name}: {key} is binary; Secrets Manager JSON properties hold text only"
                ))
            })?;
            object.insert(key.clone(), Value::from(text));
        }
        let text = Zeroizing::new(Value::Object(object).to_string());
        let client = self.client().await;
        let result = if create {
            let tags = [
                ("app.kubernetes.io/managed-by", FIELD_MANAGER),
                ("smi.dtplatform.io/namespace", namespace),
            ];
            let mut request = client
                .create_secret()
                .name(name)
                .description("Key material of the SMI platform, backed up by kubectl-smi")
                .secret_string(text.as_str());
            for (key, value) in tags {
                request = request.tags(Tag::builder().key(key).value(value).build());
            }
            if let Some(kms) = &self.kms_key_id {
                request = request.kms_key_id(kms);
            }
            request.send().await.map(|_| ()).map_err(|e| {
                (
                    e.code().map(str::to_owned),
                    DisplayErrorContext(e).to_string(),
                )
            })
        } else {
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(text.as_str())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    (
                        e.code().map(str::to_owned),
                        DisplayErrorContext(e).to_string(),
                    )
                })
        };
        result.map_err(|(code, message)| {
            let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
            self.error(format!("cannot write {name}{code}: {message}"))
        })
    }
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
