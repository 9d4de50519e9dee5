//! Step 3 of the guide, the cloud access policies: generated from the values and the
//! catalog's service-account table, written in several formats, and on AWS applied and
//! checked against the account.
//!
//! Generation never touches the network; the AWS calls (STS, IAM, EKS) live in
//! `aws::session`, `aws::observe` and `aws::apply`, each taking the clients it uses.

pub mod aws;
mod error;
pub mod format;
mod names;
pub mod oci;

use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

pub use error::PoliciesError;

use crate::values::Smi;

/// The generated policies of one provider.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum Generated {
    /// AWS: bucket policies, roles and pod identity associations.
    Aws(aws::AwsPolicies),
    /// OCI: policy statements per compartment.
    Oci(oci::OciPolicies),
}

/// How `kubectl smi policies` writes what it generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// A table for review: service account, role (or policy), buckets.
    Text,
    /// One JSON document with everything.
    Json,
    /// Terraform (HCL) resources.
    Terraform,
    /// aws / oci CLI commands.
    Script,
    /// One file per document in a directory.
    Dir(PathBuf),
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        match text {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "terraform" | "hcl" => Ok(Format::Terraform),
            "script" => Ok(Format::Script),
            _ => match text.strip_prefix("dir=") {
                Some(path) if !path.is_empty() => Ok(Format::Dir(PathBuf::from(path))),
                _ => Err(format!(
                    "unknown output format `{text}`: use text, json, terraform, script or dir=PATH"
                )),
            },
        }
    }
}

/// Generates the OCI statements (no network needed).
pub fn generate_oci(smi: &Smi) -> Result<Generated, PoliciesError> {
    let oci = smi
        .cloud
        .oci
        .as_ref()
        .ok_or(PoliciesError::MissingProviderSection { provider: "oci" })?;
    oci::generate(oci, &smi.environment, smi.namespace()).map(Generated::Oci)
}

/// Generates the AWS roles and policies for a resolved account and partition.
pub fn generate_aws(smi: &Smi, target: &aws::Target) -> Result<Generated, PoliciesError> {
    let section = aws_section(smi)?;
    aws::generate(section, &smi.environment, smi.namespace(), target).map(Generated::Aws)
}

/// The AWS section of the values, or an error saying it is missing.
pub fn aws_section(smi: &Smi) -> Result<&crate::values::Aws, PoliciesError> {
    smi.cloud
        .aws
        .as_ref()
        .ok_or(PoliciesError::MissingProviderSection { provider: "aws" })
}
