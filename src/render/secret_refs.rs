//! Step 6 on the workload side: each workload receives the secrets of the catalog whose
//! consumers include its service account (the same catalog `kubectl smi secrets create`
//! fills), as `envFrom` or as a read-only volume, never twice.

use serde_json::json;

use super::namespace::PlatformNamespace;
use super::workload::{
    below, container_paths, is_workload, items, pod_spec_path, recorded_service_account,
    service_account_fields, service_account_in, str_at, workload_kinds,
};
use super::{Context, Filter, RenderError};
use crate::catalog::{SecretSpec, secret_catalog};
use crate::stream::{Edit, ObjectRef, Prebuild, Stream};
use crate::values::Smi;

/// Gives each workload the secrets of the catalog its service account consumes.
#[derive(Debug)]
pub struct SecretRefs {
    /// The built-in catalog with the values' entries.
    catalog: Vec<SecretSpec>,
    /// Where `kubectl smi secrets create` puts the secrets the workloads reference.
    namespace: PlatformNamespace,
}

impl SecretRefs {
    /// The filter for these values; fails when the values' catalog entries are unusable.
    pub fn new(smi: &Smi) -> Result<SecretRefs, RenderError> {
        let catalog = secret_catalog(&smi.secrets.catalog)
            .map_err(|e| RenderError::Catalog(e.to_string()))?;
        Ok(SecretRefs {
            catalog,
            namespace: PlatformNamespace::new(smi),
        })
    }
}

impl Filter for SecretRefs {
    fn name(&self) -> &'static str {
        "secret-refs"
    }

    fn fields(&self) -> Vec<crate::stream::Field> {
        service_account_fields()
    }

    fn prebuild(&self) -> Option<Prebuild<'_>> {
        Some(Prebuild {
            kinds: workload_kinds(),
            wanted: Box::new(|header, field| {
                recorded_service_account(&header.kind, field)
                    .is_some_and(|sa| self.catalog.iter().any(|s| s.consumers.contains(&sa)))
            }),
        })
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        // Each workload's kind and secrets are found first, then the workloads are edited
        // (on two threads when there are many). A workload refused on the way ends the
        // finding; the workloads before it are edited first, so that the error reported is
        // the first in stream order, as when each was edited in turn.
        let mut jobs = Vec::new();
        let mut refused = None;
        for object in stream.objects() {
            match self.job(stream, object) {
                Ok(Some(job)) => jobs.push(job),
                Ok(None) => {}
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        cx.change_each(stream, jobs, |o, (kind, secrets)| {
            if let Some(spec) = pod_spec_path(o, kind) {
                for secret in secrets {
                    match &secret.mount_path {
                        None => add_env_from(o, &spec, &secret.name),
                        Some(path) => add_volume(o, &spec, &secret.name, path),
                    }
                }
            }
        })?;
        refused.map_or(Ok(()), Err)
    }
}

/// A workload to edit: its kind and the secrets its service account receives.
type Job<'c> = (String, Vec<&'c SecretSpec>);

impl SecretRefs {
    /// The edit `object` needs: `None` for an object that is not a workload or whose
    /// service account receives no secret. Errors: a workload outside the namespace the
    /// secrets are created in, or a document that cannot be read.
    fn job(
        &self,
        stream: &mut Stream,
        object: ObjectRef,
    ) -> Result<Option<(ObjectRef, String, Job<'_>)>, RenderError> {
        let kind = stream.header(object).kind.clone();
        if !is_workload(&kind) {
            return Ok(None);
        }
        let Some(sa) = service_account_in(stream, object, &kind)? else {
            return Ok(None);
        };
        let secrets: Vec<&SecretSpec> = self
            .catalog
            .iter()
            .filter(|s| s.consumers.contains(&sa))
            .collect();
        if secrets.is_empty() {
            return Ok(None);
        }
        let names: Vec<&str> = secrets.iter().map(|s| s.name.as_str()).collect();
        self.namespace.check(stream, object, |ns| {
            format!(
                "its pods run as {sa} and would reference {}, which `kubectl smi secrets create` puts in {ns}",
                names.join(", ")
            )
        })?;
        let reason = format!("pods run as {sa}, which receives {}", names.join(", "));
        Ok(Some((object, reason, (kind, secrets))))
    }
}

/// `envFrom: [{secretRef: {name}}]` unless the container already takes the secret, whole or
/// key by key.
fn add_env_from(edit: &mut Edit<'_>, spec: &[String], secret: &str) {
    for container in container_paths(edit, spec, &["containers"]) {
        let env_from = below(&container, &["envFrom"]);
        let whole = items(edit, &env_from)
            .iter()
            .any(|e| str_at(&e.value, &["secretRef", "name"]).as_deref() == Some(secret));
        let by_key = items(edit, &below(&container, &["env"])).iter().any(|e| {
            str_at(&e.value, &["valueFrom", "secretKeyRef", "name"]).as_deref() == Some(secret)
        });
        if !whole && !by_key {
            edit.push(&env_from, json!({"secretRef": {"name": secret}}));
        }
    }
}

/// A read-only volume of the secret, mounted at `path` in every container, reusing a volume
/// of the same secret the chart already declares.
fn add_volume(edit: &mut Edit<'_>, spec: &[String], secret: &str, path: &str) {
    let volumes = below(spec, &["volumes"]);
    let existing = items(edit, &volumes)
        .iter()
        .find(|v| str_at(&v.value, &["secret", "secretName"]).as_deref() == Some(secret))
        .map(|v| str_at(&v.value, &["name"]).unwrap_or_else(|| secret.to_owned()));
    let volume = match existing {
        Some(name) => name,
        None => {
            edit.push(
                &volumes,
                json!({"name": secret, "secret": {"secretName": secret}}),
            );
            secret.to_owned()
        }
    };
    for container in container_paths(edit, spec, &["containers"]) {
        let mounts = below(&container, &["volumeMounts"]);
        let mounted = items(edit, &mounts)
            .iter()
            .any(|m| str_at(&m.value, &["name"]).as_deref() == Some(volume.as_str()));
        if !mounted {
            edit.push(
                &mounts,
                json!({"name": volume, "mountPath": path, "readOnly": true}),
            );
        }
    }
}
