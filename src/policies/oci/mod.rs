//! Step 3 on OCI: the guide's three statements for every service account and bucket of the
//! table, every variable substituted, each identical statement once, grouped into policies
//! that respect OCI's limits.

pub mod grammar;

use serde::Serialize;

use super::PoliciesError;
use super::names::{check_namespace, check_oci_bucket, check_ocid};
use crate::catalog::SERVICE_ACCOUNTS;
use crate::values::Oci;

/// Statements one policy may hold (OCI IAM service limit "statements per policy").
pub const STATEMENTS_PER_POLICY: usize = 50;
/// Statements all policies from the root compartment to any leaf may hold (a hard limit).
pub const STATEMENTS_PER_COMPARTMENT_PATH: usize = 500;

/// Everything step 3 needs on OCI.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciPolicies {
    /// The OCI region (`smi.cloud.oci.region`).
    pub region: String,
    /// The OCID of the compartment holding the cluster and the policies
    /// (`smi.cloud.oci.compartmentId`).
    pub compartment_id: String,
    /// The OCID of the Kubernetes cluster (`smi.cloud.oci.clusterId`).
    pub cluster_id: String,
    /// The Kubernetes namespace of the platform's service accounts.
    pub namespace: String,
    /// The installation (`smi.environment`), part of the policies' names.
    pub environment: String,
    /// One entry per service account of the guide's table, in the table's order.
    pub service_accounts: Vec<ServiceAccountStatements>,
    /// The policies holding all statements, at most [`STATEMENTS_PER_POLICY`] each.
    pub policies: Vec<OciPolicy>,
}

/// The statements that give one service account its buckets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountStatements {
    /// The Kubernetes service account, as in the guide's table.
    pub service_account: &'static str,
    /// (purpose, bucket name)
    pub buckets: Vec<(&'static str, String)>,
    /// The policy holding them.
    pub policy: String,
    /// Only statements not already written for an earlier service account.
    pub statements: Vec<String>,
}

/// One `oci_identity_policy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciPolicy {
    /// The policy's name, `smi-<environment>[-<namespace>]-object-storage-<n>` ([`policy_name`]).
    pub name: String,
    /// The policy's description.
    pub description: String,
    /// The OCID of the compartment the policy is created in.
    pub compartment_id: String,
    /// The statements, in the guide's grammar (see [`grammar`]).
    pub statements: Vec<String>,
}

/// The variables of the guide's statements.
#[derive(Debug, Clone, Copy)]
pub struct Variables<'a> {
    /// `COMPARTMENT_ID`: the OCID of the compartment that contains the cluster.
    pub compartment_id: &'a str,
    /// `BUCKET_NAME`: the Object Storage bucket's name.
    pub bucket_name: &'a str,
    /// `NAMESPACE_NAME`: the Kubernetes namespace where the services run.
    pub namespace_name: &'a str,
    /// `SERVICE_ACCOUNT_NAME`: the Kubernetes service account of the pod needing access.
    pub service_account_name: &'a str,
    /// `KUBERNETES_CLUSTER_ID`: the OCID of the Kubernetes cluster running the pods.
    pub kubernetes_cluster_id: &'a str,
}

/// The guide's three statements for one service account and bucket.
pub fn statements(v: Variables<'_>) -> [String; 3] {
    let principal = format!(
        "request.principal.type = 'workload', request.principal.namespace = '{}', request.principal.service_account = '{}', request.principal.cluster_id = '{}'",
        v.namespace_name, v.service_account_name, v.kubernetes_cluster_id
    );
    let location = format!("in compartment id {}", v.compartment_id);
    let bucket = format!("target.bucket.name = '{}'", v.bucket_name);
    [
        format!(
            "Allow any-user to manage objectstorage-namespaces {location} where all {{ {principal} }}"
        ),
        format!(
            "Allow any-user to manage buckets {location} where all {{ {bucket}, request.permission = 'PAR_MANAGE', {principal} }}"
        ),
        format!(
            "Allow any-user to manage objects {location} where all {{ {bucket}, {principal} }}"
        ),
    ]
}

/// The stable name of the n-th policy (1-based).
pub fn policy_name(environment: &str, namespace: &str, n: usize) -> String {
    if environment == namespace {
        format!("smi-{environment}-object-storage-{n}")
    } else {
        format!("smi-{environment}-{namespace}-object-storage-{n}")
    }
}

/// Generates the statements and policies for the values' OCI section.
pub fn generate(
    oci: &Oci,
    environment: &str,
    namespace: &str,
) -> Result<OciPolicies, PoliciesError> {
    check_namespace("smi.namespace", namespace)?;
    check_ocid(
        "smi.cloud.oci.compartmentId",
        &oci.compartment_id,
        &["compartment", "tenancy"],
    )?;
    check_ocid("smi.cloud.oci.clusterId", &oci.cluster_id, &["cluster"])?;
    for bucket in crate::catalog::Bucket::ALL {
        check_oci_bucket(
            &format!("smi.cloud.oci.buckets.{}", bucket.purpose()),
            oci.buckets.name(bucket),
        )?;
    }
    let mut written: Vec<String> = Vec::new();
    let mut service_accounts = Vec::new();
    for sa in &SERVICE_ACCOUNTS {
        let mut own = Vec::new();
        let buckets: Vec<_> = sa
            .buckets
            .iter()
            .map(|b| (b.purpose(), oci.buckets.name(*b).to_owned()))
            .collect();
        for (_, bucket_name) in &buckets {
            let variables = Variables {
                compartment_id: &oci.compartment_id,
                bucket_name,
                namespace_name: namespace,
                service_account_name: sa.name,
                kubernetes_cluster_id: &oci.cluster_id,
            };
            for statement in statements(variables) {
                check_statement(&statement, variables)?;
                if !written.contains(&statement) && !own.contains(&statement) {
                    own.push(statement);
                }
            }
        }
        written.extend(own.iter().cloned());
        service_accounts.push(ServiceAccountStatements {
            service_account: sa.name,
            buckets,
            policy: String::new(),
            statements: own,
        });
    }
    if written.len() > STATEMENTS_PER_COMPARTMENT_PATH {
        return Err(PoliciesError::TooManyStatements {
            count: written.len(),
            limit: STATEMENTS_PER_COMPARTMENT_PATH,
        });
    }
    let policies = group(oci, environment, namespace, &mut service_accounts);
    Ok(OciPolicies {
        region: oci.region.clone(),
        compartment_id: oci.compartment_id.clone(),
        cluster_id: oci.cluster_id.clone(),
        namespace: namespace.to_owned(),
        environment: environment.to_owned(),
        service_accounts,
        policies,
    })
}

/// Packs the service accounts' statements into policies in table order, never splitting one
/// service account across two policies (so each policy reads as whole grants).
fn group(
    oci: &Oci,
    environment: &str,
    namespace: &str,
    service_accounts: &mut [ServiceAccountStatements],
) -> Vec<OciPolicy> {
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    for sa in service_accounts.iter_mut() {
        let current = groups.last().map_or(0, Vec::len);
        if current > 0 && current + sa.statements.len() > STATEMENTS_PER_POLICY {
            groups.push(Vec::new());
        }
        sa.policy = policy_name(environment, namespace, groups.len());
        if let Some(last) = groups.last_mut() {
            last.extend(sa.statements.iter().cloned());
        }
    }
    let count = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, statements)| OciPolicy {
            name: policy_name(environment, namespace, i + 1),
            description: format!(
                "SMI Digital Twin Platform {environment}: Object Storage access of the workloads in namespace {namespace} (part {} of {count}, kubectl-smi)",
                i + 1
            ),
            compartment_id: oci.compartment_id.clone(),
            statements,
        })
        .collect()
}

/// A generated statement must parse back into exactly the values put in.
fn check_statement(statement: &str, v: Variables<'_>) -> Result<(), PoliciesError> {
    let fail = |reason: String| PoliciesError::OciGrammar {
        statement: statement.to_owned(),
        reason,
    };
    let parsed = grammar::parse(statement).map_err(fail)?;
    let expected = |variable: &str| match variable {
        "target.bucket.name" => v.bucket_name,
        "request.permission" => "PAR_MANAGE",
        "request.principal.type" => "workload",
        "request.principal.namespace" => v.namespace_name,
        "request.principal.service_account" => v.service_account_name,
        _ => v.kubernetes_cluster_id,
    };
    if parsed.compartment_id != v.compartment_id {
        return Err(fail("the compartment id does not read back".to_owned()));
    }
    match parsed
        .conditions
        .iter()
        .find(|(var, value)| value != expected(var))
    {
        Some((var, _)) => Err(fail(format!("{var} does not read back"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::aws::tests_support::example_values;

    fn example() -> OciPolicies {
        let values = example_values("values-oci.yaml");
        let oci = values.smi.cloud.oci.as_ref().expect("oci section");
        generate(oci, &values.smi.environment, values.smi.namespace()).expect("generated")
    }

    #[test]
    fn every_statement_is_written_once_within_the_policy_limit() {
        let generated = example();
        let all: Vec<&String> = generated
            .policies
            .iter()
            .flat_map(|p| &p.statements)
            .collect();
        // 18 namespace statements (one per service account) + 2 per service account and bucket (32).
        assert_eq!(all.len(), 18 + 2 * 32);
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        assert!(
            generated
                .policies
                .iter()
                .all(|p| p.statements.len() <= STATEMENTS_PER_POLICY)
        );
        assert_eq!(generated.policies.len(), 2);
    }

    #[test]
    fn the_filesvc_service_account_gets_the_kafka_and_filesvc_buckets() {
        let generated = example();
        let filesvc = generated
            .service_accounts
            .iter()
            .find(|s| s.service_account == "filesvc")
            .unwrap();
        assert_eq!(filesvc.statements.len(), 5);
        assert!(
            filesvc
                .statements
                .iter()
                .any(|s| s.contains("target.bucket.name = 'dtp-prod-filesvc'"))
        );
        assert!(
            filesvc
                .statements
                .iter()
                .any(|s| s.contains("target.bucket.name = 'dtp-prod-kafka'"))
        );
    }

    #[test]
    fn a_shared_bucket_name_does_not_repeat_statements() {
        let values = example_values("values-oci.yaml");
        let mut oci = values.smi.cloud.oci.clone().unwrap();
        oci.buckets.filesvc = oci.buckets.kafka.clone();
        let generated = generate(&oci, "prod", "dtp").unwrap();
        let filesvc = generated
            .service_accounts
            .iter()
            .find(|s| s.service_account == "filesvc")
            .unwrap();
        assert_eq!(filesvc.statements.len(), 3);
    }
}
