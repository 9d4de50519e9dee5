//! Step 3 on AWS: one access policy per bucket, one role per service account of the guide's
//! table with its bucket policies attached, the trust policy (EKS Pod Identity, or the
//! cluster's OIDC provider for IRSA) and the pod identity associations.

pub mod account;
pub mod apply;
pub mod check;
mod compare;
pub mod delete;
pub mod documents;
pub mod limits;
pub mod migration;
pub mod observe;
pub mod plan;
pub mod session;

use serde::Serialize;
use serde_json::Value;

use super::PoliciesError;
use super::names::{check_iam_name, check_namespace, check_s3_bucket};
use crate::catalog::{Bucket, SERVICE_ACCOUNTS};
use crate::values::{Aws, AwsIdentity};
use session::CallerIdentity;

/// Tag put on every role, policy and association kubectl-smi creates.
pub const MANAGED_BY_TAG: (&str, &str) = ("smi.dtplatform.io/managed-by", "kubectl-smi");
/// Tag naming the platform's environment.
pub const ENVIRONMENT_TAG: &str = "smi.dtplatform.io/environment";
/// Prefix of the tag that records one cluster using a role or policy: the key is the prefix
/// and the EKS cluster's name (at most 100 characters, so the key stays within IAM's 128),
/// the value the namespace the cluster's service accounts are in. Pod Identity roles are
/// account-wide and may serve several clusters; `policies delete` removes a role only when
/// no other cluster's tag is left on it.
pub const CLUSTER_TAG_PREFIX: &str = "smi.dtplatform.io/cluster/";

/// The tag key recording that `cluster` uses a role or policy.
pub fn cluster_tag(cluster: &str) -> String {
    format!("{CLUSTER_TAG_PREFIX}{cluster}")
}

/// The clusters a role's or policy's tags record (see [`CLUSTER_TAG_PREFIX`]), sorted.
pub fn tagged_clusters(tags: &std::collections::BTreeMap<String, String>) -> Vec<&str> {
    tags.keys()
        .filter_map(|k| k.strip_prefix(CLUSTER_TAG_PREFIX))
        .collect()
}

/// Whether tags carry kubectl-smi's `managed-by` tag (see [`MANAGED_BY_TAG`]).
pub fn is_managed(tags: &std::collections::BTreeMap<String, String>) -> bool {
    tags.get(MANAGED_BY_TAG.0).map(String::as_str) == Some(MANAGED_BY_TAG.1)
}

/// Account, partition and OIDC issuer given on the command line; they win over the values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--account-id`: the 12-digit AWS account id.
    pub account_id: Option<String>,
    /// `--partition`: one of [`account::PARTITIONS`] (`aws`, `aws-cn`, `aws-us-gov`, ...).
    pub partition: Option<String>,
    /// `--oidc-issuer`: the cluster's OIDC issuer URL
    /// (`https://oidc.eks.<region>.amazonaws.com/id/<id>`), for IRSA.
    pub oidc_issuer: Option<String>,
}

/// Whether the account id is known only to STS (neither flags nor values give it).
pub fn needs_caller_identity(aws: &Aws, overrides: &Overrides) -> bool {
    overrides.account_id.is_none() && aws.account_id.is_none()
}

/// Account: flag, values, then the caller's identity. Partition: flag, values, the
/// caller's ARN, then the region (cn-* is aws-cn, us-gov-* is aws-us-gov).
pub fn resolve_target(
    aws: &Aws,
    overrides: &Overrides,
    caller: Option<&CallerIdentity>,
) -> Result<Target, PoliciesError> {
    let account_id = match (&overrides.account_id, &aws.account_id, caller) {
        (Some(flag), _, _) => {
            account::check_account_id("--account-id", flag)?;
            flag.clone()
        }
        (None, Some(value), _) => {
            account::check_account_id("smi.cloud.aws.accountId", value)?;
            value.clone()
        }
        (None, None, Some(caller)) => caller.account_id.clone(),
        (None, None, None) => {
            return Err(PoliciesError::InvalidValue {
                path: "smi.cloud.aws.accountId".to_owned(),
                value: String::new(),
                reason: "the account id is unknown: set it, pass --account-id, or let STS tell it"
                    .to_owned(),
            });
        }
    };
    let partition = match (&overrides.partition, &aws.partition) {
        (Some(flag), _) => {
            account::check_partition("--partition", flag)?;
            // The rule the values follow (values::rules, "partition and region agree").
            let of_region = crate::values::partition_of_region(&aws.region);
            if flag != of_region {
                return Err(PoliciesError::InvalidValue {
                    path: "--partition".to_owned(),
                    value: flag.clone(),
                    reason: format!(
                        "not the partition of the values' region {} (`{of_region}`), as smi.cloud.aws.partition would have to be; leave --partition out, it is derived from the region",
                        aws.region
                    ),
                });
            }
            flag.clone()
        }
        (None, Some(value)) => {
            account::check_partition("smi.cloud.aws.partition", value)?;
            value.clone()
        }
        (None, None) => caller
            .map(|c| c.partition.clone())
            .unwrap_or_else(|| account::partition_of_region(&aws.region).to_owned()),
    };
    Ok(Target {
        account_id,
        partition,
        oidc_issuer: overrides
            .oidc_issuer
            .clone()
            .or_else(|| aws.oidc_issuer.clone()),
    })
}

/// Account, partition and OIDC issuer once flags, values and STS have been consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The 12-digit AWS account id.
    pub account_id: String,
    /// The AWS partition, one of [`account::PARTITIONS`] (`aws`, `aws-cn`, `aws-us-gov`, ...).
    pub partition: String,
    /// The cluster's OIDC issuer URL (IRSA only); none when unknown.
    pub oidc_issuer: Option<String>,
}

/// Everything step 3 needs on AWS.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsPolicies {
    /// The 12-digit AWS account id.
    pub account_id: String,
    /// The AWS partition, one of [`account::PARTITIONS`] (`aws`, `aws-cn`, `aws-us-gov`, ...).
    pub partition: String,
    /// The AWS region (`smi.cloud.aws.region`).
    pub region: String,
    /// The EKS cluster's name (`smi.cloud.aws.clusterName`).
    pub cluster_name: String,
    /// The Kubernetes namespace of the platform's service accounts.
    pub namespace: String,
    /// The installation (`smi.environment`), put in descriptions and the environment tag.
    pub environment: String,
    /// How pods get their role: EKS Pod Identity or IRSA.
    pub identity: AwsIdentity,
    /// IRSA: the IAM OIDC provider the roles trust.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_provider_arn: Option<String>,
    /// One access policy per bucket of the guide, in the order of [`Bucket::ALL`].
    pub policies: Vec<BucketPolicy>,
    /// One role per service account of the guide's table, in the table's order.
    pub roles: Vec<Role>,
    /// EKS Pod Identity only (IRSA wires roles with a service account annotation instead).
    pub pod_identity_associations: Vec<Association>,
}

/// The access policy of one bucket.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketPolicy {
    /// The bucket's purpose in the guide (kafka, filesvc, ...).
    pub bucket: &'static str,
    /// The S3 bucket's name (`smi.cloud.aws.buckets.<purpose>`).
    pub bucket_name: String,
    /// The IAM policy's name: `<roleNamePrefix><purpose>-bucket`.
    pub name: String,
    /// The IAM policy's ARN, `arn:<partition>:iam::<account>:policy/<name>`.
    pub arn: String,
    /// The IAM policy's description.
    pub description: String,
    /// The IAM policy document (JSON): S3 object and bucket actions, and KMS when key ARNs are
    /// given.
    pub document: Value,
}

/// The role of one service account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// The Kubernetes service account, as in the guide's table.
    pub service_account: &'static str,
    /// The IAM role's name: `smi.cloud.aws.roleNamePrefix` and the service account's name.
    pub name: String,
    /// The IAM role's ARN, `arn:<partition>:iam::<account>:role/<name>`.
    pub arn: String,
    /// The IAM role's description.
    pub description: String,
    /// The purposes of the buckets the role may use, as in the guide's table.
    pub buckets: Vec<&'static str>,
    /// The trust policy document (JSON): EKS Pod Identity, or the OIDC provider for IRSA.
    pub trust_policy: Value,
    /// The ARNs of the bucket policies attached to the role.
    pub policy_arns: Vec<String>,
}

/// An EKS pod identity association.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// The EKS cluster's name.
    pub cluster_name: String,
    /// The Kubernetes namespace of the service account.
    pub namespace: String,
    /// The Kubernetes service account, as in the guide's table.
    pub service_account: &'static str,
    /// The ARN of the role the service account's pods assume.
    pub role_arn: String,
}

impl AwsPolicies {
    /// The tags of everything created or taken over for this environment and cluster:
    /// [`MANAGED_BY_TAG`], [`ENVIRONMENT_TAG`] and this cluster's [`cluster_tag`] (whose value
    /// is the namespace).
    pub fn tags(&self) -> Vec<(String, String)> {
        vec![
            (MANAGED_BY_TAG.0.to_owned(), MANAGED_BY_TAG.1.to_owned()),
            (ENVIRONMENT_TAG.to_owned(), self.environment.clone()),
            (cluster_tag(&self.cluster_name), self.namespace.clone()),
        ]
    }

    /// The tags of [`AwsPolicies::tags`] that `existing` lacks or holds with another value.
    pub fn missing_tags(
        &self,
        existing: &std::collections::BTreeMap<String, String>,
    ) -> Vec<(String, String)> {
        self.tags()
            .into_iter()
            .filter(|(k, v)| existing.get(k) != Some(v))
            .collect()
    }

    /// The role of a service account (by its name in the guide's table), if it has one.
    pub fn role(&self, service_account: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.service_account == service_account)
    }
}

/// The name of a bucket's access policy: stable, so re-runs find what they created.
pub fn policy_name(prefix: &str, bucket: Bucket) -> String {
    format!("{prefix}{}-bucket", bucket.purpose())
}

/// Generates the policies, roles and associations for the values' AWS section.
pub fn generate(
    aws: &Aws,
    environment: &str,
    namespace: &str,
    target: &Target,
) -> Result<AwsPolicies, PoliciesError> {
    check_namespace("smi.namespace", namespace)?;
    account::check_region("smi.cloud.aws.region", &aws.region)?;
    for (i, arn) in aws.kms_key_arns.iter().enumerate() {
        check_kms_key_arn(&format!("smi.cloud.aws.kmsKeyArns[{i}]"), arn)?;
    }
    let arn_prefix = format!("arn:{}:iam::{}", target.partition, target.account_id);
    let policies = Bucket::ALL
        .iter()
        .map(|&bucket| bucket_policy(aws, environment, target, bucket))
        .collect::<Result<Vec<_>, _>>()?;
    let oidc = match aws.identity {
        AwsIdentity::PodIdentity => None,
        AwsIdentity::Irsa => Some(oidc_provider(aws, target)?),
    };
    let mut roles = Vec::new();
    for sa in &SERVICE_ACCOUNTS {
        let name = aws.role_name(sa.name);
        check_iam_name(
            "smi.cloud.aws.roleNamePrefix",
            &name,
            limits::ROLE_NAME_LENGTH,
        )?;
        let trust_policy = match &oidc {
            None => documents::pod_identity_trust(),
            Some((arn, host_path)) => documents::irsa_trust(arn, host_path, namespace, sa.name),
        };
        let policy_arns = sa
            .buckets
            .iter()
            .filter_map(|b| policies.iter().find(|p| p.bucket == b.purpose()))
            .map(|p| p.arn.clone())
            .collect();
        roles.push(Role {
            service_account: sa.name,
            arn: format!("{arn_prefix}:role/{name}"),
            description: format!(
                "SMI Digital Twin Platform {environment}: service account {namespace}/{} (kubectl-smi)",
                sa.name
            ),
            name,
            buckets: sa.buckets.iter().map(|b| b.purpose()).collect(),
            trust_policy,
            policy_arns,
        });
    }
    let pod_identity_associations = match aws.identity {
        AwsIdentity::Irsa => Vec::new(),
        AwsIdentity::PodIdentity => roles
            .iter()
            .map(|r| Association {
                cluster_name: aws.cluster_name.clone(),
                namespace: namespace.to_owned(),
                service_account: r.service_account,
                role_arn: r.arn.clone(),
            })
            .collect(),
    };
    Ok(AwsPolicies {
        account_id: target.account_id.clone(),
        partition: target.partition.clone(),
        region: aws.region.clone(),
        cluster_name: aws.cluster_name.clone(),
        namespace: namespace.to_owned(),
        environment: environment.to_owned(),
        identity: aws.identity,
        oidc_provider_arn: oidc.map(|(arn, _)| arn),
        policies,
        roles,
        pod_identity_associations,
    })
}

fn bucket_policy(
    aws: &Aws,
    environment: &str,
    target: &Target,
    bucket: Bucket,
) -> Result<BucketPolicy, PoliciesError> {
    let bucket_name = aws.buckets.name(bucket);
    check_s3_bucket(
        &format!("smi.cloud.aws.buckets.{}", bucket.purpose()),
        bucket_name,
    )?;
    let name = policy_name(&aws.role_name_prefix, bucket);
    check_iam_name(
        "smi.cloud.aws.roleNamePrefix",
        &name,
        limits::POLICY_NAME_LENGTH,
    )?;
    let bucket_arn = format!("arn:{}:s3:::{bucket_name}", target.partition);
    Ok(BucketPolicy {
        bucket: bucket.purpose(),
        bucket_name: bucket_name.to_owned(),
        arn: format!(
            "arn:{}:iam::{}:policy/{name}",
            target.partition, target.account_id
        ),
        description: format!(
            "SMI Digital Twin Platform {environment}: read and write the {} bucket {bucket_name} (kubectl-smi)",
            bucket.purpose()
        ),
        name,
        document: documents::bucket_policy(&bucket_arn, &aws.kms_key_arns),
    })
}

fn check_kms_key_arn(path: &str, arn: &str) -> Result<(), PoliciesError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && account::PARTITIONS.contains(&parts[1])
        && parts[2] == "kms"
        && account::check_account_id("", parts[4]).is_ok()
        && (parts[5].starts_with("key/") || parts[5].starts_with("alias/"))
        && !arn.contains(['"', '\\', '*', ' ']);
    if ok {
        return Ok(());
    }
    Err(PoliciesError::InvalidValue {
        path: path.to_owned(),
        value: arn.to_owned(),
        reason: "not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)".to_owned(),
    })
}

/// The ARN of the cluster's IAM OIDC provider and the issuer without its scheme (the prefix
/// of the condition keys).
fn oidc_provider(aws: &Aws, target: &Target) -> Result<(String, String), PoliciesError> {
    let issuer = target
        .oidc_issuer
        .as_deref()
        .ok_or_else(|| PoliciesError::MissingOidcIssuer {
            cluster_name: aws.cluster_name.clone(),
            region: aws.region.clone(),
        })?;
    let host_path = issuer
        .strip_prefix("https://")
        .map(|rest| rest.trim_end_matches('/'))
        .filter(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'/' | b'_'))
        })
        .ok_or_else(|| PoliciesError::InvalidValue {
            path: "smi.cloud.aws.oidcIssuer".to_owned(),
            value: issuer.to_owned(),
            reason: "the OIDC issuer is an https URL such as https://oidc.eks.<region>.amazonaws.com/id/<id>"
                .to_owned(),
        })?;
    let arn = format!(
        "arn:{}:iam::{}:oidc-provider/{host_path}",
        target.partition, target.account_id
    );
    Ok((arn, host_path.to_owned()))
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::values::{Values, parse};

    /// The typed values of `examples/<name>`.
    pub fn example_values(name: &str) -> Values {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        let text = std::fs::read_to_string(&path).expect("the example exists");
        let file = parse(&path, text).expect("the example parses");
        serde_json::from_value(file.json).expect("the example is typed")
    }

    /// The policies of examples/values-aws.yaml (pod identity, account from the values).
    pub fn example_policies() -> AwsPolicies {
        let values = example_values("values-aws.yaml");
        let aws = values.smi.cloud.aws.as_ref().expect("aws section");
        let target = resolve_target(aws, &Overrides::default(), None).expect("target");
        generate(
            aws,
            &values.smi.environment,
            values.smi.namespace(),
            &target,
        )
        .expect("generated")
    }
}
