//! Reading the namespace and secrets from the cluster, and applying them (server-side apply
//! as `kubectl-smi`, never forced: a field someone else set differently is a conflict).

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
    if found.metadata.deletion_timestamp.is_some()
        || found.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating")
    {
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

fn params(dry_run: bool) -> PatchParams {
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.dry_run = dry_run;
    params
}

/// Creates or labels the namespace.
pub async fn apply_namespace(
    conn: &Connection,
    object: &Namespace,
    dry_run: bool,
) -> Result<(), SecretsError> {
    let namespace = object.metadata.name.as_deref().unwrap_or_default();
    let api: Api<Namespace> = Api::all(conn.client.clone());
    api.patch(namespace, &params(dry_run), &Patch::Apply(object))
        .await
        .map_err(|e| {
            ClusterError::request(format!("apply namespace {namespace}"), &conn.server, e)
        })?;
    Ok(())
}

/// Applies one secret; the raw kube error is returned so that conflicts can be retried.
pub async fn apply_secret(
    conn: &Connection,
    secret: &Secret,
    dry_run: bool,
) -> Result<(), kube::Error> {
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let name = secret.metadata.name.clone().unwrap_or_default();
    let api: Api<Secret> = Api::namespaced(conn.client.clone(), &namespace);
    api.patch(&name, &params(dry_run), &Patch::Apply(secret))
        .await
        .map(|_| ())
}

/// Whether a failed request was a 409 Conflict (stale resourceVersion or a field conflict).
pub fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
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
