//! Step 6 on the workload side: each workload receives the secrets of the catalog whose
//! consumers include its service account (the same catalog `kubectl smi secrets create`
//! fills), as `envFrom` or as a read-only volume, never twice.

use serde_json::{Map, Value, json};

use super::namespace::PlatformNamespace;
use super::workload::{
    is_workload, list_mut, pod_spec_mut, service_account_fields, service_account_in,
};
use super::{Context, Filter, RenderError};
use crate::catalog::{SecretSpec, secret_catalog};
use crate::stream::Stream;
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

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        for object in stream.objects() {
            let kind = stream.header(object).kind.clone();
            if !is_workload(&kind) {
                continue;
            }
            let Some(sa) = service_account_in(stream, object, &kind)? else {
                continue;
            };
            let secrets: Vec<&SecretSpec> = self
                .catalog
                .iter()
                .filter(|s| s.consumers.contains(&sa))
                .collect();
            if secrets.is_empty() {
                continue;
            }
            let names: Vec<&str> = secrets.iter().map(|s| s.name.as_str()).collect();
            self.namespace.check(stream, object, |ns| {
                format!(
                    "its pods run as {sa} and would reference {}, which `kubectl smi secrets create` puts in {ns}",
                    names.join(", ")
                )
            })?;
            let reason = format!("pods run as {sa}, which receives {}", names.join(", "));
            cx.change(stream, object, reason, |o| {
                if let Some(spec) = pod_spec_mut(o, &kind) {
                    for secret in &secrets {
                        match &secret.mount_path {
                            None => add_env_from(spec, &secret.name),
                            Some(path) => add_volume(spec, &secret.name, path),
                        }
                    }
                }
            })?;
        }
        Ok(())
    }
}

fn main_containers(spec: &mut Map<String, Value>) -> impl Iterator<Item = &mut Map<String, Value>> {
    spec.get_mut("containers")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// `envFrom: [{secretRef: {name}}]` unless the container already takes the secret, whole or
/// key by key.
fn add_env_from(spec: &mut Map<String, Value>, secret: &str) {
    for container in main_containers(spec) {
        let whole = container
            .get("envFrom")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter()
                    .any(|e| e.pointer("/secretRef/name").and_then(Value::as_str) == Some(secret))
            });
        let by_key = container
            .get("env")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter().any(|e| {
                    e.pointer("/valueFrom/secretKeyRef/name")
                        .and_then(Value::as_str)
                        == Some(secret)
                })
            });
        if !whole && !by_key {
            list_mut(container, "envFrom").push(json!({"secretRef": {"name": secret}}));
        }
    }
}

/// A read-only volume of the secret, mounted at `path` in every container, reusing a volume
/// of the same secret the chart already declares.
fn add_volume(spec: &mut Map<String, Value>, secret: &str, path: &str) {
    let volumes = list_mut(spec, "volumes");
    let volume = match volumes
        .iter()
        .find(|v| v.pointer("/secret/secretName").and_then(Value::as_str) == Some(secret))
    {
        Some(existing) => existing["name"].as_str().unwrap_or(secret).to_owned(),
        None => {
            volumes.push(json!({"name": secret, "secret": {"secretName": secret}}));
            secret.to_owned()
        }
    };
    for container in main_containers(spec) {
        let mounts = list_mut(container, "volumeMounts");
        if !mounts.iter().any(|m| m["name"] == volume.as_str()) {
            mounts.push(json!({"name": volume, "mountPath": path, "readOnly": true}));
        }
    }
}
