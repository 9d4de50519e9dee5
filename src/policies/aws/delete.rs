//! `policies delete`: removes what `--apply` made for this cluster, in dependency order
//! (the cluster's pod identity associations, then each role's attachments and the role, then
//! the policies with all their versions). Only what carries kubectl-smi's `managed-by` tag is
//! touched; a role or policy another cluster's tag still names is left (this cluster's tag
//! is removed from it); foreign attachments, inline policies and instance profiles block a
//! role unless `force`. Deleting what is already gone counts as done, so a second run
//! finishes what a failed one left.

use std::fmt;

use serde::Serialize;

use super::observe::{Attachments, Observed, ObservedRole};
use super::session::{Session, sdk_error};
use super::{AwsPolicies, cluster_tag, is_managed, tagged_clusters};
use crate::policies::PoliciesError;

/// One removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Removal {
    /// EKS DeletePodIdentityAssociation.
    DeleteAssociation {
        /// The Kubernetes namespace of the service account.
        namespace: String,
        /// The service account's name.
        service_account: String,
        /// The association's id (`a-...`).
        association_id: String,
    },
    /// IAM UntagRole: this cluster's tag leaves a role other clusters still use.
    UntagRole {
        /// The IAM role's name.
        role: String,
        /// The tag key removed.
        key: String,
    },
    /// IAM UntagPolicy: this cluster's tag leaves a policy other clusters still use.
    UntagPolicy {
        /// The IAM policy's ARN.
        arn: String,
        /// The tag key removed.
        key: String,
    },
    /// IAM RemoveRoleFromInstanceProfile (only with --force).
    RemoveFromInstanceProfile {
        /// The IAM role's name.
        role: String,
        /// The instance profile's name.
        instance_profile: String,
    },
    /// IAM DeleteRolePolicy: an inline policy of the role (only with --force).
    DeleteInlinePolicy {
        /// The IAM role's name.
        role: String,
        /// The inline policy's name.
        name: String,
    },
    /// IAM DetachRolePolicy; `foreign` when kubectl-smi did not attach it (only with --force).
    DetachFromRole {
        /// The IAM role's name.
        role: String,
        /// The managed policy's ARN.
        policy_arn: String,
        /// Whether the policy is not one of the generated bucket policies.
        foreign: bool,
    },
    /// IAM DetachRolePolicy / DetachUserPolicy / DetachGroupPolicy: a bucket policy attached
    /// to a principal kubectl-smi does not manage (only with --force).
    DetachFromPrincipal {
        /// The managed policy's ARN.
        policy_arn: String,
        /// `role`, `user` or `group`.
        kind: &'static str,
        /// The user's or group's name.
        name: String,
    },
    /// IAM DeleteRole.
    DeleteRole {
        /// The IAM role's name.
        role: String,
    },
    /// IAM DeletePolicyVersion: a non-default version (IAM deletes the default one with the policy).
    DeletePolicyVersion {
        /// The IAM policy's ARN.
        arn: String,
        /// The version id (`v1`, ...).
        version: String,
    },
    /// IAM DeletePolicy.
    DeletePolicy {
        /// The IAM policy's ARN.
        arn: String,
    },
}

fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

impl fmt::Display for Removal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Removal::DeleteAssociation {
                namespace,
                service_account,
                association_id,
            } => write!(
                f,
                "delete pod identity association {namespace}/{service_account} ({association_id})"
            ),
            Removal::UntagRole { role, key } => write!(f, "remove tag {key} from role {role}"),
            Removal::UntagPolicy { arn, key } => {
                write!(f, "remove tag {key} from policy {}", last_segment(arn))
            }
            Removal::RemoveFromInstanceProfile {
                role,
                instance_profile,
            } => write!(
                f,
                "remove role {role} from instance profile {instance_profile} (--force)"
            ),
            Removal::DeleteInlinePolicy { role, name } => {
                write!(f, "delete inline policy {name} of role {role} (--force)")
            }
            Removal::DetachFromRole {
                role,
                policy_arn,
                foreign,
            } => write!(
                f,
                "detach policy {} from role {role}{}",
                if *foreign {
                    policy_arn.as_str()
                } else {
                    last_segment(policy_arn)
                },
                if *foreign { " (--force)" } else { "" }
            ),
            Removal::DetachFromPrincipal {
                policy_arn,
                kind,
                name,
            } => write!(
                f,
                "detach policy {} from {kind} {name} (--force)",
                last_segment(policy_arn)
            ),
            Removal::DeleteRole { role } => write!(f, "delete role {role}"),
            Removal::DeletePolicyVersion { arn, version } => {
                write!(
                    f,
                    "delete version {version} of policy {}",
                    last_segment(arn)
                )
            }
            Removal::DeletePolicy { arn } => write!(f, "delete policy {}", last_segment(arn)),
        }
    }
}

/// Why something was not removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No `managed-by` tag: not created (or taken over) by kubectl-smi; never touched.
    NotOurs,
    /// Another cluster's tag is on it: it is still used there.
    UsedElsewhere,
    /// Foreign attachments, inline policies or instance profiles; `--force` removes them.
    NeedsForce,
    /// EKS still lists the association, but it is being deleted (eventually consistent).
    BeingDeleted,
}

/// Something left in place, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Left {
    /// `role <name>`, `policy <name>` or `association <namespace>/<service account>`.
    pub subject: String,
    /// Why it stays.
    pub reason: Reason,
    /// The detail for the operator.
    pub detail: String,
}

impl fmt::Display for Left {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.detail)
    }
}

/// The removals, in order, and what stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePlan {
    /// The removals, in the order they can be made.
    pub removals: Vec<Removal>,
    /// What stays, and why.
    pub left: Vec<Left>,
    /// What the operator should know besides: e.g. that the EKS cluster is gone already.
    pub notes: Vec<String>,
}

impl DeletePlan {
    /// Whether something of ours stays only because `--force` was not given.
    pub fn needs_force(&self) -> bool {
        self.left.iter().any(|l| l.reason == Reason::NeedsForce)
    }
}

/// Reads, for the plan, who each existing bucket policy is attached to.
pub async fn observe_attachments(
    session: &Session,
    policies: &AwsPolicies,
    observed: &Observed,
) -> Result<Vec<(String, Attachments)>, PoliciesError> {
    let mut out = Vec::new();
    for policy in &policies.policies {
        if observed.policies.contains_key(&policy.arn) {
            out.push((
                policy.arn.clone(),
                super::observe::attachments(session, &policy.arn).await?,
            ));
        }
    }
    Ok(out)
}

/// Computes the removals for this cluster; `force` also removes what blocks a role or policy.
pub fn plan(
    policies: &AwsPolicies,
    observed: &Observed,
    attachments: &[(String, Attachments)],
    force: bool,
) -> DeletePlan {
    let mut plan = DeletePlan::default();
    let this_tag = cluster_tag(&policies.cluster_name);
    if observed.cluster_gone {
        plan.notes.push(format!(
            "EKS has no cluster {} in {}: its pod identity associations went with it",
            policies.cluster_name, policies.region
        ));
    }
    for (sa, found) in &observed.associations {
        let subject = format!("association {}/{sa}", policies.namespace);
        if found.being_deleted {
            plan.left.push(Left {
                subject,
                reason: Reason::BeingDeleted,
                detail: format!(
                    "{} is being deleted (EKS removes associations eventually)",
                    found.association_id
                ),
            });
        } else if !is_managed(&found.tags) {
            plan.left.push(not_ours(subject));
        } else {
            plan.removals.push(Removal::DeleteAssociation {
                namespace: policies.namespace.clone(),
                service_account: sa.clone(),
                association_id: found.association_id.clone(),
            });
        }
    }
    let ours: Vec<&str> = policies.policies.iter().map(|p| p.arn.as_str()).collect();
    let mut deleted_roles = Vec::new();
    let mut kept_roles: Vec<(String, Reason)> = Vec::new();
    for role in &policies.roles {
        let Some(found) = observed.roles.get(&role.name) else {
            continue;
        };
        let subject = format!("role {}", role.name);
        if !is_managed(&found.tags) {
            plan.left.push(not_ours(subject));
            continue;
        }
        let others = other_clusters(&found.tags, &policies.cluster_name);
        if !others.is_empty() {
            if found.tags.contains_key(&this_tag) {
                plan.removals.push(Removal::UntagRole {
                    role: role.name.clone(),
                    key: this_tag.clone(),
                });
            }
            plan.left.push(used_elsewhere(subject, &others));
            kept_roles.push((role.name.clone(), Reason::UsedElsewhere));
            continue;
        }
        let blockers = role_blockers(&role.name, found, &ours);
        if !blockers.is_empty() && !force {
            plan.left.push(Left {
                subject,
                reason: Reason::NeedsForce,
                detail: format!(
                    "has {}; left (--force removes them and the role)",
                    blockers
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            kept_roles.push((role.name.clone(), Reason::NeedsForce));
            continue;
        }
        plan.removals.extend(blockers);
        plan.removals.extend(
            found
                .attached_policy_arns
                .iter()
                .filter(|a| ours.contains(&a.as_str()))
                .map(|arn| Removal::DetachFromRole {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                    foreign: false,
                }),
        );
        plan.removals.push(Removal::DeleteRole {
            role: role.name.clone(),
        });
        deleted_roles.push(role.name.clone());
    }
    for policy in &policies.policies {
        let Some(found) = observed.policies.get(&policy.arn) else {
            continue;
        };
        let subject = format!("policy {}", policy.name);
        if !is_managed(&found.tags) {
            plan.left.push(not_ours(subject));
            continue;
        }
        let others = other_clusters(&found.tags, &policies.cluster_name);
        if !others.is_empty() {
            if found.tags.contains_key(&this_tag) {
                plan.removals.push(Removal::UntagPolicy {
                    arn: policy.arn.clone(),
                    key: this_tag.clone(),
                });
            }
            plan.left.push(used_elsewhere(subject, &others));
            continue;
        }
        let attached = attachments
            .iter()
            .find(|(arn, _)| *arn == policy.arn)
            .map(|(_, a)| a.clone())
            .unwrap_or_default();
        let held: Vec<&(String, Reason)> = kept_roles
            .iter()
            .filter(|(r, _)| attached.roles.contains(r))
            .collect();
        if !held.is_empty() {
            let reason = if held.iter().any(|(_, r)| *r == Reason::UsedElsewhere) {
                Reason::UsedElsewhere
            } else {
                Reason::NeedsForce
            };
            plan.left.push(Left {
                subject,
                reason,
                detail: format!(
                    "still attached to role(s) {} that stay; left",
                    held.iter()
                        .map(|(r, _)| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            continue;
        }
        let mut foreign: Vec<Removal> = attached
            .roles
            .iter()
            .filter(|r| !deleted_roles.contains(r))
            .map(|r| Removal::DetachFromPrincipal {
                policy_arn: policy.arn.clone(),
                kind: "role",
                name: r.clone(),
            })
            .collect();
        foreign.extend(attached.users.iter().map(|u| Removal::DetachFromPrincipal {
            policy_arn: policy.arn.clone(),
            kind: "user",
            name: u.clone(),
        }));
        foreign.extend(
            attached
                .groups
                .iter()
                .map(|g| Removal::DetachFromPrincipal {
                    policy_arn: policy.arn.clone(),
                    kind: "group",
                    name: g.clone(),
                }),
        );
        if !foreign.is_empty() && !force {
            plan.left.push(Left {
                subject,
                reason: Reason::NeedsForce,
                detail: format!(
                    "is attached to principals kubectl-smi does not manage ({}); left (--force detaches it)",
                    principals(&foreign)
                ),
            });
            continue;
        }
        plan.removals.extend(foreign);
        plan.removals
            .extend(found.versions.iter().filter(|v| !v.is_default).map(|v| {
                Removal::DeletePolicyVersion {
                    arn: policy.arn.clone(),
                    version: v.id.clone(),
                }
            }));
        plan.removals.push(Removal::DeletePolicy {
            arn: policy.arn.clone(),
        });
    }
    plan
}

fn principals(removals: &[Removal]) -> String {
    removals
        .iter()
        .filter_map(|r| match r {
            Removal::DetachFromPrincipal { kind, name, .. } => Some(format!("{kind} {name}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_ours(subject: String) -> Left {
    Left {
        subject,
        reason: Reason::NotOurs,
        detail: format!("not ours (no {} tag), left alone", super::MANAGED_BY_TAG.0),
    }
}

fn used_elsewhere(subject: String, others: &[String]) -> Left {
    Left {
        subject,
        reason: Reason::UsedElsewhere,
        detail: format!("still used by cluster(s) {}, left", others.join(", ")),
    }
}

fn other_clusters(tags: &std::collections::BTreeMap<String, String>, this: &str) -> Vec<String> {
    tagged_clusters(tags)
        .into_iter()
        .filter(|c| *c != this)
        .map(str::to_owned)
        .collect()
}

/// What a role holds besides the generated bucket policies: removed only with --force.
fn role_blockers(role: &str, found: &ObservedRole, ours: &[&str]) -> Vec<Removal> {
    let mut out: Vec<Removal> = found
        .instance_profiles
        .iter()
        .map(|p| Removal::RemoveFromInstanceProfile {
            role: role.to_owned(),
            instance_profile: p.clone(),
        })
        .collect();
    out.extend(
        found
            .inline_policies
            .iter()
            .map(|name| Removal::DeleteInlinePolicy {
                role: role.to_owned(),
                name: name.clone(),
            }),
    );
    out.extend(
        found
            .attached_policy_arns
            .iter()
            .filter(|a| !ours.contains(&a.as_str()))
            .map(|arn| Removal::DetachFromRole {
                role: role.to_owned(),
                policy_arn: arn.clone(),
                foreign: true,
            }),
    );
    out
}

/// One report of progress: removal `index` (0-based) of `total`, starting or done.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The removal's 0-based index in the plan.
    pub index: usize,
    /// How many removals the plan has.
    pub total: usize,
    /// The removal.
    pub removal: &'a Removal,
    /// Whether it is starting or done.
    pub step: super::apply::Step,
}

/// Makes every removal of `plan`, in order; what is already gone counts as done.
///
/// Errors: [`PoliciesError::ApplyIncomplete`] listing what was done and what was not, with
/// the failed call's error (IAM or EKS, see `session::sdk_error`).
pub async fn delete(
    session: &Session,
    policies: &AwsPolicies,
    plan: &DeletePlan,
    mut report: impl FnMut(Progress<'_>),
) -> Result<(), PoliciesError> {
    let total = plan.removals.len();
    for (index, removal) in plan.removals.iter().enumerate() {
        report(Progress {
            index,
            total,
            removal,
            step: super::apply::Step::Starting,
        });
        if let Err(error) = execute(session, policies, removal).await {
            return Err(super::apply::incomplete(&plan.removals, index, error));
        }
        report(Progress {
            index,
            total,
            removal,
            step: super::apply::Step::Done,
        });
    }
    Ok(())
}

/// The result of a delete call, with "it is already gone" counted as success.
macro_rules! gone_ok {
    ($call:expr, $is_gone:ident, $service:literal, $op:literal, $endpoint:expr) => {
        match $call.await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.$is_gone()) => Ok(()),
            Err(e) => Err(sdk_error($service, $op, $endpoint, e)),
        }
    };
}

async fn execute(
    session: &Session,
    policies: &AwsPolicies,
    removal: &Removal,
) -> Result<(), PoliciesError> {
    let iam = &session.iam;
    let ep = session.endpoints.iam.as_str();
    match removal {
        Removal::DeleteAssociation { association_id, .. } => gone_ok!(
            session
                .eks
                .delete_pod_identity_association()
                .cluster_name(&policies.cluster_name)
                .association_id(association_id)
                .send(),
            is_resource_not_found_exception,
            "EKS",
            "DeletePodIdentityAssociation",
            &session.endpoints.eks
        ),
        Removal::UntagRole { role, key } => gone_ok!(
            iam.untag_role().role_name(role).tag_keys(key).send(),
            is_no_such_entity_exception,
            "IAM",
            "UntagRole",
            ep
        ),
        Removal::UntagPolicy { arn, key } => gone_ok!(
            iam.untag_policy().policy_arn(arn).tag_keys(key).send(),
            is_no_such_entity_exception,
            "IAM",
            "UntagPolicy",
            ep
        ),
        Removal::RemoveFromInstanceProfile {
            role,
            instance_profile,
        } => gone_ok!(
            iam.remove_role_from_instance_profile()
                .role_name(role)
                .instance_profile_name(instance_profile)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "RemoveRoleFromInstanceProfile",
            ep
        ),
        Removal::DeleteInlinePolicy { role, name } => gone_ok!(
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "DeleteRolePolicy",
            ep
        ),
        Removal::DetachFromRole {
            role, policy_arn, ..
        } => gone_ok!(
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "DetachRolePolicy",
            ep
        ),
        Removal::DetachFromPrincipal {
            policy_arn,
            kind: "user",
            name,
        } => gone_ok!(
            iam.detach_user_policy()
                .user_name(name)
                .policy_arn(policy_arn)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "DetachUserPolicy",
            ep
        ),
        Removal::DetachFromPrincipal {
            policy_arn,
            kind: "group",
            name,
        } => gone_ok!(
            iam.detach_group_policy()
                .group_name(name)
                .policy_arn(policy_arn)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "DetachGroupPolicy",
            ep
        ),
        Removal::DetachFromPrincipal {
            policy_arn, name, ..
        } => gone_ok!(
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(policy_arn)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "DetachRolePolicy",
            ep
        ),
        Removal::DeleteRole { role } => gone_ok!(
            iam.delete_role().role_name(role).send(),
            is_no_such_entity_exception,
            "IAM",
            "DeleteRole",
            ep
        ),
        Removal::DeletePolicyVersion { arn, version } => gone_ok!(
            iam.delete_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send(),
            is_no_such_entity_exception,
            "IAM",
            "DeletePolicyVersion",
            ep
        ),
        Removal::DeletePolicy { arn } => gone_ok!(
            iam.delete_policy().policy_arn(arn).send(),
            is_no_such_entity_exception,
            "IAM",
            "DeletePolicy",
            ep
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::observe::{ObservedAssociation, ObservedPolicy, ObservedRole, PolicyVersion};
    use super::super::tests_support::example_policies;
    use super::*;

    /// The account after `--apply` for the example: everything exists, tagged.
    fn applied(policies: &AwsPolicies) -> Observed {
        let tags: std::collections::BTreeMap<_, _> = policies.tags().into_iter().collect();
        let mut observed = Observed::default();
        for p in &policies.policies {
            observed.policies.insert(
                p.arn.clone(),
                ObservedPolicy {
                    document: p.document.clone(),
                    versions: vec![
                        PolicyVersion {
                            id: "v1".into(),
                            is_default: false,
                        },
                        PolicyVersion {
                            id: "v2".into(),
                            is_default: true,
                        },
                    ],
                    tags: tags.clone(),
                },
            );
        }
        for r in &policies.roles {
            observed.roles.insert(
                r.name.clone(),
                ObservedRole {
                    trust_policy: r.trust_policy.clone(),
                    attached_policy_arns: r.policy_arns.clone(),
                    tags: tags.clone(),
                    ..ObservedRole::default()
                },
            );
        }
        for a in &policies.pod_identity_associations {
            observed.associations.insert(
                a.service_account.to_owned(),
                ObservedAssociation {
                    association_id: format!("a-{}", a.service_account),
                    role_arn: a.role_arn.clone(),
                    tags: tags.clone(),
                    ..ObservedAssociation::default()
                },
            );
        }
        observed
    }

    fn attached_to_our_roles(policies: &AwsPolicies) -> Vec<(String, Attachments)> {
        policies
            .policies
            .iter()
            .map(|p| {
                let roles = policies
                    .roles
                    .iter()
                    .filter(|r| r.policy_arns.contains(&p.arn))
                    .map(|r| r.name.clone())
                    .collect();
                (
                    p.arn.clone(),
                    Attachments {
                        roles,
                        ..Attachments::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn everything_goes_in_dependency_order() {
        let policies = example_policies();
        let plan = plan(
            &policies,
            &applied(&policies),
            &attached_to_our_roles(&policies),
            false,
        );
        assert!(plan.left.is_empty(), "{:?}", plan.left);
        let lines: Vec<String> = plan.removals.iter().map(ToString::to_string).collect();
        let first = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
        let last = |prefix: &str| lines.iter().rposition(|l| l.starts_with(prefix)).unwrap();
        assert!(last("delete pod identity association") < first("detach policy"));
        assert!(last("delete role") < first("delete version"));
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("delete role"))
                .count(),
            18
        );
        assert_eq!(lines.iter().filter(|l| l.starts_with("detach")).count(), 32);
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("delete version"))
                .count(),
            5
        );
        assert_eq!(
            lines.last().unwrap(),
            "delete policy dtp-prod-workflowsvc-bucket"
        );
    }

    #[test]
    fn a_role_without_the_tag_is_never_touched_and_keeps_our_policy_without_force() {
        let policies = example_policies();
        let mut observed = applied(&policies);
        observed
            .roles
            .get_mut("dtp-prod-aisvc")
            .unwrap()
            .tags
            .clear();
        let attachments = attached_to_our_roles(&policies);
        let without = plan(&policies, &observed, &attachments, false);
        assert!(
            !without
                .removals
                .iter()
                .any(|r| r.to_string().contains("dtp-prod-aisvc")),
            "{:?}",
            without.removals
        );
        assert_eq!(without.left[0].reason, Reason::NotOurs);
        assert!(
            without
                .left
                .iter()
                .any(|l| l.subject == "policy dtp-prod-kafka-bucket"
                    && l.reason == Reason::NeedsForce)
        );
        // --force detaches our policy from it (a foreign principal), and nothing else.
        let with = plan(&policies, &observed, &attachments, true);
        let touching: Vec<String> = with
            .removals
            .iter()
            .map(ToString::to_string)
            .filter(|r| r.contains("dtp-prod-aisvc"))
            .collect();
        assert_eq!(
            touching,
            ["detach policy dtp-prod-kafka-bucket from role dtp-prod-aisvc (--force)"]
        );
    }

    #[test]
    fn a_role_another_cluster_uses_loses_only_this_clusters_tag() {
        let policies = example_policies();
        let mut observed = applied(&policies);
        observed
            .roles
            .get_mut("dtp-prod-filesvc")
            .unwrap()
            .tags
            .insert(cluster_tag("dtp-blue"), "prod".into());
        let plan = plan(
            &policies,
            &observed,
            &attached_to_our_roles(&policies),
            false,
        );
        let lines: Vec<String> = plan.removals.iter().map(ToString::to_string).collect();
        assert!(lines.contains(&format!(
            "remove tag {} from role dtp-prod-filesvc",
            cluster_tag("dtp-prod")
        )));
        assert!(!lines.contains(&"delete role dtp-prod-filesvc".to_owned()));
        // Its policies (kafka, filesvc) stay attached to it, so they stay too.
        assert!(!lines.contains(&"delete policy dtp-prod-filesvc-bucket".to_owned()));
        assert!(plan.left.iter().any(|l| l.reason == Reason::UsedElsewhere));
        assert!(!plan.needs_force());
    }

    #[test]
    fn an_inline_policy_blocks_the_role_unless_forced() {
        let policies = example_policies();
        let mut observed = applied(&policies);
        observed
            .roles
            .get_mut("dtp-prod-aisvc")
            .unwrap()
            .inline_policies
            .push("extra".into());
        let without = plan(
            &policies,
            &observed,
            &attached_to_our_roles(&policies),
            false,
        );
        assert!(without.needs_force());
        assert!(!without.removals.contains(&Removal::DeleteRole {
            role: "dtp-prod-aisvc".into()
        }));
        let with = plan(
            &policies,
            &observed,
            &attached_to_our_roles(&policies),
            true,
        );
        assert!(!with.needs_force());
        assert!(with.removals.contains(&Removal::DeleteInlinePolicy {
            role: "dtp-prod-aisvc".into(),
            name: "extra".into()
        }));
    }

    #[test]
    fn nothing_found_is_nothing_to_do() {
        let policies = example_policies();
        let plan = plan(&policies, &Observed::default(), &[], false);
        assert_eq!(plan, DeletePlan::default());
    }
}
