//! `secrets create`: read the cluster, plan every secret, back up new key material, then
//! create the namespace and apply the secrets. Nothing is written before the whole plan
//! holds; nothing generated reaches the cluster before a backup of it has been read back.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::ByteString;
use serde_json::Value;

use crate::catalog::{Generator, KeySource, SecretSpec};
use crate::cluster::{ClusterError, Connection};

use super::backup::{BackupDocument, Backups, KeyValues};
use super::error::SecretsError;
use super::live::{self, NamespaceState};
use super::manifest::{self, SecretApply};
use super::plan::{self, Generated, KeyOrigin, LiveSecret, PlanInputs, SecretPlan};
use super::sources::{self, NotLocated, Supplied};

/// `--dry-run`, as kubectl has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DryRun {
    #[default]
    None,
    /// Read the cluster, change nothing, send nothing.
    Client,
    /// Send every write with dryRun=All: the API server validates and stores nothing.
    Server,
}

/// What `secrets create` is asked to do.
pub struct CreateOptions {
    pub namespace: String,
    pub environment: String,
    pub catalog: Vec<SecretSpec>,
    pub supplied: Supplied,
    /// `--rotate` arguments: `SECRET/KEY` or `KEY`.
    pub rotate: Vec<String>,
    pub backups: Backups,
    pub no_backup: bool,
    /// A backup read with `--restore-from`: missing keys come back from it.
    pub restore_from: Option<(String, BackupDocument)>,
    pub dry_run: DryRun,
    /// Put the values in the returned objects instead of redacting them.
    pub show_secrets: bool,
}

/// What happened to one secret.
#[derive(Debug, Clone)]
pub struct SecretOutcome {
    pub name: String,
    /// `created`, `configured`, `unchanged` or `skipped`.
    pub action: &'static str,
    /// Keys that changed, and how.
    pub keys: Vec<(String, KeyOrigin)>,
    pub note: Option<String>,
}

/// The result of `secrets create`.
#[derive(Debug, Clone, Default)]
pub struct CreateReport {
    pub namespace: String,
    /// `created`, `labelled` or `unchanged`.
    pub namespace_action: &'static str,
    pub secrets: Vec<SecretOutcome>,
    /// Where key material was backed up in this run.
    pub backups: Vec<String>,
    /// The backup missing keys were restored from.
    pub restored_from: Option<String>,
    pub warnings: Vec<String>,
    /// The objects applied (or that would be), values redacted unless asked.
    pub objects: Vec<Value>,
}

/// How many times a secret is re-read and re-applied after a 409 Conflict.
const MAX_ATTEMPTS: usize = 5;

pub async fn create(
    conn: &Connection,
    options: CreateOptions,
) -> Result<CreateReport, SecretsError> {
    let rotate = rotations(&options.rotate, &options.catalog)?;
    let namespace = options.namespace.as_str();
    let state = live::check_namespace(conn, namespace, &options.environment).await?;
    live::check_access(conn, namespace, state).await?;
    let mut live_secrets = BTreeMap::new();
    if state != NamespaceState::Missing {
        let names: Vec<String> = options.catalog.iter().map(|s| s.name.clone()).collect();
        live_secrets = live::read_all(conn, namespace, &names).await?;
    }
    let mut report = CreateReport {
        namespace: namespace.to_owned(),
        ..CreateReport::default()
    };
    let backed_up = restorable(&options, &live_secrets, &rotate, &mut report).await?;
    let now = now();
    let inputs = PlanInputs {
        catalog: &options.catalog,
        live: &live_secrets,
        supplied: &options.supplied,
        rotate: &rotate,
        backed_up: &backed_up,
        now: &now,
    };
    let mut generated = Generated::new();
    let mut plan = plan::plan(&inputs, &mut generated)?;
    report.warnings.append(&mut plan.warnings);

    let mut writer = Writer {
        conn,
        options: &options,
        saved: KeyValues::new(),
        report,
    };
    writer.back_up(&plan.secrets, &now).await?;
    writer.report.namespace_action = match state {
        NamespaceState::Missing => "created",
        NamespaceState::Unlabelled => "labelled",
        NamespaceState::Ours => "unchanged",
    };
    if state != NamespaceState::Ours {
        if options.dry_run != DryRun::Client {
            live::apply_namespace(
                conn,
                namespace,
                &options.environment,
                options.dry_run == DryRun::Server,
            )
            .await?;
        }
        let object = manifest::namespace(namespace, &options.environment);
        writer
            .report
            .objects
            .push(manifest::for_output(&object, "Namespace", false));
    }
    let server_validates_secrets =
        !(options.dry_run == DryRun::Server && state == NamespaceState::Missing);
    if !server_validates_secrets {
        writer.report.warnings.push(format!(
            "namespace {namespace} does not exist yet, so the API server cannot dry-run the secrets in it; they were checked here only"
        ));
    }
    for secret in plan.secrets {
        let spec = options
            .catalog
            .iter()
            .find(|s| s.name == secret.name)
            .expect("every plan comes from a catalog entry");
        writer
            .apply(
                spec,
                secret,
                &inputs,
                &mut generated,
                server_validates_secrets,
                &now,
            )
            .await?;
    }
    Ok(writer.report)
}

/// Resolves `--rotate` arguments against the catalog.
fn rotations(
    arguments: &[String],
    catalog: &[SecretSpec],
) -> Result<BTreeSet<(String, String)>, SecretsError> {
    arguments
        .iter()
        .map(|reference| {
            sources::locate(reference, catalog).map_err(|e| match e {
                NotLocated::Unknown => SecretsError::UnknownRotation(reference.clone()),
                NotLocated::Ambiguous(secrets) => SecretsError::AmbiguousKey {
                    key: reference.clone(),
                    secrets,
                },
            })
        })
        .collect()
}

/// Values a missing generated key can be restored from: `--restore-from`, else the newest
/// backup of a configured target (read only when some generated key is missing).
async fn restorable(
    options: &CreateOptions,
    live: &BTreeMap<String, LiveSecret>,
    rotate: &BTreeSet<(String, String)>,
    report: &mut CreateReport,
) -> Result<KeyValues, SecretsError> {
    if let Some((location, document)) = &options.restore_from {
        if document.namespace != options.namespace {
            report.warnings.push(format!(
                "{location} is a backup of namespace {}; its keys are restored into {}",
                document.namespace, options.namespace
            ));
        }
        report.restored_from = Some(location.clone());
        return Ok(document.keys.clone());
    }
    let missing = options.catalog.iter().any(|spec| {
        spec.keys.iter().any(|key| {
            let id = (spec.name.clone(), key.name.clone());
            key.source == KeySource::Generated
                && key.generator != Some(Generator::PublicKeyOf)
                && !rotate.contains(&id)
                && !options.supplied.contains_key(&id)
                && live
                    .get(&spec.name)
                    .is_none_or(|l| !l.data.contains_key(&key.name))
        })
    });
    if !missing {
        return Ok(KeyValues::new());
    }
    let names: Vec<String> = options.catalog.iter().map(|s| s.name.clone()).collect();
    let found = options
        .backups
        .latest(&options.namespace, &names, &mut report.warnings)
        .await?;
    Ok(match found {
        Some(found) => {
            report.restored_from = Some(found.location);
            found.values
        }
        None => KeyValues::new(),
    })
}

/// Applies secrets one by one, backing up before, and keeps the report.
struct Writer<'a> {
    conn: &'a Connection,
    options: &'a CreateOptions,
    /// Key material already in a backup written by this run.
    saved: KeyValues,
    report: CreateReport,
}

impl Writer<'_> {
    /// Writes a backup when the secrets hold key material no backup has yet. The backup
    /// holds all key material of the installation after the run, and the values rotations
    /// replace, so the newest backup alone restores everything.
    async fn back_up(&mut self, secrets: &[SecretPlan], now: &str) -> Result<(), SecretsError> {
        let unsaved: Vec<String> = secrets
            .iter()
            .filter(|s| s.changes())
            .flat_map(|s| {
                s.keys
                    .iter()
                    .filter(|k| k.needs_backup())
                    .filter(|k| self.saved.get(&(s.name.clone(), k.name.clone())) != Some(&k.value))
                    .map(move |k| format!("{}/{}", s.name, k.name))
            })
            .collect();
        if unsaved.is_empty() {
            return Ok(());
        }
        if self.options.backups.is_empty() {
            if !self.options.no_backup {
                return Err(SecretsError::NoBackupTarget {
                    count: unsaved.len(),
                    keys: unsaved.join(", "),
                });
            }
            self.report.warnings.push(format!(
                "--no-backup: {} is not backed up anywhere; if the cluster loses it, it is gone",
                unsaved.join(", ")
            ));
            return Ok(());
        }
        let mut document = BackupDocument {
            namespace: self.options.namespace.clone(),
            environment: self.options.environment.clone(),
            created: now.to_owned(),
            keys: KeyValues::new(),
            previous: KeyValues::new(),
        };
        for secret in secrets.iter().filter(|s| s.skipped.is_none()) {
            for key in &secret.keys {
                let id = (secret.name.clone(), key.name.clone());
                if key.is_key_material() {
                    document.keys.insert(id.clone(), key.value.clone());
                }
                if let Some(previous) = &key.previous {
                    document.previous.insert(id, previous.clone());
                }
            }
        }
        if self.options.dry_run != DryRun::None {
            let targets: Vec<String> = self
                .options
                .backups
                .targets
                .iter()
                .map(|t| t.describe())
                .collect();
            self.report.warnings.push(format!(
                "dry run: {} would first be backed up to {}",
                unsaved.join(", "),
                targets.join(" and ")
            ));
            return Ok(());
        }
        let locations = self.options.backups.write(&document).await?;
        self.report.backups.extend(locations);
        self.saved.extend(document.keys);
        Ok(())
    }

    async fn apply(
        &mut self,
        spec: &SecretSpec,
        mut secret: SecretPlan,
        inputs: &PlanInputs<'_>,
        generated: &mut Generated,
        server_validates: bool,
        now: &str,
    ) -> Result<(), SecretsError> {
        for attempt in 1..=MAX_ATTEMPTS {
            if !secret.changes() {
                self.report.secrets.push(outcome(&secret));
                return Ok(());
            }
            let object = object_of(&secret, self.options);
            let sent = match self.options.dry_run {
                DryRun::Client => Ok(()),
                DryRun::Server if !server_validates => Ok(()),
                DryRun::Server => live::apply_secret(self.conn, &object, true).await,
                DryRun::None => live::apply_secret(self.conn, &object, false).await,
            };
            match sent {
                Ok(()) => {
                    self.report.objects.push(manifest::for_output(
                        &object,
                        "Secret",
                        self.options.show_secrets,
                    ));
                    self.report.secrets.push(outcome(&secret));
                    return Ok(());
                }
                Err(e) if live::is_conflict(&e) && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                    secret = self.replan(spec, inputs, generated, now).await?;
                }
                Err(e) => {
                    let action = format!("apply secret {}/{}", self.options.namespace, secret.name);
                    let source =
                        SecretsError::Cluster(ClusterError::request(action, &self.conn.server, e));
                    return Err(self.interrupted(source));
                }
            }
        }
        Err(self.interrupted(SecretsError::TooManyConflicts(
            secret.name.clone(),
            MAX_ATTEMPTS,
        )))
    }

    /// Reads the secret again after a conflict and plans it anew, reusing the values
    /// generated (and backed up) before.
    async fn replan(
        &mut self,
        spec: &SecretSpec,
        inputs: &PlanInputs<'_>,
        generated: &mut Generated,
        now: &str,
    ) -> Result<SecretPlan, SecretsError> {
        let current = live::read_secret(self.conn, &self.options.namespace, &spec.name).await?;
        let mut live = inputs.live.clone();
        match current {
            Some(current) => live.insert(spec.name.clone(), current),
            None => live.remove(&spec.name),
        };
        let fresh = PlanInputs {
            live: &live,
            ..*inputs
        };
        let mut problems = Vec::new();
        let secret = plan::plan_secret(
            spec,
            &fresh,
            generated,
            &mut problems,
            &mut self.report.warnings,
        )?;
        if !problems.is_empty() {
            return Err(self.interrupted(SecretsError::Plan(problems)));
        }
        self.back_up(std::slice::from_ref(&secret), now).await?;
        Ok(secret)
    }

    fn interrupted(&self, source: SecretsError) -> SecretsError {
        let applied: Vec<String> = self
            .report
            .secrets
            .iter()
            .filter(|s| s.action == "created" || s.action == "configured")
            .map(|s| s.name.clone())
            .collect();
        let applied = if applied.is_empty() {
            "nothing".to_owned()
        } else {
            applied.join(", ")
        };
        let backed_up = if self.report.backups.is_empty() {
            "no key material was generated in this run before the failure".to_owned()
        } else {
            format!(
                "the generated keys are backed up in {}",
                self.report.backups.join(" and ")
            )
        };
        SecretsError::Interrupted {
            source: Box::new(source),
            applied,
            backed_up,
        }
    }
}

fn object_of(secret: &SecretPlan, options: &CreateOptions) -> k8s_openapi::api::core::v1::Secret {
    let mut data: BTreeMap<String, ByteString> = secret
        .extra
        .iter()
        .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
        .collect();
    for key in &secret.keys {
        data.insert(key.name.clone(), ByteString(key.value.as_bytes().to_vec()));
    }
    let live = secret.live.as_ref();
    manifest::secret(SecretApply {
        name: &secret.name,
        namespace: &options.namespace,
        environment: &options.environment,
        data,
        records: &secret.records,
        resource_version: live.and_then(|l| l.resource_version.clone()),
        // The live type for an existing secret (Kubernetes never changes it), else the catalog's.
        secret_type: Some(live.map_or(secret.secret_type.as_str(), |l| l.secret_type.as_str())),
    })
}

fn outcome(secret: &SecretPlan) -> SecretOutcome {
    let action = match (&secret.skipped, &secret.live, secret.changes()) {
        (Some(_), _, _) => "skipped",
        (None, None, _) => "created",
        (None, Some(_), true) => "configured",
        (None, Some(_), false) => "unchanged",
    };
    SecretOutcome {
        name: secret.name.clone(),
        action,
        keys: secret
            .keys
            .iter()
            .filter(|k| k.origin != KeyOrigin::Existing)
            .map(|k| (k.name.clone(), k.origin))
            .collect(),
        note: secret.skipped.clone(),
    }
}

/// Now, RFC 3339 in UTC to the second (the API server's own timestamp format).
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
