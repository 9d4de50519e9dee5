//! `secrets catalog`: the secret catalog as the values make it, offline. Every secret, its
//! keys, who provides each (supplied or generated, and how), which service accounts receive
//! it and where it is mounted, and the backup targets generated keys go to. Values are never
//! read: this is the plan of step 6 before there is a cluster, and the source of the
//! `credentials.env` template that `secrets create --from-env-file` reads.

use serde::Serialize;

use crate::catalog::{KeySource, SecretSpec};
use crate::values::{SecretBackup, Smi};

use super::sources::{NotLocated, locate};

/// What `secrets catalog` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogView {
    /// The installation's environment (`smi.environment`).
    pub environment: String,
    /// The namespace the secrets go to (`smi.namespace`, else the environment).
    pub namespace: String,
    /// Where generated keys are backed up before they reach the cluster; empty when
    /// `smi.secrets.backup` configures nothing (then `secrets create` refuses to generate).
    pub backup_targets: Vec<String>,
    /// The catalog, built-in entries with the values' changes, in catalog order.
    pub secrets: Vec<SecretSpec>,
}

impl CatalogView {
    /// The view of `catalog` for the installation `smi`.
    pub fn new(smi: &Smi, catalog: &[SecretSpec]) -> Self {
        CatalogView {
            environment: smi.environment.clone(),
            namespace: smi.namespace().to_owned(),
            backup_targets: smi
                .secrets
                .backup
                .as_ref()
                .map(backup_targets)
                .unwrap_or_default(),
            secrets: catalog.to_vec(),
        }
    }

    /// How many keys are supplied by the operator, and how many generated (derived included).
    pub fn counts(&self) -> (usize, usize) {
        let keys = self.secrets.iter().flat_map(|s| &s.keys);
        let supplied = keys
            .clone()
            .filter(|k| k.source == KeySource::Supplied)
            .count();
        (supplied, keys.count() - supplied)
    }
}

fn backup_targets(backup: &SecretBackup) -> Vec<String> {
    let mut targets = Vec::new();
    if let Some(file) = &backup.file {
        let key = if file.recipients.is_empty() {
            match &file.passphrase_file {
                Some(path) => format!("passphrase from file {path}"),
                None => format!("passphrase from ${}", file.passphrase_env),
            }
        } else {
            format!("{} age recipient(s)", file.recipients.len())
        };
        targets.push(format!(
            "file: age-encrypted files in {} ({key})",
            file.directory
        ));
    }
    if let Some(aws) = &backup.aws_secrets_manager {
        targets.push(format!(
            "awsSecretsManager: secrets named {}<namespace>/<secret>",
            aws.prefix
        ));
    }
    if let Some(oci) = &backup.oci_vault {
        targets.push(format!("ociVault: vault {}", oci.vault_id));
    }
    targets
}

/// The report for people: one block per secret, one line per key.
pub fn catalog_text(view: &CatalogView) -> String {
    let (supplied, generated) = view.counts();
    let mut out = format!(
        "Secret catalog of environment {} (namespace {}): {} secrets, {supplied} supplied key(s), {generated} generated key(s)\n",
        view.environment,
        view.namespace,
        view.secrets.len()
    );
    for secret in &view.secrets {
        out.push('\n');
        out.push_str(&format!("secret/{}", secret.name));
        if secret.secret_type != "Opaque" {
            out.push_str(&format!(" (type {})", secret.secret_type));
        }
        if !secret.description.is_empty() {
            out.push_str(&format!(": {}", secret.description));
        }
        out.push('\n');
        let width = secret.keys.iter().map(|k| k.name.len()).max().unwrap_or(0);
        for key in &secret.keys {
            let source = match (key.source, key.generator) {
                (KeySource::Supplied, _) => "supplied by you".to_owned(),
                (KeySource::Generated, Some(generator)) => match &key.of {
                    Some(of) => format!("generated: {} {of}", generator.name()),
                    None => format!("generated: {}", generator.name()),
                },
                (KeySource::Generated, None) => "generated".to_owned(),
            };
            out.push_str(&format!("  {:<width$}  {source}\n", key.name));
        }
        match &secret.mount_path {
            Some(path) => out.push_str(&format!("  mounted at {path} in: ")),
            None => out.push_str("  environment (envFrom) of: "),
        }
        if secret.consumers.is_empty() {
            out.push_str("no service account\n");
        } else {
            out.push_str(&format!("{}\n", secret.consumers.join(", ")));
        }
    }
    out.push('\n');
    if view.backup_targets.is_empty() {
        if generated > 0 {
            out.push_str(
                "backup: none configured; `secrets create` refuses to generate keys until smi.secrets.backup names a target\n",
            );
        } else {
            out.push_str("backup: none configured\n");
        }
    } else {
        for target in &view.backup_targets {
            out.push_str(&format!("backup: {target}\n"));
        }
    }
    if supplied > 0 {
        out.push_str(
            "supplied keys: `kubectl smi secrets catalog -f VALUES -o env-template` prints a credentials file for `secrets create --from-env-file`\n",
        );
    }
    out
}

/// The credentials file `secrets create --from-env-file` reads: one commented-out line per
/// supplied key (`SECRET/KEY` when the key name is in several secrets), to uncomment and
/// fill. A template given as it is supplies nothing, so `secrets create` lists every key
/// still missing instead of storing empty credentials.
pub fn env_template(catalog: &[SecretSpec]) -> String {
    let mut out = String::from(
        "# Credentials of the external systems, for `kubectl smi secrets create --from-env-file FILE`.\n\
         # Made by `kubectl smi secrets catalog -o env-template` from the secret catalog.\n\
         # Uncomment each line and write the value after '=' as it is (no quotes: they would be\n\
         # part of the value). Keep the filled file out of version control.\n\
         # Generated keys (encryption keys, signing keys) are not listed: `secrets create` makes them.\n",
    );
    for secret in catalog {
        let supplied: Vec<_> = secret
            .keys
            .iter()
            .filter(|k| k.source == KeySource::Supplied)
            .collect();
        if supplied.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&format!("# secret/{}", secret.name));
        if !secret.description.is_empty() {
            out.push_str(&format!(": {}", secret.description));
        }
        out.push('\n');
        for key in supplied {
            let reference = match locate(&key.name, catalog) {
                Err(NotLocated::Ambiguous(_)) => format!("{}/{}", secret.name, key.name),
                _ => key.name.clone(),
            };
            out.push_str(&format!("#{reference}=\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{default_secrets, secret_catalog};

    #[test]
    fn the_template_lists_every_supplied_key_and_no_generated_one() {
        let catalog = default_secrets();
        let template = env_template(&catalog);
        for secret in &catalog {
            for key in &secret.keys {
                let line = format!("\n#{}=\n", key.name);
                assert_eq!(
                    template.contains(&line),
                    key.source == KeySource::Supplied,
                    "{}/{}",
                    secret.name,
                    key.name
                );
            }
        }
    }

    #[test]
    fn a_key_name_in_two_secrets_is_qualified() {
        let extra: SecretSpec = serde_json::from_value(serde_json::json!({
            "name": "smi-other-db",
            "keys": [{"name": "POSTGRES_PASSWORD", "source": "supplied"}]
        }))
        .unwrap();
        let template = env_template(&secret_catalog(&[extra]).unwrap());
        assert!(template.contains("\n#smi-postgresql/POSTGRES_PASSWORD=\n"));
        assert!(template.contains("\n#smi-other-db/POSTGRES_PASSWORD=\n"));
        assert!(template.contains("\n#POSTGRES_USER=\n"));
    }
}
