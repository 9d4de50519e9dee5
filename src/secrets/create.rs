//! `secrets create`: read the cluster and plan every secret; then, in this order, (1) ensure
//! the namespace (create or adopt it: a harmless write) and refuse one being deleted, (2)
//! send every changing secret once with `dryRun=All`, so that whatever the API server or its
//! admission would refuse (invalid or immutable data, a webhook, a forbidden create, a
//! field conflict) stops the run before any backup or secret is written, (3) back up new
//! key material and read it back, (4) write the secrets. Nothing is written before the whole
//! plan holds; nothing generated reaches the cluster before a backup of it has been read back.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::catalog::SecretSpec;
use crate::cluster::{ClusterError, Connection};

use super::apply::Writer;
use super::backup::{BackupDocument, Backups, Found, KeyValues};
use super::error::SecretsError;
use super::live::{self, NamespaceState};
use super::manifest;
use super::plan::{self, Generated, KeyOrigin, PlanInputs};
use super::sources::{self, NotLocated, Supplied};

/// `--dry-run`, as kubectl has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DryRun {
    /// No `--dry-run`: write to the cluster.
    #[default]
    None,
    /// Read the cluster, change nothing, send nothing.
    Client,
    /// Send every write with dryRun=All: the API server validates and stores nothing.
    Server,
}

/// What `secrets create` is asked to do.
pub struct CreateOptions {
    /// The namespace the secrets go in (`-n` or `smi.namespace`).
    pub namespace: String,
    /// The installation name (`smi.environment`), for the environment label.
    pub environment: String,
    /// The secret catalog: built-in plus `smi.secrets.catalog`.
    pub catalog: Vec<SecretSpec>,
    /// Values from --from-env-file and --from-file, by (secret, key).
    pub supplied: Supplied,
    /// `--rotate` arguments: `SECRET/KEY` or `KEY`.
    pub rotate: Vec<String>,
    /// The backup targets of `smi.secrets.backup`.
    pub backups: Backups,
    /// `--no-backup`: generate keys even though no backup target is configured.
    pub no_backup: bool,
    /// A backup read with `--restore-from`: missing keys come back from it.
    pub restore_from: Option<(String, BackupDocument)>,
    /// `--dry-run`: none, client or server.
    pub dry_run: DryRun,
    /// Put the values in the returned objects instead of redacting them.
    pub show_secrets: bool,
    /// `--force-conflicts`: take over fields another field manager owns (server-side apply
    /// with `force`) instead of stopping at the conflict.
    pub force_conflicts: bool,
    /// `--skip-precheck`: no server-side dry run of the secrets before the backup and the
    /// writes (for clusters whose admission webhooks refuse dry runs).
    pub skip_precheck: bool,
}

/// What happened to one secret.
#[derive(Debug, Clone)]
pub struct SecretOutcome {
    /// The Kubernetes Secret's name, from the secret catalog.
    pub name: String,
    /// `created`, `configured`, `unchanged` or `skipped`.
    pub action: &'static str,
    /// Keys that changed, and how.
    pub keys: Vec<(String, KeyOrigin)>,
    /// Why the secret was skipped (e.g. managed by External Secrets Operator).
    pub note: Option<String>,
}

/// The result of `secrets create`.
#[derive(Debug, Clone, Default)]
pub struct CreateReport {
    /// The namespace the secrets are in.
    pub namespace: String,
    /// `created`, `labelled` or `unchanged`.
    pub namespace_action: &'static str,
    /// One outcome per catalog secret.
    pub secrets: Vec<SecretOutcome>,
    /// Where key material was backed up in this run.
    pub backups: Vec<String>,
    /// The backup missing keys were restored from.
    pub restored_from: Option<String>,
    /// Things the operator should know that did not stop the run, one sentence each.
    pub warnings: Vec<String>,
    /// The objects applied (or that would be), values redacted unless asked.
    pub objects: Vec<Value>,
    /// Planned without a cluster, against an empty namespace ([`super::plan_offline`]).
    pub offline: bool,
}

/// Runs `secrets create`: plans every secret, backs up new key material and reads it back, then
/// creates or labels the namespace and applies the secrets (server-side apply).
/// Errors: every [`SecretsError`]; a failure after the first write is
/// [`SecretsError::Interrupted`].
pub async fn create(
    conn: &Connection,
    options: CreateOptions,
) -> Result<CreateReport, SecretsError> {
    run(Some(conn), options).await
}

/// The run of [`create`]; with no connection (an offline plan, a client dry run only) the
/// namespace counts as missing and nothing is read from or sent to a cluster.
pub(super) async fn run(
    conn: Option<&Connection>,
    options: CreateOptions,
) -> Result<CreateReport, SecretsError> {
    let rotate = rotations(&options.rotate, &options.catalog)?;
    let mut report_early = Vec::new();
    let namespace = options.namespace.as_str();
    let state = match conn {
        Some(conn) => {
            let state = live::check_namespace(conn, namespace, &options.environment).await?;
            match live::check_access(conn, namespace, state).await {
                // A client dry run writes nothing: missing permissions are worth knowing, not fatal.
                Err(SecretsError::Forbidden(denied)) if options.dry_run == DryRun::Client => {
                    report_early.push(format!(
                        "the real run would fail: your user may not {}",
                        denied.join(", ")
                    ));
                }
                other => other?,
            }
            state
        }
        None => {
            live::check_reserved(namespace)?;
            NamespaceState::Missing
        }
    };
    let mut live_secrets = BTreeMap::new();
    if let Some(conn) = conn
        && state != NamespaceState::Missing
    {
        let names: Vec<String> = options.catalog.iter().map(|s| s.name.clone()).collect();
        live_secrets = live::read_all(conn, namespace, &names).await?;
    }
    let mut report = CreateReport {
        namespace: namespace.to_owned(),
        warnings: report_early,
        ..CreateReport::default()
    };
    let (newest, saved_known) = newest_backup(&options, conn.is_none(), &mut report).await?;
    let (saved, newest_location) = match newest {
        Some(found) => (found.values, Some(found.location)),
        None => (KeyValues::new(), None),
    };
    let (backed_up, backup_location) = restorable(&options, &saved, newest_location, &mut report);
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
    let restored = plan
        .secrets
        .iter()
        .any(|s| s.keys.iter().any(|k| k.origin == KeyOrigin::Restored));
    report.restored_from = backup_location.filter(|_| restored);

    let count = plan.secrets.len();
    let mut writer = Writer {
        conn,
        options: &options,
        secrets: plan.secrets,
        saved,
        saved_known,
        report,
    };
    writer.check_backup_target()?;
    // 1. The namespace, first: a harmless write every later step needs.
    writer.report.namespace_action = match state {
        NamespaceState::Missing => "created",
        NamespaceState::Unlabelled => "labelled",
        NamespaceState::Ours => "unchanged",
    };
    if state != NamespaceState::Ours {
        let created = state == NamespaceState::Missing;
        let object = manifest::namespace(namespace, &options.environment, created);
        match (options.dry_run, conn) {
            (DryRun::Client, _) => {}
            (dry_run, Some(conn)) => {
                live::apply_namespace(conn, &object, dry_run == DryRun::Server).await?;
            }
            (_, None) => return Err(SecretsError::Cluster(ClusterError::NoConfig)),
        }
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
    // 2. Every secret the plan changes, sent once as a server-side dry run.
    if options.dry_run == DryRun::None {
        if options.skip_precheck {
            writer.report.warnings.push(
                "--skip-precheck: the API server did not check the secrets before the backup and the writes; a refusal stops the run part-way (run again once its cause is fixed)".to_owned(),
            );
        } else {
            writer.precheck().await?;
        }
    }
    // 3. The backup, then 4. the writes.
    writer.back_up(&now).await?;
    for index in 0..count {
        let spec = options
            .catalog
            .iter()
            .find(|s| s.name == writer.secrets[index].name)
            .expect("every plan comes from a catalog entry");
        writer
            .apply(
                spec,
                index,
                &inputs,
                &mut generated,
                server_validates_secrets,
                &now,
            )
            .await?;
    }
    let notes = restart_notes(&writer.report, &options.catalog, options.dry_run);
    writer.report.warnings.extend(notes);
    Ok(writer.report)
}

/// Pods read the platform's secrets when they start (environment variables, and files the
/// kubelet refreshes only eventually), so a secret changed under running workloads needs them
/// restarted: one sentence per such secret, naming its keys and the service accounts of the
/// workloads that receive it (the catalog's `consumers`). A secret created by this run has no
/// pods reading it yet, so it needs none.
fn restart_notes(report: &CreateReport, catalog: &[SecretSpec], dry_run: DryRun) -> Vec<String> {
    let namespace = &report.namespace;
    report
        .secrets
        .iter()
        .filter(|s| s.action == "configured" && !s.keys.is_empty())
        .map(|s| {
            let keys: Vec<&str> = s.keys.iter().map(|(k, _)| k.as_str()).collect();
            let consumers = catalog
                .iter()
                .find(|spec| spec.name == s.name)
                .map(|spec| spec.consumers.join(", "))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "(none in the catalog)".to_owned());
            let verb = if dry_run == DryRun::None {
                "changed"
            } else {
                "would change"
            };
            format!(
                "secret/{} {verb} ({}) while pods may be running: they keep the old values until restarted; restart the workloads running as service accounts {consumers} (`kubectl -n {namespace} rollout restart deployment/NAME` or `statefulset/NAME`)",
                s.name,
                keys.join(", ")
            )
        })
        .collect()
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

/// What the configured backup targets hold for the namespace (their newest backup), and
/// whether that is known (false when no target could be read).
async fn newest_backup(
    options: &CreateOptions,
    offline: bool,
    report: &mut CreateReport,
) -> Result<(Option<Found>, bool), SecretsError> {
    if options.backups.is_empty() {
        return Ok((None, false));
    }
    let names: Vec<String> = options.catalog.iter().map(|s| s.name.clone()).collect();
    let unreadable = report.warnings.len();
    let found = options
        .backups
        .latest(&options.namespace, &names, offline, &mut report.warnings)
        .await?;
    let known = found.is_some() || report.warnings.len() == unreadable;
    Ok((found, known))
}

/// Values a missing generated key is taken back from: `--restore-from`, else the targets'
/// newest backup.
fn restorable(
    options: &CreateOptions,
    saved: &KeyValues,
    newest: Option<String>,
    report: &mut CreateReport,
) -> (KeyValues, Option<String>) {
    let Some((location, document)) = &options.restore_from else {
        return (saved.clone(), newest);
    };
    if document.namespace != options.namespace {
        report.warnings.push(format!(
            "{location} is a backup of namespace {}; its keys are restored into {}",
            document.namespace, options.namespace
        ));
    }
    (document.keys.clone(), Some(location.clone()))
}

/// Now, RFC 3339 in UTC to the second (the API server's own timestamp format).
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
