//! Reading the namespace and secrets from the cluster, and writing them as `kubectl-smi`: a
//! secret planned as absent is created (POST: 409 AlreadyExists if another run made it
//! meanwhile), one planned from a read is applied (server-side apply) with the
//! resourceVersion read (409 Conflict if it changed since). Applies are never forced against
//! another manager: a field someone else set differently is a conflict.

use std::collections::BTreeMap;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};

use crate::cluster::{ClusterError, Connection};

use super::error::SecretsError;
use super::manifest::{self, ENVIRONMENT_LABEL, FIELD_MANAGER};
use super::plan::LiveSecret;
use super::value::SecretValue;

/// Namespaces Kubernetes uses itself; the platform never goes there.
const RESERVED_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Refuses the namespaces Kubernetes uses itself (checked before the cluster is asked).
pub fn check_reserved(namespace: &str) -> Result<(), SecretsError> {
    if RESERVED_NAMESPACES.contains(&namespace) {
        return Err(SecretsError::ReservedNamespace(namespace.to_owned()));
    }
    Ok(())
}

/// What the namespace needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceState {
    /// Absent: it is created.
    Missing,
    /// Labelled for this installation already.
    Ours,
    /// Present without an installation label, and no other installation's secrets in it:
    /// it gets the label.
    Unlabelled,
}

/// Checks that the namespace can hold this installation: not reserved, not being deleted,
/// and not holding another one. Another installation is recognised by the
/// `smi.dtplatform.io/environment` label with another value, on the namespace or on any
/// secret in it (kubectl-smi and the External Secrets templates put it there).
pub async fn check_namespace(
    conn: &Connection,
    namespace: &str,
    environment: &str,
) -> Result<NamespaceState, SecretsError> {
    check_reserved(namespace)?;
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let found = api.get_opt(namespace).await.map_err(|e| {
        ClusterError::request(format!("read namespace {namespace}"), &conn.server, e)
    })?;
    let Some(found) = found else {
        return Ok(NamespaceState::Missing);
    };
    if is_terminating(&found) {
        return Err(SecretsError::NamespaceTerminating(namespace.to_owned()));
    }
    let label = found
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(ENVIRONMENT_LABEL));
    match label {
        Some(other) if other != environment => {
            return Err(SecretsError::NamespaceTaken {
                namespace: namespace.to_owned(),
                other: other.clone(),
                evidence: format!("namespace label {ENVIRONMENT_LABEL}={other}"),
            });
        }
        Some(_) => return Ok(NamespaceState::Ours),
        None => {}
    }
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    let labelled = secrets
        .list_metadata(&ListParams::default().labels(ENVIRONMENT_LABEL))
        .await
        .map_err(|e| {
            ClusterError::request(format!("list secrets in {namespace}"), &conn.server, e)
        })?;
    for item in labelled.items {
        let other = item
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(ENVIRONMENT_LABEL))
            .cloned()
            .unwrap_or_default();
        if other != environment {
            return Err(SecretsError::NamespaceTaken {
                namespace: namespace.to_owned(),
                other: other.clone(),
                evidence: format!(
                    "secret {} is labelled {ENVIRONMENT_LABEL}={other}",
                    item.metadata.name.unwrap_or_default()
                ),
            });
        }
    }
    Ok(NamespaceState::Unlabelled)
}

/// Whether the namespace is being deleted (`deletionTimestamp` set, or phase `Terminating`).
pub fn is_terminating(namespace: &Namespace) -> bool {
    namespace.metadata.deletion_timestamp.is_some()
        || namespace.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating")
}

/// Asks the API server (SelfSubjectAccessReview, as `kubectl auth can-i`) whether the user
/// may do everything `secrets create` needs, so that a missing permission stops the run
/// before its first write. A cluster that cannot answer is not an error: the writes will tell.
pub async fn check_access(
    conn: &Connection,
    namespace: &str,
    state: NamespaceState,
) -> Result<(), SecretsError> {
    let mut needed = vec![
        ("get", "secrets", namespace),
        ("list", "secrets", namespace),
        ("create", "secrets", namespace),
        ("patch", "secrets", namespace),
    ];
    match state {
        NamespaceState::Missing => {
            needed.extend([("create", "namespaces", ""), ("patch", "namespaces", "")])
        }
        NamespaceState::Unlabelled => needed.push(("patch", "namespaces", "")),
        NamespaceState::Ours => {}
    }
    let api: Api<SelfSubjectAccessReview> = Api::all(conn.client.clone());
    let mut denied = Vec::new();
    for (verb, resource, ns) in needed {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.to_owned()),
                    resource: Some(resource.to_owned()),
                    namespace: (!ns.is_empty()).then(|| ns.to_owned()),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let Ok(answer) = api.create(&PostParams::default(), &review).await else {
            return Ok(());
        };
        if !answer.status.is_some_and(|s| s.allowed) {
            let scope = if ns.is_empty() {
                String::new()
            } else {
                format!(" in namespace {ns}")
            };
            denied.push(format!("{verb} {resource}{scope}"));
        }
    }
    if denied.is_empty() {
        Ok(())
    } else {
        Err(SecretsError::Forbidden(denied))
    }
}

/// Reads one secret; None when absent.
pub async fn read_secret(
    conn: &Connection,
    namespace: &str,
    name: &str,
) -> Result<Option<LiveSecret>, SecretsError> {
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    let secret = api.get_opt(name).await.map_err(|e| {
        ClusterError::request(format!("read secret {namespace}/{name}"), &conn.server, e)
    })?;
    Ok(secret.map(live_secret))
}

fn live_secret(secret: Secret) -> LiveSecret {
    let external_owner = secret
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == "ExternalSecret" && o.api_version.starts_with("external-secrets.io/"))
        .map(|o| o.name.clone());
    LiveSecret {
        resource_version: secret.metadata.resource_version.clone(),
        data: secret
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, SecretValue::new(v.0)))
            .collect(),
        records: manifest::read_records(secret.metadata.annotations.as_ref()),
        secret_type: secret.type_.unwrap_or_else(|| "Opaque".to_owned()),
        labels: secret.metadata.labels.unwrap_or_default(),
        external_owner,
    }
}

fn params(dry_run: bool, force: bool) -> PatchParams {
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.dry_run = dry_run;
    params.force = force;
    params
}

/// Creates or labels the namespace, and checks the answer: a namespace whose deletion began
/// meanwhile is refused as one found being deleted.
pub async fn apply_namespace(
    conn: &Connection,
    object: &Namespace,
    dry_run: bool,
) -> Result<(), SecretsError> {
    let namespace = object.metadata.name.as_deref().unwrap_or_default();
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let stored = api
        .patch(namespace, &params(dry_run, false), &Patch::Apply(object))
        .await
        .map_err(|e| {
            ClusterError::request(format!("apply namespace {namespace}"), &conn.server, e)
        })?;
    if is_terminating(&stored) {
        return Err(SecretsError::NamespaceTerminating(namespace.to_owned()));
    }
    Ok(())
}

/// Creates a secret planned as absent (POST, field manager `kubectl-smi`): 409
/// AlreadyExists when another client created it since it was read. Returns the stored
/// object; the raw kube error so that the caller can tell conflicts apart.
pub async fn create_secret(
    conn: &Connection,
    secret: &Secret,
    dry_run: bool,
) -> Result<Secret, kube::Error> {
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), &namespace);
    let params = PostParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.to_owned()),
    };
    api.create(&params, secret).await
}

/// Applies one secret (server-side apply as `kubectl-smi`, with the resourceVersion it
/// carries as a precondition); `force` takes over fields other managers own. The raw kube
/// error is returned so that conflicts can be told apart and retried.
pub async fn apply_secret(
    conn: &Connection,
    secret: &Secret,
    dry_run: bool,
    force: bool,
) -> Result<(), kube::Error> {
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let name = secret.metadata.name.clone().unwrap_or_default();
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), &namespace);
    api.patch(&name, &params(dry_run, force), &Patch::Apply(secret))
        .await
        .map(|_| ())
}

/// Whether a failed request was a 409 (a stale resourceVersion, AlreadyExists, or a field
/// conflict).
pub fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}

/// The field-manager conflicts of a refused server-side apply, as `(manager, field)`:
/// `("\"kubectl-edit\" using v1", ".data.KEY")`, read from the Status' causes of reason
/// `FieldManagerConflict` (apimachinery's `NewConflictError`). Empty for any other error.
pub fn field_conflicts(error: &kube::Error) -> Vec<(String, String)> {
    let kube::Error::Api(status) = error else {
        return Vec::new();
    };
    status
        .details
        .iter()
        .flat_map(|d| &d.causes)
        .filter(|c| c.reason == "FieldManagerConflict")
        .map(|c| {
            let manager = c
                .message
                .strip_prefix("conflict with ")
                .unwrap_or(&c.message);
            (manager.to_owned(), c.field.clone())
        })
        .collect()
}

/// Whether every conflict is with kubectl-smi's own earlier create or update (manager
/// `kubectl-smi`, operation Update): a later apply by `kubectl-smi` is another manager on
/// the API server, and may take those fields back.
pub fn only_own_conflicts(conflicts: &[(String, String)]) -> bool {
    let own = format!("\"{FIELD_MANAGER}\" using ");
    !conflicts.is_empty() && conflicts.iter().all(|(m, _)| m.starts_with(&own))
}

/// The webhook named in a 400 `admission webhook "NAME" does not support dry run`.
pub fn webhook_without_dry_run(error: &kube::Error) -> Option<String> {
    let kube::Error::Api(status) = error else {
        return None;
    };
    if status.code != 400 || !status.message.ends_with("does not support dry run") {
        return None;
    }
    status.message.split('"').nth(1).map(str::to_owned)
}

/// Every secret of the namespace by name (for `secrets status`).
pub async fn read_all(
    conn: &Connection,
    namespace: &str,
    names: &[String],
) -> Result<BTreeMap<String, LiveSecret>, SecretsError> {
    let mut found = BTreeMap::new();
    for name in names {
        if let Some(secret) = read_secret(conn, namespace, name).await? {
            found.insert(name.clone(), secret);
        }
    }
    Ok(found)
}
