use crate::error::Hint;
use std::path::PathBuf;

/// Why the cloud access policies could not be generated, written, applied or checked.
#[derive(Debug, thiserror::Error)]
pub enum PoliciesError {
    /// `cloud.provider` names a provider whose section is missing.
    #[error("smi.cloud.provider is {provider} but smi.cloud.{provider} is missing")]
    MissingProviderSection {
        /// `aws` or `oci`.
        provider: &'static str,
    },
    /// A value of the values file (or a flag) has the wrong format.
    #[error("{path}: {reason} (found {value:?})")]
    InvalidValue {
        /// Where the value came from: a values path such as `smi.cloud.aws.accountId`, or a flag.
        path: String,
        /// The value as given (empty when it is missing).
        value: String,
        /// What form the value should have.
        reason: String,
    },
    /// IRSA roles trust the cluster's OIDC provider, whose issuer is unknown.
    #[error(
        "smi.cloud.aws.identity is irsa but the cluster's OIDC issuer is unknown (smi.cloud.aws.oidcIssuer or --oidc-issuer)"
    )]
    MissingOidcIssuer {
        /// The EKS cluster (`smi.cloud.aws.clusterName`) whose issuer is needed.
        cluster_name: String,
        /// The cluster's region (`smi.cloud.aws.region`).
        region: String,
    },
    /// A generated OCI statement does not follow the guide's grammar (a value could change its meaning).
    #[error("OCI statement does not follow the guide's grammar ({reason}): {statement}")]
    OciGrammar {
        /// The generated statement.
        statement: String,
        /// Which rule of the guide's statement grammar it breaks.
        reason: String,
    },
    /// More statements than one compartment path can hold.
    #[error("{count} OCI statements are needed but a compartment path holds at most {limit}")]
    TooManyStatements {
        /// How many statements the installation needs.
        count: usize,
        /// OCI's limit of statements on one compartment path.
        limit: usize,
    },
    /// IRSA roles would trust an IAM OIDC provider that does not exist.
    #[error("the cluster's IAM OIDC provider {arn} does not exist, so IRSA roles cannot trust it")]
    MissingOidcProvider {
        /// The IAM OIDC provider's ARN, `arn:<partition>:iam::<account>:oidc-provider/<issuer
        /// host/path>`.
        arn: String,
    },
    /// No AWS credentials were found by the standard chain.
    #[error("no AWS credentials found: {message}")]
    NoCredentials {
        /// The AWS SDK's explanation.
        message: String,
    },
    /// An AWS endpoint could not be reached.
    #[error("cannot reach AWS {service} at {endpoint}: {message}")]
    Unreachable {
        /// The AWS service: `STS`, `IAM` or `EKS`.
        service: &'static str,
        /// The endpoint URL tried.
        endpoint: String,
        /// The connection error.
        message: String,
    },
    /// The credentials are not allowed to make a call.
    #[error("access denied: {service} {operation} refused: {message}")]
    AccessDenied {
        /// The AWS service: `STS`, `IAM` or `EKS`.
        service: &'static str,
        /// The API operation refused, e.g. `CreateRole`.
        operation: &'static str,
        /// AWS's message.
        message: String,
    },
    /// An AWS call failed for another reason.
    #[error("AWS {service} {operation} failed: {message}")]
    Api {
        /// The AWS service: `STS`, `IAM` or `EKS`.
        service: &'static str,
        /// The API operation that failed, e.g. `AttachRolePolicy`.
        operation: &'static str,
        /// AWS's error code and message.
        message: String,
    },
    /// The credentials belong to another account than the values name.
    #[error(
        "the AWS credentials are for account {actual} ({caller}) but the values name account {expected}"
    )]
    AccountMismatch {
        /// The account the values (or --account-id) name.
        expected: String,
        /// The account of the credentials, from STS GetCallerIdentity.
        actual: String,
        /// The caller's ARN, from STS GetCallerIdentity.
        caller: String,
    },
    /// `--apply` stopped part-way; what was done stays done.
    #[error("{}", apply_incomplete(done, not_done, error))]
    ApplyIncomplete {
        /// The plan's actions completed before the failure, one line each.
        done: Vec<String>,
        /// The failed action and those after it, one line each.
        not_done: Vec<String>,
        /// The error of the failed action.
        error: Box<PoliciesError>,
    },
    /// Roles exist with another trust policy; they were left as they are.
    #[error(
        "{} role(s) exist with a different trust policy and were not changed: {}",
        roles.len(),
        roles.join(", ")
    )]
    TrustConflict {
        /// The names of the roles whose trust policy differs.
        roles: Vec<String>,
    },
    /// A document, name or tag list is over one of IAM's limits (see `aws::limits`).
    #[error("{subject}: the {what} is {size} {unit}, over IAM's limit of {limit} ({cause})")]
    LimitExceeded {
        /// `policy <name>` or `role <name>`.
        subject: String,
        /// `policy document`, `trust policy` or `tag list`.
        what: &'static str,
        /// The size found, in `unit`s.
        size: usize,
        /// `characters` (whitespace not counted) or `tags`.
        unit: &'static str,
        /// IAM's limit.
        limit: usize,
        /// The value that makes it too long.
        cause: String,
    },
    /// Existing resources the values name were not created by kubectl-smi; left alone.
    #[error(
        "{} existing resource(s) were not created by kubectl-smi (no {} tag) and were left alone: {}",
        subjects.len(),
        crate::policies::aws::MANAGED_BY_TAG.0,
        subjects.join(", ")
    )]
    NotOurs {
        /// `role <name>`, `policy <name>` or `association <namespace>/<service account>`.
        subjects: Vec<String>,
    },
    /// EKS does not know the cluster the values name (ListPodIdentityAssociations answered
    /// ResourceNotFoundException).
    #[error("EKS has no cluster {cluster} in {region}")]
    ClusterNotFound {
        /// `smi.cloud.aws.clusterName`.
        cluster: String,
        /// `smi.cloud.aws.region`.
        region: String,
    },
    /// The cluster could not be asked which pods still use IRSA (step 3 of the migration).
    #[error("cannot check the cluster's pods for the IRSA to Pod Identity migration: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
    /// Step 3 of the migration waits: pods still have the IRSA environment.
    #[error(
        "the OIDC (IRSA) statement stays in the trust policy of {} role(s): running pods of namespace {namespace} still have the IRSA environment: {}",
        roles.len(),
        pods.join(", ")
    )]
    MigrationBlocked {
        /// The namespace checked.
        namespace: String,
        /// The pods with the IRSA environment, by name.
        pods: Vec<String>,
        /// The roles whose OIDC statement stays.
        roles: Vec<String>,
    },
    /// The output directory cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or directory that could not be written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output directory holds files kubectl-smi did not write; it is not replaced.
    #[error("{path} is not empty and was not written by kubectl-smi (no {marker} in it)")]
    DirNotOurs {
        /// The output directory.
        path: PathBuf,
        /// The marker file kubectl-smi writes into its directories.
        marker: &'static str,
    },
}

impl Hint for PoliciesError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            PoliciesError::MissingProviderSection { .. } => {
                "add the provider's section under smi.cloud (see examples/values-aws.yaml, values-oci.yaml)"
            }
            PoliciesError::InvalidValue { .. } => "correct the value shown",
            PoliciesError::MissingOidcIssuer { .. } => {
                "print it with `aws eks describe-cluster --name <cluster> --query cluster.identity.oidc.issuer --output text`"
            }
            PoliciesError::MissingOidcProvider { .. } => {
                "create it first, e.g. `eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve`, then run again"
            }
            PoliciesError::OciGrammar { .. } => {
                "a bucket name, namespace or OCID holds characters the statement cannot carry; correct it in the values"
            }
            PoliciesError::TooManyStatements { .. } => {
                "OCI allows 500 statements from the root compartment to any leaf; remove policies elsewhere on the path"
            }
            PoliciesError::NoCredentials { .. } => {
                "configure AWS credentials (AWS_PROFILE, `aws sso login`, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or pass --account-id to generate without calling AWS"
            }
            PoliciesError::Unreachable { service: "STS", .. } => {
                "check the network and AWS_ENDPOINT_URL; or pass --account-id (and --partition) to generate without calling AWS"
            }
            PoliciesError::Unreachable { .. } => {
                "check the network, the region and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>"
            }
            PoliciesError::AccessDenied { .. } => {
                "use credentials allowed to read and write IAM roles and policies and EKS pod identity associations, or generate with -o terraform / -o script for an administrator"
            }
            PoliciesError::Api { .. } => {
                "see the AWS message; re-running continues where it stopped"
            }
            PoliciesError::AccountMismatch { .. } => {
                "use credentials for the account in the values (AWS_PROFILE), or correct smi.cloud.aws.accountId"
            }
            PoliciesError::ApplyIncomplete { .. } => {
                "fix the cause and run --apply again: it only does what is still missing"
            }
            PoliciesError::TrustConflict { .. } => {
                "review the difference with `kubectl smi policies check`, then run --apply --force to replace the trust policies"
            }
            PoliciesError::LimitExceeded {
                what: "tag list", ..
            } => {
                "remove tags the role or policy no longer needs (IAM UntagRole / UntagPolicy), then run again"
            }
            PoliciesError::LimitExceeded {
                what: "trust policy",
                ..
            } => {
                "shorten the value named; if the account's \"Role trust policy length\" quota was raised (Service Quotas), pass --trust-policy-quota with it (up to 4096)"
            }
            PoliciesError::LimitExceeded { .. } => {
                "shorten the value named: fewer or shorter KMS key ARNs, or a shorter bucket name"
            }
            PoliciesError::NotOurs { .. } => {
                "check that the names are the ones meant; --force takes them over (tags them, replaces trust policies, retargets associations) and says so"
            }
            PoliciesError::Cluster(e) => return e.hint(),
            PoliciesError::ClusterNotFound { .. } => {
                "check smi.cloud.aws.clusterName and smi.cloud.aws.region (`aws eks list-clusters`)"
            }
            PoliciesError::MigrationBlocked { .. } => {
                "the pods keep IRSA credentials until they are replaced: restart them (kubectl rollout restart) once the values say podIdentity and the IRSA annotation is gone, then run --apply again"
            }
            PoliciesError::Write { .. } => "check the path and its permissions",
            PoliciesError::DirNotOurs { .. } => {
                "choose a new or empty directory; kubectl-smi replaces only directories it wrote"
            }
        })
    }
}

fn apply_incomplete(done: &[String], not_done: &[String], error: &PoliciesError) -> String {
    let mut text = format!("--apply stopped: {error}");
    text.push_str(&format!("\n  done ({}):", done.len()));
    for line in done {
        text.push_str(&format!("\n    {line}"));
    }
    if done.is_empty() {
        text.push_str(" nothing");
    }
    text.push_str(&format!("\n  not done ({}):", not_done.len()));
    for line in not_done {
        text.push_str(&format!("\n    {line}"));
    }
    text
}
