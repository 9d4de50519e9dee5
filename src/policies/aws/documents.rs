//! The IAM policy documents of step 3, as the guide writes them (same keys, same order).

use serde_json::{Value, json};

/// The guide's trust policy for the EKS Pod Identity Agent, used on all roles.
pub fn pod_identity_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": { "Service": "pods.eks.amazonaws.com" },
                "Action": [ "sts:TagSession", "sts:AssumeRole" ]
            }
        ]
    })
}

/// The audience EKS projects into service account tokens for IRSA.
pub const IRSA_AUDIENCE: &str = "sts.amazonaws.com";

/// The trust policy of an IRSA role: only the token of `system:serviceaccount:<ns>:<sa>`,
/// issued by the cluster's OIDC provider for STS, may assume it.
pub fn irsa_trust(
    provider_arn: &str,
    issuer_host_path: &str,
    namespace: &str,
    service_account: &str,
) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": { "Federated": provider_arn },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        format!("{issuer_host_path}:sub"): format!("system:serviceaccount:{namespace}:{service_account}"),
                        format!("{issuer_host_path}:aud"): IRSA_AUDIENCE
                    }
                }
            }
        ]
    })
}

/// The guide's access policy for one bucket, plus the use of the customer's KMS keys when
/// the buckets are encrypted with them (S3 needs Decrypt and GenerateDataKey for SSE-KMS).
pub fn bucket_policy(bucket_arn: &str, kms_key_arns: &[String]) -> Value {
    let mut statements = vec![
        json!({
            "Action": [ "s3:ListBucket", "s3:GetBucketLocation" ],
            "Effect": "Allow",
            "Resource": bucket_arn,
            "Sid": "Buckets"
        }),
        json!({
            "Action": [
                "s3:PutObject",
                "s3:ListMultipartUploadParts",
                "s3:GetObjectVersion",
                "s3:GetObject",
                "s3:DeleteObjectVersion",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload"
            ],
            "Effect": "Allow",
            "Resource": format!("{bucket_arn}/*"),
            "Sid": "Objects"
        }),
    ];
    if !kms_key_arns.is_empty() {
        statements.push(json!({
            "Action": [ "kms:Decrypt", "kms:GenerateDataKey" ],
            "Effect": "Allow",
            "Resource": kms_key_arns,
            "Sid": "EncryptionKeys"
        }));
    }
    json!({ "Statement": statements, "Version": "2012-10-17" })
}
