//! Writing what the plan decided: a server-side dry run of every secret, the backup, then
//! each secret: created (POST) when planned as absent, applied (server-side apply, with the
//! resourceVersion read) when planned from a read. A 409 AlreadyExists or a stale version
//! re-reads the secret and plans it again, reusing the values already generated (and backed
//! up) and keeping what another run wrote meanwhile, so what is applied is always what was
//! backed up. A field conflict with another manager stops the run (unless
//! `--force-conflicts`); one with kubectl-smi's own create (manager `kubectl-smi`, operation
//! Update, which the API server counts as another manager than its applies) is taken back
//! with a forced apply that still carries the resourceVersion read.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;

use crate::catalog::SecretSpec;
use crate::cluster::{ClusterError, Connection};

use super::backup::{BackupDocument, KeyValues};
use super::create::{CreateOptions, CreateReport, DryRun, SecretOutcome};
use super::error::SecretsError;
use super::live;
use super::manifest::{self, SecretApply};
use super::plan::{self, Generated, KeyOrigin, PlanInputs, SecretPlan};

/// How many times a secret is re-read and re-applied after a 409 Conflict.
const MAX_ATTEMPTS: usize = 5;

/// Applies secrets one by one, backing up before, and keeps the report.
pub struct Writer<'a> {
    /// The cluster; none for an offline plan, which is a client dry run and sends nothing.
    pub conn: Option<&'a Connection>,
    pub options: &'a CreateOptions,
    /// The plan of every secret; a secret planned again after a conflict replaces its own.
    pub secrets: Vec<SecretPlan>,
    /// Key material the backup targets hold: their newest backup, then what this run wrote.
    pub saved: KeyValues,
    /// Whether `saved` is known (a target could be read); only then is key material that
    /// exists in the cluster but in no backup backed up as well.
    pub saved_known: bool,
    pub report: CreateReport,
}

impl<'a> Writer<'a> {
    /// Writes a backup when key material is about to reach the cluster that no backup has
    /// (required: without a target the run stops), or when the cluster holds key material
    /// the targets' newest backup lacks (an installation whose keys were made elsewhere).
    /// A backup holds all key material of the installation after the run, and the values
    /// rotations replace, so the newest backup alone restores everything.
    pub async fn back_up(&mut self, now: &str) -> Result<(), SecretsError> {
        let unsaved = |s: &SecretPlan, k: &super::plan::PlannedKey| {
            self.saved.get(&(s.name.clone(), k.name.clone())) != Some(&k.value)
        };
        let kept: Vec<&SecretPlan> = self
            .secrets
            .iter()
            .filter(|s| s.skipped.is_none())
            .collect();
        let required = self.required_backups();
        let stale: Vec<String> = kept
            .iter()
            .flat_map(|s| {
                s.keys
                    .iter()
                    .filter(|k| k.is_key_material() && unsaved(s, k))
                    .map(move |k| format!("{}/{}", s.name, k.name))
            })
            .filter(|_| self.saved_known)
            .collect();
        if required.is_empty() && stale.is_empty() {
            return Ok(());
        }
        if self.options.backups.is_empty() {
            if required.is_empty() {
                return Ok(());
            }
            if !self.options.no_backup {
                return Err(SecretsError::NoBackupTarget {
                    count: required.len(),
                    keys: required.join(", "),
                });
            }
            self.report.warnings.push(format!(
                "--no-backup: {} is not backed up anywhere; if the cluster loses it, it is gone",
                required.join(", ")
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
        for secret in kept {
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
            if self.conn.is_none() {
                self.options.backups.check_offline()?;
            }
            let targets: Vec<String> = self
                .options
                .backups
                .targets
                .iter()
                .map(|t| t.describe())
                .collect();
            let mut listed = required;
            for key in stale {
                if !listed.contains(&key) {
                    listed.push(key);
                }
            }
            self.report.warnings.push(format!(
                "dry run: {} would first be backed up to {}",
                listed.join(", "),
                targets.join(" and ")
            ));
            return Ok(());
        }
        let locations = self.options.backups.write(&document).await?;
        self.report.backups.extend(locations);
        self.saved.extend(document.keys);
        Ok(())
    }

    /// The keys, as `SECRET/KEY`, that are about to reach the cluster and that no backup
    /// holds yet (new or rotated key material).
    fn required_backups(&self) -> Vec<String> {
        self.secrets
            .iter()
            .filter(|s| s.skipped.is_none() && s.changes())
            .flat_map(|s| {
                s.keys
                    .iter()
                    .filter(|k| {
                        k.needs_backup()
                            && self.saved.get(&(s.name.clone(), k.name.clone())) != Some(&k.value)
                    })
                    .map(move |k| format!("{}/{}", s.name, k.name))
            })
            .collect()
    }

    /// Refuses, before anything is written, a run that would generate keys with no backup
    /// target configured and without `--no-backup`.
    pub fn check_backup_target(&self) -> Result<(), SecretsError> {
        if !self.options.backups.is_empty() || self.options.no_backup {
            return Ok(());
        }
        let required = self.required_backups();
        if required.is_empty() {
            return Ok(());
        }
        Err(SecretsError::NoBackupTarget {
            count: required.len(),
            keys: required.join(", "),
        })
    }

    /// Sends every secret the plan changes once with `dryRun=All`, as the real write will be
    /// sent (a create or an apply with the resourceVersion read), so that a refusal stops the
    /// run before the backup and before any secret is written. A 409 that only says the
    /// secret changed since it was read passes: the writes re-read and re-plan it.
    pub async fn precheck(&mut self) -> Result<(), SecretsError> {
        let conn = self.conn()?;
        for secret in self.secrets.iter() {
            if secret.skipped.is_some() || !secret.changes() {
                continue;
            }
            let object = object_of(secret, self.options);
            let force = self.options.force_conflicts;
            let mut sent = send(conn, secret, &object, true, force).await;
            if let Err(e) = &sent
                && live::only_own_conflicts(&live::field_conflicts(e))
            {
                sent = send(conn, secret, &object, true, true).await;
            }
            let Err(error) = sent else {
                continue;
            };
            let conflicts = live::field_conflicts(&error);
            if !conflicts.is_empty() {
                return Err(SecretsError::FieldConflict {
                    secret: secret.name.clone(),
                    conflicts,
                });
            }
            if live::is_conflict(&error) {
                continue;
            }
            if let Some(webhook) = live::webhook_without_dry_run(&error) {
                return Err(SecretsError::WebhookWithoutDryRun {
                    webhook,
                    secret: secret.name.clone(),
                });
            }
            if is_immutable_refusal(&error) {
                let keys: Vec<&str> = secret
                    .keys
                    .iter()
                    .filter(|k| k.origin != KeyOrigin::Existing)
                    .map(|k| k.name.as_str())
                    .collect();
                return Err(SecretsError::Immutable {
                    namespace: self.options.namespace.clone(),
                    secret: secret.name.clone(),
                    keys: keys.join(", "),
                });
            }
            let action = format!(
                "check secret {}/{} with a server-side dry run (before any backup or secret write; nothing was written but the namespace)",
                self.options.namespace, secret.name
            );
            return Err(SecretsError::Cluster(ClusterError::request(
                action,
                &conn.server,
                error,
            )));
        }
        Ok(())
    }

    /// Applies the secret of the plan at `index`.
    pub async fn apply(
        &mut self,
        spec: &SecretSpec,
        index: usize,
        inputs: &PlanInputs<'_>,
        generated: &mut Generated,
        server_validates: bool,
        now: &str,
    ) -> Result<(), SecretsError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let secret = self.secrets[index].clone();
            if !secret.changes() {
                self.report.secrets.push(outcome(&secret));
                return Ok(());
            }
            let object = object_of(&secret, self.options);
            let dry_run = match self.options.dry_run {
                DryRun::Client => None,
                DryRun::Server if !server_validates => None,
                DryRun::Server => Some(true),
                DryRun::None => Some(false),
            };
            let sent = match dry_run {
                None => Ok(()),
                Some(dry_run) => {
                    let conn = self.conn()?;
                    let force = self.options.force_conflicts;
                    let first = send(conn, &secret, &object, dry_run, force).await;
                    match first {
                        Err(e) if live::only_own_conflicts(&live::field_conflicts(&e)) => {
                            send(conn, &secret, &object, dry_run, true).await
                        }
                        other => other,
                    }
                }
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
                Err(e) if !live::field_conflicts(&e).is_empty() => {
                    return Err(self.interrupted(SecretsError::FieldConflict {
                        secret: secret.name.clone(),
                        conflicts: live::field_conflicts(&e),
                    }));
                }
                Err(e) if live::is_conflict(&e) && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                    self.secrets[index] = self.replan(spec, inputs, generated).await?;
                    self.back_up(now).await?;
                }
                Err(e) => {
                    let action = format!("apply secret {}/{}", self.options.namespace, secret.name);
                    let server = self.conn.map_or("", |c| c.server.as_str());
                    let source = SecretsError::Cluster(ClusterError::request(action, server, e));
                    return Err(self.interrupted(source));
                }
            }
        }
        Err(self.interrupted(SecretsError::TooManyConflicts(
            spec.name.clone(),
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
    ) -> Result<SecretPlan, SecretsError> {
        let current = live::read_secret(self.conn()?, &self.options.namespace, &spec.name).await?;
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
        Ok(secret)
    }

    /// The cluster, which every write needs (an offline plan never gets here).
    fn conn(&self) -> Result<&'a Connection, SecretsError> {
        self.conn
            .ok_or(SecretsError::Cluster(ClusterError::NoConfig))
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

/// Writes one secret as planned: created when planned as absent, applied with the
/// resourceVersion read otherwise.
async fn send(
    conn: &Connection,
    secret: &SecretPlan,
    object: &k8s_openapi::api::core::v1::Secret,
    dry_run: bool,
    force: bool,
) -> Result<(), kube::Error> {
    if secret.live.is_none() {
        live::create_secret(conn, object, dry_run).await.map(|_| ())
    } else {
        live::apply_secret(conn, object, dry_run, force).await
    }
}

/// A 422 whose cause is `immutable: true` (ValidateSecretUpdate: `data: Forbidden: field is
/// immutable when `immutable` is set`).
fn is_immutable_refusal(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status)
        if status.code == 422 && status.message.contains("field is immutable when `immutable` is set"))
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
