//! `secrets external`: External Secrets Operator resources (external-secrets.io/v1) that
//! make the catalog's Secrets from AWS Secrets Manager or OCI Vault, for installations that
//! keep secret values out of the cluster's apply path. One remote secret per Kubernetes
//! Secret, its keys as JSON properties: the layout the AWS backup writes.

use serde_json::{Value, json};

use crate::catalog::SecretSpec;
use crate::values::{ExternalProvider, ExternalSecrets, Provider, Smi, StoreKind};

use super::error::SecretsError;
use super::manifest::{ENVIRONMENT_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL};

/// The API version of the operator's resources.
pub const ESO_API_VERSION: &str = "external-secrets.io/v1";

/// The SecretStore (unless it exists already) and one ExternalSecret per catalog secret.
pub fn external_resources(
    smi: &Smi,
    namespace: &str,
    catalog: &[SecretSpec],
) -> Result<Vec<Value>, SecretsError> {
    let config = smi.secrets.external.clone().unwrap_or_default();
    let provider = config.provider.unwrap_or(match smi.cloud.provider {
        Provider::Aws => ExternalProvider::AwsSecretsManager,
        Provider::Oci => ExternalProvider::OciVault,
    });
    let prefix = config.key_prefix.clone().unwrap_or_else(|| match provider {
        ExternalProvider::AwsSecretsManager => format!("smi/{namespace}/"),
        ExternalProvider::OciVault => format!("smi-{namespace}-"),
    });
    let mut objects = Vec::new();
    if config.store.create {
        objects.push(store(smi, &config, provider, namespace)?);
    }
    for secret in catalog {
        objects.push(external_secret(
            secret,
            &config,
            &prefix,
            namespace,
            &smi.environment,
        ));
    }
    Ok(objects)
}

fn labels(environment: &str) -> Value {
    json!({MANAGED_BY_LABEL: FIELD_MANAGER, ENVIRONMENT_LABEL: environment})
}

fn store(
    smi: &Smi,
    config: &ExternalSecrets,
    provider: ExternalProvider,
    namespace: &str,
) -> Result<Value, SecretsError> {
    let cluster_wide = config.store.kind == StoreKind::ClusterSecretStore;
    // A ClusterSecretStore serves every namespace, so its service account must name one.
    let service_account_ref = |name: &str| {
        if cluster_wide {
            json!({"name": name, "namespace": namespace})
        } else {
            json!({"name": name})
        }
    };
    let provider_spec = match provider {
        ExternalProvider::AwsSecretsManager => {
            let aws = config.aws.clone().unwrap_or_default();
            let region = aws
                .region
                .or_else(|| smi.cloud.aws.as_ref().map(|a| a.region.clone()))
                .ok_or_else(|| SecretsError::External("smi.secrets.external.aws.region (or smi.cloud.aws.region) is needed for the AWS Secrets Manager store".into()))?;
            let mut spec = json!({"service": "SecretsManager", "region": region});
            if let Some(role) = aws.role {
                spec["role"] = json!(role);
            }
            if let Some(sa) = aws.service_account {
                spec["auth"] = json!({"jwt": {"serviceAccountRef": service_account_ref(&sa)}});
            }
            json!({"aws": spec})
        }
        ExternalProvider::OciVault => {
            let oci = config.oci.clone().ok_or_else(|| {
                SecretsError::External(
                    "smi.secrets.external.oci.vaultId is needed for the OCI Vault store".into(),
                )
            })?;
            let region = oci
                .region
                .or_else(|| smi.cloud.oci.as_ref().map(|o| o.region.clone()))
                .ok_or_else(|| SecretsError::External("smi.secrets.external.oci.region (or smi.cloud.oci.region) is needed for the OCI Vault store".into()))?;
            let mut spec = json!({"vault": oci.vault_id, "region": region});
            match oci.service_account {
                Some(sa) => {
                    spec["principalType"] = json!("Workload");
                    spec["serviceAccountRef"] = service_account_ref(&sa);
                }
                None => spec["principalType"] = json!("InstancePrincipal"),
            }
            json!({"oracle": spec})
        }
    };
    let kind = match config.store.kind {
        StoreKind::SecretStore => "SecretStore",
        StoreKind::ClusterSecretStore => "ClusterSecretStore",
    };
    let mut metadata = json!({"name": config.store.name});
    if !cluster_wide {
        metadata["namespace"] = json!(namespace);
    }
    metadata["labels"] = labels(&smi.environment);
    Ok(json!({
        "apiVersion": ESO_API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "spec": {"provider": provider_spec},
    }))
}

fn external_secret(
    secret: &SecretSpec,
    config: &ExternalSecrets,
    prefix: &str,
    namespace: &str,
    environment: &str,
) -> Value {
    let remote = format!("{prefix}{}", secret.name);
    let data: Vec<Value> = secret
        .keys
        .iter()
        .map(|key| json!({"secretKey": key.name, "remoteRef": {"key": remote, "property": key.name}}))
        .collect();
    let store_kind = match config.store.kind {
        StoreKind::SecretStore => "SecretStore",
        StoreKind::ClusterSecretStore => "ClusterSecretStore",
    };
    json!({
        "apiVersion": ESO_API_VERSION,
        "kind": "ExternalSecret",
        "metadata": {"name": secret.name, "namespace": namespace, "labels": labels(environment)},
        "spec": {
            "refreshInterval": config.refresh_interval,
            "secretStoreRef": {"name": config.store.name, "kind": store_kind},
            "target": {
                "name": secret.name,
                "creationPolicy": "Owner",
                // Key material must outlive a deleted remote secret: keep the Kubernetes Secret.
                "deletionPolicy": "Retain",
                "template": {
                    "type": secret.secret_type,
                    "metadata": {"labels": {ENVIRONMENT_LABEL: environment}},
                },
            },
            "data": data,
        },
    })
}
