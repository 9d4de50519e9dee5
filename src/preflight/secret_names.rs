//! The secrets of the catalog exist in the namespace: checked by name from a metadata-only
//! list, so secret values never leave the cluster.

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ListParams};

use super::check::{Check, Group};
use super::cluster::{ClusterPlan, fail_with};

pub fn secret_title(namespace: &str, name: &str) -> String {
    format!("secret {namespace}/{name} exists")
}

/// One check per secret of the catalog, from a metadata-only list: values never leave the cluster.
pub async fn secrets(
    client: &Client,
    plan: &ClusterPlan<'_>,
    namespace_exists: bool,
) -> Vec<Check> {
    let ids = plan.secrets.iter().map(|s| {
        (
            format!("cluster/secret/{}", s.name),
            secret_title(plan.namespace, &s.name),
        )
    });
    if !namespace_exists {
        return ids
            .map(|(id, title)| {
                Check::blocked(id, Group::Cluster, title, "the namespace does not exist")
            })
            .collect();
    }
    let listed = Api::<Secret>::namespaced(client.clone(), plan.namespace)
        .list_metadata(&ListParams::default())
        .await;
    let names: Vec<String> = match listed {
        Ok(list) => list
            .items
            .into_iter()
            .filter_map(|s| s.metadata.name)
            .collect(),
        Err(e) => {
            return ids
                .map(|(id, title)| fail_with(&id, title, &e, "list secrets"))
                .collect();
        }
    };
    ids.zip(plan.secrets)
        .map(|((id, title), spec)| {
            if names.contains(&spec.name) {
                Check::pass(id, Group::Cluster, title, "")
            } else {
                let hint = "`kubectl smi secrets create -f values.yaml` creates it (supplied credentials from --from-env-file)";
                Check::fail(id, Group::Cluster, title, "not found", hint)
            }
        })
        .collect()
}
