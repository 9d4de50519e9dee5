//! `secrets status`: each secret of the catalog, present or missing, its keys, who provides
//! them and when they last changed. Values are never read into the report.

use serde::Serialize;

use crate::catalog::{KeySource, SecretSpec};
use crate::cluster::Connection;

use super::error::SecretsError;
use super::live;
use super::manifest::{ENVIRONMENT_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL};

/// What `secrets status` reports: the namespace and each secret of the catalog.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The namespace inspected.
    pub namespace: String,
    /// Whether the namespace exists; when it does not, every secret is missing.
    pub namespace_exists: bool,
    /// One entry per catalog secret, in catalog order.
    pub secrets: Vec<SecretStatus>,
}

/// One catalog secret as found in the cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    /// The Kubernetes Secret's name, from the secret catalog.
    pub name: String,
    /// Whether the Secret exists in the namespace.
    pub present: bool,
    /// `kubectl-smi`, `external-secrets (ExternalSecret NAME)`, or `other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    /// The installation label on the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// One entry per key the catalog lists for the secret, in catalog order.
    pub keys: Vec<KeyStatus>,
    /// Keys in the secret that the catalog does not list (names only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_keys: Vec<String>,
}

/// One catalog key of a secret: present or not, and its recorded history.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    /// The key's name within the Secret.
    pub name: String,
    /// Whether the Secret holds the key.
    pub present: bool,
    /// `supplied`, `generated` or `derived` (from the catalog).
    pub source: &'static str,
    /// When kubectl-smi first wrote or adopted the key (RFC 3339, UTC); none without a record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The last rotation, as recorded by kubectl-smi; none when never rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotation: Option<String>,
}

impl StatusReport {
    /// How many catalog keys are absent from the cluster, over all secrets.
    pub fn missing_keys(&self) -> usize {
        self.secrets
            .iter()
            .flat_map(|s| &s.keys)
            .filter(|k| !k.present)
            .count()
    }
}

/// Reads the namespace and each catalog secret (metadata and key names, never reporting values).
/// Errors: [`SecretsError::Cluster`] when a Kubernetes API request fails.
pub async fn status(
    conn: &Connection,
    namespace: &str,
    catalog: &[SecretSpec],
) -> Result<StatusReport, SecretsError> {
    use k8s_openapi::api::core::v1::Namespace;
    let namespaces: kube::Api<Namespace> = kube::Api::all(conn.client.clone());
    let namespace_exists = namespaces
        .get_metadata_opt(namespace)
        .await
        .map_err(|e| {
            crate::cluster::ClusterError::request(
                format!("read namespace {namespace}"),
                &conn.server,
                e,
            )
        })?
        .is_some();
    let names: Vec<String> = catalog.iter().map(|s| s.name.clone()).collect();
    let found = if namespace_exists {
        live::read_all(conn, namespace, &names).await?
    } else {
        Default::default()
    };
    let secrets = catalog
        .iter()
        .map(|spec| {
            let live = found.get(&spec.name);
            let keys = spec
                .keys
                .iter()
                .map(|key| {
                    let record = live.and_then(|l| l.records.get(&key.name));
                    KeyStatus {
                        name: key.name.clone(),
                        present: live.is_some_and(|l| l.data.contains_key(&key.name)),
                        source: match key.source {
                            KeySource::Supplied => "supplied",
                            KeySource::Generated if key.is_derived() => "derived",
                            KeySource::Generated => "generated",
                        },
                        created: record.map(|r| r.created.clone()),
                        last_rotation: record.and_then(|r| r.rotated.clone()),
                    }
                })
                .collect();
            SecretStatus {
                name: spec.name.clone(),
                present: live.is_some(),
                managed_by: live.map(|l| match &l.external_owner {
                    Some(owner) => format!("external-secrets (ExternalSecret {owner})"),
                    None if l.labels.get(MANAGED_BY_LABEL).map(String::as_str)
                        == Some(FIELD_MANAGER) =>
                    {
                        FIELD_MANAGER.to_owned()
                    }
                    None => "other".to_owned(),
                }),
                environment: live.and_then(|l| l.labels.get(ENVIRONMENT_LABEL).cloned()),
                keys,
                other_keys: live
                    .map(|l| {
                        l.data
                            .keys()
                            .filter(|k| !spec.keys.iter().any(|s| &s.name == *k))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(StatusReport {
        namespace: namespace.to_owned(),
        namespace_exists,
        secrets,
    })
}

/// The report as a table for a terminal.
pub fn status_text(report: &StatusReport) -> String {
    let mut out = String::new();
    if !report.namespace_exists {
        out.push_str(&format!("namespace {} does not exist\n", report.namespace));
    }
    let mut rows = vec![[
        "SECRET".to_owned(),
        "KEY".to_owned(),
        "STATUS".to_owned(),
        "SOURCE".to_owned(),
        "CREATED".to_owned(),
        "LAST ROTATION".to_owned(),
    ]];
    for secret in &report.secrets {
        for key in &secret.keys {
            let status = match (secret.present, key.present) {
                (false, _) => "missing (secret absent)",
                (true, false) => "missing",
                (true, true) => "present",
            };
            rows.push([
                secret.name.clone(),
                key.name.clone(),
                status.to_owned(),
                key.source.to_owned(),
                key.created.clone().unwrap_or_else(|| "-".to_owned()),
                key.last_rotation
                    .clone()
                    .unwrap_or_else(|| "never".to_owned()),
            ]);
        }
        for other in &secret.other_keys {
            rows.push([
                secret.name.clone(),
                other.clone(),
                "present".into(),
                "not in catalog".into(),
                "-".into(),
                "-".into(),
            ]);
        }
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    let missing = report.missing_keys();
    let total: usize = report.secrets.iter().map(|s| s.keys.len()).sum();
    out.push_str(&format!(
        "{} of {total} keys present, {missing} missing\n",
        total - missing
    ));
    for secret in report
        .secrets
        .iter()
        .filter(|s| s.managed_by.as_deref().is_some_and(|m| m != FIELD_MANAGER))
    {
        out.push_str(&format!(
            "note: {} is managed by {}\n",
            secret.name,
            secret.managed_by.as_deref().unwrap_or_default()
        ));
    }
    out
}
