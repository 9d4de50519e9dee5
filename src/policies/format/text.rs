//! `-o text`: tables for a human review.

use crate::policies::Generated;
use crate::policies::aws::AwsPolicies;
use crate::policies::oci::{OciPolicies, STATEMENTS_PER_POLICY};
use crate::values::AwsIdentity;

pub fn render(generated: &Generated) -> String {
    match generated {
        Generated::Aws(aws) => render_aws(aws),
        Generated::Oci(oci) => render_oci(oci),
    }
}

/// Left-aligned columns separated by three spaces, as kubectl prints tables.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}   ", width = widths[i]));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn render_aws(aws: &AwsPolicies) -> String {
    let mut out = format!(
        "AWS account {} (partition {}), region {}, cluster {}, namespace {}\n",
        aws.account_id, aws.partition, aws.region, aws.cluster_name, aws.namespace
    );
    match (&aws.identity, &aws.oidc_provider_arn) {
        (AwsIdentity::Irsa, Some(provider)) => out.push_str(&format!(
            "Identity: IRSA (each role trusts {provider} for its own service account only)\n\n"
        )),
        _ => out.push_str(
            "Identity: EKS Pod Identity (roles trust pods.eks.amazonaws.com; one association per service account)\n\n",
        ),
    }
    let rows: Vec<Vec<String>> = aws
        .roles
        .iter()
        .map(|role| {
            let buckets: Vec<&str> = role
                .buckets
                .iter()
                .filter_map(|purpose| aws.policies.iter().find(|p| p.bucket == *purpose))
                .map(|p| p.bucket_name.as_str())
                .collect();
            vec![
                role.service_account.to_owned(),
                role.name.clone(),
                buckets.join(", "),
            ]
        })
        .collect();
    out.push_str(&table(&["SERVICE ACCOUNT", "ROLE", "BUCKETS"], &rows));
    out.push('\n');
    let rows: Vec<Vec<String>> = aws
        .policies
        .iter()
        .map(|p| {
            let statements = p.document["Statement"].as_array().map_or(0, Vec::len);
            vec![
                p.name.clone(),
                p.bucket.to_owned(),
                format!("arn:{}:s3:::{}", aws.partition, p.bucket_name),
                statements.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["POLICY", "BUCKET", "RESOURCE", "STATEMENTS"],
        &rows,
    ));
    let attachments: usize = aws.roles.iter().map(|r| r.policy_arns.len()).sum();
    out.push_str(&format!(
        "\n{} roles, {} policies, {} attachments, {} pod identity associations\n",
        aws.roles.len(),
        aws.policies.len(),
        attachments,
        aws.pod_identity_associations.len()
    ));
    out
}

fn render_oci(oci: &OciPolicies) -> String {
    let mut out = format!(
        "OCI compartment {}\n    cluster {}\n    namespace {}, region {}\n\n",
        oci.compartment_id, oci.cluster_id, oci.namespace, oci.region
    );
    let rows: Vec<Vec<String>> = oci
        .service_accounts
        .iter()
        .map(|sa| {
            let buckets: Vec<&str> = sa.buckets.iter().map(|(_, name)| name.as_str()).collect();
            vec![
                sa.service_account.to_owned(),
                sa.policy.clone(),
                buckets.join(", "),
                sa.statements.len().to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["SERVICE ACCOUNT", "POLICY", "BUCKETS", "STATEMENTS"],
        &rows,
    ));
    let total: usize = oci.policies.iter().map(|p| p.statements.len()).sum();
    out.push_str(&format!(
        "\n{total} statements in {} policies (at most {STATEMENTS_PER_POLICY} per policy); `-o json` or `-o terraform` shows them\n",
        oci.policies.len()
    ));
    out
}
