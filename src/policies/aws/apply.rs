//! `--apply`: makes the changes of a plan one by one, telling the caller as each starts and
//! ends; a failure stops there and reports what was done and what was not.

use aws_sdk_iam::types::Tag;

use super::AwsPolicies;
use super::plan::{Action, Plan};
use super::session::{Session, sdk_error};
use crate::policies::PoliciesError;

/// Where a change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The change is about to be made.
    Starting,
    /// The change was made.
    Done,
}

/// One report of progress: change `index` (0-based) of `total`.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The change's 0-based index in the plan.
    pub index: usize,
    /// How many changes the plan has.
    pub total: usize,
    /// The change.
    pub action: &'a Action,
    /// Whether it is starting or done.
    pub step: Step,
}

/// Makes every change of `plan`, in order.
pub async fn apply(
    session: &Session,
    policies: &AwsPolicies,
    plan: &Plan,
    mut report: impl FnMut(Progress<'_>),
) -> Result<(), PoliciesError> {
    let total = plan.actions.len();
    for (index, action) in plan.actions.iter().enumerate() {
        report(Progress {
            index,
            total,
            action,
            step: Step::Starting,
        });
        if let Err(error) = execute(session, policies, action).await {
            return Err(incomplete(&plan.actions, index, error));
        }
        report(Progress {
            index,
            total,
            action,
            step: Step::Done,
        });
    }
    Ok(())
}

fn iam_tags(policies: &AwsPolicies) -> Vec<Tag> {
    to_iam_tags(policies.tags())
}

fn to_iam_tags(tags: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    tags.into_iter()
        .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
        .collect()
}

fn compact(document: &serde_json::Value) -> String {
    document.to_string()
}

async fn execute(
    session: &Session,
    policies: &AwsPolicies,
    action: &Action,
) -> Result<(), PoliciesError> {
    let iam = &session.iam;
    let iam_endpoint = session.endpoints.iam.as_str();
    let eks_endpoint = session.endpoints.eks.as_str();
    match action {
        Action::CreatePolicy {
            name,
            description,
            document,
            ..
        } => {
            iam.create_policy()
                .policy_name(name)
                .description(description)
                .policy_document(compact(document))
                .set_tags(Some(iam_tags(policies)))
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "CreatePolicy", iam_endpoint, e))?;
        }
        Action::UpdatePolicy {
            arn,
            document,
            delete_version,
        } => {
            if let Some(version) = delete_version {
                iam.delete_policy_version()
                    .policy_arn(arn)
                    .version_id(version)
                    .send()
                    .await
                    .map_err(|e| sdk_error("IAM", "DeletePolicyVersion", iam_endpoint, e))?;
            }
            iam.create_policy_version()
                .policy_arn(arn)
                .policy_document(compact(document))
                .set_as_default(true)
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "CreatePolicyVersion", iam_endpoint, e))?;
        }
        Action::CreateRole {
            name,
            description,
            trust_policy,
        } => {
            iam.create_role()
                .role_name(name)
                .description(description)
                .assume_role_policy_document(compact(trust_policy))
                .set_tags(Some(iam_tags(policies)))
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "CreateRole", iam_endpoint, e))?;
        }
        Action::TagRole { role, tags, .. } => {
            iam.tag_role()
                .role_name(role)
                .set_tags(Some(to_iam_tags(tags.clone())))
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "TagRole", iam_endpoint, e))?;
        }
        Action::TagPolicy { arn, tags, .. } => {
            iam.tag_policy()
                .policy_arn(arn)
                .set_tags(Some(to_iam_tags(tags.clone())))
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "TagPolicy", iam_endpoint, e))?;
        }
        Action::TagAssociation {
            association_arn,
            tags,
            ..
        } => {
            session
                .eks
                .tag_resource()
                .resource_arn(association_arn)
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| sdk_error("EKS", "TagResource", eks_endpoint, e))?;
        }
        Action::ReplaceTrustPolicy { role, trust_policy }
        | Action::RemoveIrsaTrust { role, trust_policy } => {
            iam.update_assume_role_policy()
                .role_name(role)
                .policy_document(compact(trust_policy))
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "UpdateAssumeRolePolicy", iam_endpoint, e))?;
        }
        Action::AttachPolicy { role, policy_arn } => {
            iam.attach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send()
                .await
                .map_err(|e| sdk_error("IAM", "AttachRolePolicy", iam_endpoint, e))?;
        }
        Action::CreateAssociation {
            namespace,
            service_account,
            role_arn,
        } => {
            session
                .eks
                .create_pod_identity_association()
                .cluster_name(&policies.cluster_name)
                .namespace(namespace)
                .service_account(service_account)
                .role_arn(role_arn)
                .set_tags(Some(policies.tags().into_iter().collect()))
                .send()
                .await
                .map_err(|e| sdk_error("EKS", "CreatePodIdentityAssociation", eks_endpoint, e))?;
        }
        Action::UpdateAssociation {
            association_id,
            role_arn,
            ..
        } => {
            session
                .eks
                .update_pod_identity_association()
                .cluster_name(&policies.cluster_name)
                .association_id(association_id)
                .role_arn(role_arn)
                .send()
                .await
                .map_err(|e| sdk_error("EKS", "UpdatePodIdentityAssociation", eks_endpoint, e))?;
        }
    }
    Ok(())
}

/// The error of a run that stopped at step `index` of `steps`: what was done, what was not
/// (a second run finishes it), and why.
pub(super) fn incomplete<T: std::fmt::Display>(
    steps: &[T],
    index: usize,
    error: PoliciesError,
) -> PoliciesError {
    let names = |steps: &[T]| steps.iter().map(ToString::to_string).collect();
    PoliciesError::ApplyIncomplete {
        done: names(&steps[..index]),
        not_done: names(&steps[index..]),
        error: Box::new(error),
    }
}
