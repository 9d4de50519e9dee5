//! AWS Secrets Manager as the backup: one secret per Kubernetes Secret, named
//! `<prefix><namespace>/<secret>`, holding its keys as JSON properties (the layout External
//! Secrets Operator reads with `remoteRef.property`). Secrets Manager keeps versions: a
//! rotation writes the old values first, so they stay as the AWSPREVIOUS version.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_secretsmanager::types::Tag;
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use crate::secrets::error::SecretsError;
use crate::secrets::manifest::FIELD_MANAGER;
use crate::values::AwsSecretsManagerBackup;

use super::remote::{self, Properties, RemoteStore};

pub struct AwsTarget {
    region: Option<String>,
    prefix: String,
    kms_key_id: Option<String>,
    client: OnceCell<Client>,
}

impl AwsTarget {
    pub fn new(config: &AwsSecretsManagerBackup, default_region: Option<&str>) -> Self {
        AwsTarget {
            region: config.region.clone().or(default_region.map(str::to_owned)),
            prefix: config.prefix.clone(),
            kms_key_id: config.kms_key_id.clone(),
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                Client::new(&crate::aws_sdk::loader(self.region.as_deref()).load().await)
            })
            .await
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
        remote::from_json_text(text.as_bytes())
            .map(Some)
            .ok_or_else(|| self.error(format!("{name} does not hold a JSON object of keys")))
    }

    async fn put(
        &self,
        name: &str,
        properties: &Properties,
        create: bool,
        namespace: &str,
    ) -> Result<(), SecretsError> {
        let text = remote::to_json_text(properties).map_err(|key| {
            self.error(format!(
                "{name}: {key} is binary; Secrets Manager JSON properties hold text only"
            ))
        })?;
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

impl RemoteStore for AwsTarget {
    /// Secrets Manager addresses a secret by its name.
    type Handle = ();

    fn describe(&self) -> String {
        match &self.region {
            Some(region) => format!("AWS Secrets Manager ({region})"),
            None => "AWS Secrets Manager".to_owned(),
        }
    }

    fn remote_name(&self, namespace: &str, secret: &str) -> String {
        format!("{}{namespace}/{secret}", self.prefix)
    }

    async fn fetch(&self, name: &str) -> Result<Option<((), Properties)>, SecretsError> {
        Ok(self.get(name).await?.map(|properties| ((), properties)))
    }

    async fn store(
        &self,
        name: &str,
        existing: Option<&()>,
        properties: &Properties,
        namespace: &str,
    ) -> Result<(), SecretsError> {
        self.put(name, properties, existing.is_none(), namespace)
            .await
    }

    async fn read_back(&self, name: &str, _: &()) -> Result<Properties, SecretsError> {
        Ok(self.get(name).await?.unwrap_or_default())
    }
}
