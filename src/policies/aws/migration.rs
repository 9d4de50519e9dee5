//! IRSA to EKS Pod Identity, in the order the AWS SDKs need. IRSA's web identity
//! credentials come earlier in the SDK credential chain than the Pod Identity agent's, and a
//! pod keeps the IRSA environment (`AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE`, injected by
//! EKS's pod identity webhook when the pod is created) until it is replaced. So:
//!
//! 1. `policies --apply --migrate-trust` (values still `identity: irsa`) gives each role both
//!    trusts and creates the pod identity associations;
//! 2. the values switch to `identity: podIdentity`, the post-renderer drops the IRSA
//!    annotation, the pods roll;
//! 3. `policies --apply` removes the OIDC statement only when no running pod of the
//!    namespace still has the IRSA environment ([`irsa_pods`], read from the cluster), and
//!    names the pods that block it otherwise.
//!
//! `policies check` reports a role between 1 and 3 ([`in_migration`]).

use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

use super::compare::grants;
use super::{Association, AwsPolicies, documents};
use crate::cluster::ClusterError;

/// The action of IRSA's trust statements.
const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
/// The principal of the Pod Identity trust statement.
const POD_IDENTITY_SERVICE: &str = "pods.eks.amazonaws.com";

/// The environment EKS's pod identity webhook injects for IRSA.
pub const IRSA_ENV: [&str; 2] = ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"];

/// Step 1: the IRSA policies with each role trusting both its OIDC statement and EKS Pod
/// Identity, and one pod identity association per role. `policies` must be generated for
/// `identity: irsa`.
pub fn with_both_trusts(mut policies: AwsPolicies) -> AwsPolicies {
    let pod_identity = documents::pod_identity_trust();
    for role in &mut policies.roles {
        let mut statements = statements_of(&role.trust_policy);
        statements.extend(statements_of(&pod_identity));
        role.trust_policy = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    }
    policies.pod_identity_associations = policies
        .roles
        .iter()
        .map(|r| Association {
            cluster_name: policies.cluster_name.clone(),
            namespace: policies.namespace.clone(),
            service_account: r.service_account,
            role_arn: r.arn.clone(),
        })
        .collect();
    policies
}

fn statements_of(document: &Value) -> Vec<Value> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// Whether `wanted` trusts no web identity (the values say `podIdentity`) and a trust
/// policy grants all of it and only web identity (IRSA) beyond: what is left of step 1.
pub fn only_irsa_beyond(wanted: &Value, found: &Value) -> bool {
    if grants(wanted).iter().any(|g| g.action == WEB_IDENTITY) {
        return false;
    }
    let (missing, extra) = super::compare::difference(wanted, found);
    missing.is_empty() && !extra.is_empty() && extra.iter().all(|g| g.action == WEB_IDENTITY)
}

/// Whether a trust policy trusts both IRSA (web identity) and EKS Pod Identity: a role in
/// the middle of a migration.
pub fn in_migration(trust: &Value) -> bool {
    let found = grants(trust);
    found.iter().any(|g| g.action == WEB_IDENTITY)
        && found
            .iter()
            .any(|g| g.principal.contains(POD_IDENTITY_SERVICE))
}

/// The pods of `namespace` that have not finished and still carry the IRSA environment
/// (in a container or an init container), by name.
///
/// Errors: the API server's refusal or unreachability, as [`ClusterError`] (the
/// credentials need `list` on pods in the namespace).
pub async fn irsa_pods(
    client: &kube::Client,
    server: &str,
    namespace: &str,
) -> Result<Vec<String>, ClusterError> {
    let api: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let pods = api
        .list(&kube::api::ListParams::default())
        .await
        .map_err(|e| ClusterError::request(format!("list pods in {namespace}"), server, e))?;
    let mut names: Vec<String> = pods
        .items
        .iter()
        .filter(|pod| {
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            !matches!(phase, Some("Succeeded" | "Failed"))
        })
        .filter(|pod| has_irsa_env(pod))
        .filter_map(|pod| pod.metadata.name.clone())
        .collect();
    names.sort();
    Ok(names)
}

fn has_irsa_env(pod: &Pod) -> bool {
    let Some(spec) = &pod.spec else {
        return false;
    };
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(|c| c.env.iter().flatten())
        .any(|e| IRSA_ENV.contains(&e.name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::example_values;
    use super::super::{Overrides, generate, resolve_target};
    use super::*;

    fn irsa() -> AwsPolicies {
        let values = example_values("values-aws-irsa.yaml");
        let aws = values.smi.cloud.aws.as_ref().expect("aws");
        let target = resolve_target(aws, &Overrides::default(), None).expect("target");
        generate(
            aws,
            &values.smi.environment,
            values.smi.namespace(),
            &target,
        )
        .expect("generated")
    }

    #[test]
    fn step_one_trusts_both_and_adds_the_associations() {
        let both = with_both_trusts(irsa());
        assert_eq!(both.pod_identity_associations.len(), 18);
        assert!(both.roles.iter().all(|r| in_migration(&r.trust_policy)));
        assert!(!in_migration(&irsa().roles[0].trust_policy));
    }

    #[test]
    fn only_the_oidc_statement_may_be_left_over() {
        let both = with_both_trusts(irsa());
        let pod_identity = documents::pod_identity_trust();
        assert!(only_irsa_beyond(&pod_identity, &both.roles[0].trust_policy));
        assert!(!only_irsa_beyond(&pod_identity, &pod_identity));
        let wider = serde_json::json!({"Version": "2012-10-17", "Statement": [
            pod_identity["Statement"][0].clone(),
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
        assert!(!only_irsa_beyond(&pod_identity, &wider));
    }
}
