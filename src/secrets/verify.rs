//! `secrets backup verify`: each configured backup target's newest backup of the namespace,
//! compared key by key with the cluster's secrets inside this process. The report holds
//! names and verdicts only: never a value, never a digest of one.
//!
//! Backups hold the key material kubectl-smi generates (the catalog's generated and
//! derived keys); supplied credentials, keys the catalog does not list and secrets External
//! Secrets Operator manages are not backed up, so they are counted as not compared unless
//! a backup holds them anyway.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::catalog::{KeySource, SecretSpec};
use crate::cluster::Connection;

use super::backup::{Backups, KeyValues};
use super::error::SecretsError;
use super::live;
use super::plan::LiveSecret;

/// How one key of the cluster or of a backup compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Verdict {
    /// The backup holds the key with the cluster's value, byte for byte.
    #[serde(rename = "matches")]
    Matches,
    /// The backup holds the key with another value (rotated since, or changed by hand).
    #[serde(rename = "differs")]
    Differs,
    /// Generated key material the cluster holds and the backup does not.
    #[serde(rename = "missing from backup")]
    MissingFromBackup,
    /// A key the backup holds and the cluster does not (`secrets create` would restore it).
    #[serde(rename = "only in backup")]
    OnlyInBackup,
}

impl Verdict {
    /// The words printed: `matches`, `differs`, `missing from backup`, `only in backup`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Matches => "matches",
            Verdict::Differs => "differs",
            Verdict::MissingFromBackup => "missing from backup",
            Verdict::OnlyInBackup => "only in backup",
        }
    }

    /// Whether a restore from the backup would not give the cluster's key back as it is.
    pub fn blocks_restore(self) -> bool {
        matches!(self, Verdict::Differs | Verdict::MissingFromBackup)
    }
}

/// One key and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyVerdict {
    /// The Kubernetes Secret's name.
    pub secret: String,
    /// The key within it.
    pub key: String,
    /// How the backup's value compares with the cluster's.
    pub status: Verdict,
}

/// One backup target's newest backup, compared.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetReport {
    /// The target: `file DIRECTORY`, `AWS Secrets Manager (REGION)`, `OCI Vault OCID (REGION)`.
    pub target: String,
    /// What was read: a file's path, or the store and its secrets; none when the target
    /// holds no backup of the namespace.
    pub location: Option<String>,
    /// Every key compared, by secret then key.
    pub keys: Vec<KeyVerdict>,
    /// Whether this backup could restore the cluster's generated keys as they are (no key
    /// differs or is missing from it).
    pub restores: bool,
}

/// A key of the cluster that no backup is expected to hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCompared {
    /// The Kubernetes Secret's name.
    pub secret: String,
    /// The key within it.
    pub key: String,
    /// `supplied`, `not in the catalog` or `managed by External Secrets Operator`.
    pub reason: &'static str,
}

/// What `secrets backup verify` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// The namespace whose secrets were read.
    pub namespace: String,
    /// How many of the catalog's secrets exist in the namespace.
    pub secrets_found: usize,
    /// One entry per configured target, in the order file, AWS Secrets Manager, OCI Vault.
    pub targets: Vec<TargetReport>,
    /// Keys of the cluster that are not backed up by design and that no backup holds.
    pub not_compared: Vec<NotCompared>,
    /// Whether every target could restore the cluster as it is.
    pub restores: bool,
}

/// Reads the catalog's secrets (values: `get` on secrets) and each target's newest backup,
/// and compares them. `identities` are extra age identity files for file backups.
/// Errors: [`SecretsError::NoBackupConfigured`] before the cluster is asked;
/// [`SecretsError::ReadForbidden`] on a 403 reading a secret; [`SecretsError::Cluster`] for
/// any other failed request; [`SecretsError::Backup`] when a target cannot be read.
pub async fn verify(
    conn: &Connection,
    namespace: &str,
    catalog: &[SecretSpec],
    backups: &Backups,
    identities: &[PathBuf],
) -> Result<VerifyReport, SecretsError> {
    if backups.is_empty() {
        return Err(SecretsError::NoBackupConfigured);
    }
    let mut live_secrets = BTreeMap::new();
    for spec in catalog {
        match live::read_secret(conn, namespace, &spec.name).await {
            Ok(Some(secret)) => {
                live_secrets.insert(spec.name.clone(), secret);
            }
            Ok(None) => {}
            Err(SecretsError::Cluster(e)) if e.status_code() == Some(403) => {
                return Err(SecretsError::ReadForbidden {
                    namespace: namespace.to_owned(),
                    secret: spec.name.clone(),
                    message: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    let names: Vec<String> = catalog.iter().map(|s| s.name.clone()).collect();
    let read = backups.read_each(namespace, &names, identities).await?;
    let mut targets = Vec::new();
    let mut backed_up = KeyValues::new();
    for (target, found) in read {
        let (location, values) = match found {
            Some(found) => (Some(found.location), found.values),
            None => (None, KeyValues::new()),
        };
        let keys = compare(catalog, &live_secrets, &values);
        backed_up.extend(values);
        targets.push(TargetReport {
            target,
            location,
            restores: !keys.iter().any(|k| k.status.blocks_restore()),
            keys,
        });
    }
    let not_compared = not_compared(catalog, &live_secrets, &backed_up);
    Ok(VerifyReport {
        namespace: namespace.to_owned(),
        secrets_found: live_secrets.len(),
        restores: targets.iter().all(|t| t.restores),
        targets,
        not_compared,
    })
}

/// Why a key of the cluster is not expected in a backup; none for generated key material.
fn not_backed_up(
    catalog: &[SecretSpec],
    live: &LiveSecret,
    secret: &str,
    key: &str,
) -> Option<&'static str> {
    if live.external_owner.is_some() {
        return Some("managed by External Secrets Operator");
    }
    let spec = catalog.iter().find(|s| s.name == secret)?;
    match spec.keys.iter().find(|k| k.name == key) {
        None => Some("not in the catalog"),
        Some(k) if k.source == KeySource::Supplied => Some("supplied"),
        Some(_) => None,
    }
}

/// Compares one backup with the cluster: every key the backup holds (matches, differs,
/// only in backup) and every generated key of the cluster it lacks (missing from backup),
/// sorted by secret and key. Values are compared here and go nowhere else.
fn compare(
    catalog: &[SecretSpec],
    live: &BTreeMap<String, LiveSecret>,
    backup: &KeyValues,
) -> Vec<KeyVerdict> {
    let mut verdicts = BTreeMap::new();
    for ((secret, key), value) in backup {
        let status = match live.get(secret).and_then(|l| l.data.get(key)) {
            Some(current) if current == value => Verdict::Matches,
            Some(_) => Verdict::Differs,
            None => Verdict::OnlyInBackup,
        };
        verdicts.insert((secret.clone(), key.clone()), status);
    }
    for (secret, found) in live {
        for key in found.data.keys() {
            let id = (secret.clone(), key.clone());
            if !verdicts.contains_key(&id) && not_backed_up(catalog, found, secret, key).is_none() {
                verdicts.insert(id, Verdict::MissingFromBackup);
            }
        }
    }
    verdicts
        .into_iter()
        .map(|((secret, key), status)| KeyVerdict {
            secret,
            key,
            status,
        })
        .collect()
}

/// The cluster's keys that are not backed up by design and that no backup holds.
fn not_compared(
    catalog: &[SecretSpec],
    live: &BTreeMap<String, LiveSecret>,
    backed_up: &KeyValues,
) -> Vec<NotCompared> {
    let mut out = Vec::new();
    for (secret, found) in live {
        for key in found.data.keys() {
            if backed_up.contains_key(&(secret.clone(), key.clone())) {
                continue;
            }
            if let Some(reason) = not_backed_up(catalog, found, secret, key) {
                out.push(NotCompared {
                    secret: secret.clone(),
                    key: key.clone(),
                    reason,
                });
            }
        }
    }
    out
}

/// The report for a terminal: per target a table of SECRET, KEY, STATUS, a count and a
/// verdict; then what was not compared.
pub fn verify_text(report: &VerifyReport) -> String {
    let mut out = String::new();
    if report.secrets_found == 0 {
        out.push_str(&format!(
            "namespace {} holds none of the catalog's secrets\n",
            report.namespace
        ));
    }
    for (index, target) in report.targets.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        match &target.location {
            Some(location) => out.push_str(&format!("backup: {location}\n")),
            None => out.push_str(&format!(
                "backup: {}: no backup of namespace {}\n",
                target.target, report.namespace
            )),
        }
        out.push_str(&table(&target.keys));
        out.push_str(&counts(&target.keys));
        out.push_str(&conclusion(target));
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for key in &report.not_compared {
        *reasons.entry(key.reason).or_default() += 1;
    }
    if !reasons.is_empty() {
        let parts: Vec<String> = reasons
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        out.push_str(&format!(
            "\nnot compared: {} key(s) of the cluster ({}); backups hold the key material kubectl-smi generates, not these (-o json lists them)\n",
            report.not_compared.len(),
            parts.join(", ")
        ));
    }
    out
}

fn table(keys: &[KeyVerdict]) -> String {
    let mut rows = vec![["SECRET", "KEY", "STATUS"]];
    rows.extend(
        keys.iter()
            .map(|k| [k.secret.as_str(), k.key.as_str(), k.status.as_str()]),
    );
    let widths: Vec<usize> = (0..3)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn counts(keys: &[KeyVerdict]) -> String {
    let count = |v: Verdict| keys.iter().filter(|k| k.status == v).count();
    format!(
        "{} key(s): {} matches, {} differs, {} missing from backup, {} only in backup\n",
        keys.len(),
        count(Verdict::Matches),
        count(Verdict::Differs),
        count(Verdict::MissingFromBackup),
        count(Verdict::OnlyInBackup)
    )
}

fn conclusion(target: &TargetReport) -> String {
    let only = target
        .keys
        .iter()
        .any(|k| k.status == Verdict::OnlyInBackup);
    let mut out = if target.restores {
        "this backup can restore the cluster's generated keys as they are\n".to_owned()
    } else {
        "this backup could not restore the cluster as it is: take a new one (`kubectl smi secrets create -f VALUES` writes one to every target when the first backup it reads lacks the cluster's key material)\n".to_owned()
    };
    if only {
        out.push_str(
            "keys only in the backup are missing from the cluster: `kubectl smi secrets create` restores the catalog's generated keys among them\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::value::SecretValue;

    fn catalog() -> Vec<SecretSpec> {
        crate::catalog::secret_catalog(&[]).unwrap()
    }

    fn live(keys: &[(&str, &[u8])]) -> LiveSecret {
        LiveSecret {
            resource_version: None,
            data: keys
                .iter()
                .map(|(k, v)| (k.to_string(), SecretValue::new(v.to_vec())))
                .collect(),
            records: Default::default(),
            secret_type: "Opaque".into(),
            labels: Default::default(),
            external_owner: None,
        }
    }

    #[test]
    fn each_key_gets_one_of_four_verdicts() {
        let mut cluster = BTreeMap::new();
        cluster.insert(
            "smi-session".to_owned(),
            live(&[("SESSION_SECRET", b"same"), ("CSRF_SECRET", b"new")]),
        );
        cluster.insert(
            "smi-data-encryption".to_owned(),
            live(&[("DATA_ENCRYPTION_KEY", b"only-here")]),
        );
        cluster.insert(
            "smi-postgresql".to_owned(),
            live(&[("POSTGRES_PASSWORD", b"supplied")]),
        );
        let mut backup = KeyValues::new();
        let id = |s: &str, k: &str| (s.to_owned(), k.to_owned());
        backup.insert(
            id("smi-session", "SESSION_SECRET"),
            SecretValue::new(b"same".to_vec()),
        );
        backup.insert(
            id("smi-session", "CSRF_SECRET"),
            SecretValue::new(b"old".to_vec()),
        );
        backup.insert(id("smi-gone", "K"), SecretValue::new(b"x".to_vec()));
        let verdicts = compare(&catalog(), &cluster, &backup);
        let of = |s: &str, k: &str| {
            verdicts
                .iter()
                .find(|v| v.secret == s && v.key == k)
                .map(|v| v.status)
        };
        assert_eq!(of("smi-session", "SESSION_SECRET"), Some(Verdict::Matches));
        assert_eq!(of("smi-session", "CSRF_SECRET"), Some(Verdict::Differs));
        assert_eq!(
            of("smi-data-encryption", "DATA_ENCRYPTION_KEY"),
            Some(Verdict::MissingFromBackup)
        );
        assert_eq!(of("smi-gone", "K"), Some(Verdict::OnlyInBackup));
        assert_eq!(of("smi-postgresql", "POSTGRES_PASSWORD"), None, "supplied");
        let rest = not_compared(&catalog(), &cluster, &backup);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].reason, "supplied");
    }
}
