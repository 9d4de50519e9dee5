//! What `--apply` has to do: the difference between what exists and what the values
//! require, as a list of changes in the order they can be made.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::compare::{difference, same_document};
use super::limits::check_tag_count;
use super::migration::only_irsa_beyond;
use super::observe::Observed;
use super::{AwsPolicies, is_managed};
use crate::policies::PoliciesError;

/// IAM keeps at most five versions of a managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// One change to the account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// A bucket's access policy does not exist: IAM CreatePolicy.
    CreatePolicy {
        /// The IAM policy's name.
        name: String,
        /// The ARN it will have, `arn:<partition>:iam::<account>:policy/<name>`.
        arn: String,
        /// The IAM policy's description.
        description: String,
        /// The policy document (JSON).
        document: Value,
    },
    /// A new default version; the oldest non-default version goes first when five exist.
    UpdatePolicy {
        /// The IAM policy's ARN.
        arn: String,
        /// The new default version's document (JSON).
        document: Value,
        /// The version id (`v1`, `v2`, ...) deleted first to stay within five versions.
        delete_version: Option<String>,
    },
    /// A service account's role does not exist: IAM CreateRole.
    CreateRole {
        /// The IAM role's name.
        name: String,
        /// The IAM role's description.
        description: String,
        /// The trust policy document (JSON).
        trust_policy: Value,
    },
    /// The role exists with another trust policy: replaced when the new one only adds to it
    /// (e.g. step 1 of the IRSA to Pod Identity migration), otherwise only with --force.
    ReplaceTrustPolicy {
        /// The IAM role's name.
        role: String,
        /// The trust policy document it gets (JSON).
        trust_policy: Value,
    },
    /// An existing role lacks some of this environment's and cluster's tags: IAM TagRole. A
    /// take-over (with --force) tags a role kubectl-smi did not create.
    TagRole {
        /// The IAM role's name.
        role: String,
        /// The tags it gets, by key.
        tags: BTreeMap<String, String>,
        /// Whether the role had no `managed-by` tag (it was not created by kubectl-smi).
        take_over: bool,
    },
    /// An existing policy lacks some of the tags: IAM TagPolicy (a take-over with --force).
    TagPolicy {
        /// The IAM policy's ARN.
        arn: String,
        /// The tags it gets, by key.
        tags: BTreeMap<String, String>,
        /// Whether the policy had no `managed-by` tag (it was not created by kubectl-smi).
        take_over: bool,
    },
    /// Step 3 of the IRSA to Pod Identity migration: the trust policy loses its OIDC (web
    /// identity) statement: IAM UpdateAssumeRolePolicy, made only when no running pod of the
    /// namespace still has the IRSA environment (see `migration`).
    RemoveIrsaTrust {
        /// The IAM role's name.
        role: String,
        /// The trust policy document it gets (JSON): the values' one.
        trust_policy: Value,
    },
    /// A bucket policy is not attached to a role: IAM AttachRolePolicy.
    AttachPolicy {
        /// The IAM role's name.
        role: String,
        /// The ARN of the policy to attach.
        policy_arn: String,
    },
    /// A service account has no pod identity association: EKS CreatePodIdentityAssociation.
    CreateAssociation {
        /// The Kubernetes namespace of the service account.
        namespace: String,
        /// The service account's name, as in the guide's table.
        service_account: String,
        /// The ARN of the role the association gives.
        role_arn: String,
    },
    /// A service account's association names another role: EKS UpdatePodIdentityAssociation.
    UpdateAssociation {
        /// The Kubernetes namespace of the service account.
        namespace: String,
        /// The service account's name, as in the guide's table.
        service_account: String,
        /// The existing association's id (`a-...`).
        association_id: String,
        /// The ARN of the role it will give.
        role_arn: String,
    },
    /// An existing association lacks the tags: EKS TagResource (a take-over with --force).
    TagAssociation {
        /// The Kubernetes namespace of the service account.
        namespace: String,
        /// The service account's name, as in the guide's table.
        service_account: String,
        /// The association's ARN.
        association_arn: String,
        /// The tags it gets, by key.
        tags: BTreeMap<String, String>,
        /// Whether the association had no `managed-by` tag (it was not created by kubectl-smi).
        take_over: bool,
    },
}

fn keys(tags: &BTreeMap<String, String>) -> String {
    tags.keys().cloned().collect::<Vec<_>>().join(", ")
}

fn tag_words(take_over: bool) -> &'static str {
    if take_over {
        "take over (not created by kubectl-smi): tag"
    } else {
        "tag"
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::CreatePolicy { name, .. } => write!(f, "create policy {name}"),
            Action::UpdatePolicy {
                arn,
                delete_version,
                ..
            } => {
                write!(
                    f,
                    "update policy {} (new default version",
                    last_segment(arn)
                )?;
                match delete_version {
                    Some(v) => write!(f, "; deletes the oldest version {v})"),
                    None => write!(f, ")"),
                }
            }
            Action::CreateRole { name, .. } => write!(f, "create role {name}"),
            Action::TagRole {
                role,
                tags,
                take_over,
            } => write!(f, "{} role {role} ({})", tag_words(*take_over), keys(tags)),
            Action::TagPolicy {
                arn,
                tags,
                take_over,
            } => write!(
                f,
                "{} policy {} ({})",
                tag_words(*take_over),
                last_segment(arn),
                keys(tags)
            ),
            Action::TagAssociation {
                namespace,
                service_account,
                tags,
                take_over,
                ..
            } => write!(
                f,
                "{} pod identity association {namespace}/{service_account} ({})",
                tag_words(*take_over),
                keys(tags)
            ),
            Action::ReplaceTrustPolicy { role, .. } => {
                write!(f, "replace the trust policy of role {role}")
            }
            Action::RemoveIrsaTrust { role, .. } => write!(
                f,
                "remove the IRSA (OIDC) statement from the trust policy of role {role}"
            ),
            Action::AttachPolicy { role, policy_arn } => {
                write!(
                    f,
                    "attach policy {} to role {role}",
                    last_segment(policy_arn)
                )
            }
            Action::CreateAssociation {
                namespace,
                service_account,
                role_arn,
            } => write!(
                f,
                "create pod identity association {namespace}/{service_account} -> role {}",
                last_segment(role_arn)
            ),
            Action::UpdateAssociation {
                namespace,
                service_account,
                association_id,
                role_arn,
            } => write!(
                f,
                "update pod identity association {namespace}/{service_account} ({association_id}) -> role {}",
                last_segment(role_arn)
            ),
        }
    }
}

fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The changes, and the roles whose trust policy differs but may not be replaced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The changes, in the order they can be made: policies, roles and attachments, associations.
    pub actions: Vec<Action>,
    /// The names of roles whose trust policy differs and which are left alone (no --force).
    pub trust_conflicts: Vec<String>,
    /// Existing roles, policies and associations without kubectl-smi's `managed-by` tag that
    /// the values name: left alone without --force (`role <name>`, `policy <name>`,
    /// `association <namespace>/<service account>`).
    pub not_ours: Vec<String>,
}

/// Computes the changes; `force` allows replacing trust policies and taking over roles,
/// policies and associations kubectl-smi did not create (they get its tags, and the take-over
/// is reported as such).
///
/// Errors: [`PoliciesError::LimitExceeded`] when a role or policy would carry more than IAM's
/// 50 tags.
pub fn plan(
    policies: &AwsPolicies,
    observed: &Observed,
    force: bool,
) -> Result<Plan, PoliciesError> {
    let mut plan = Plan::default();
    for policy in &policies.policies {
        let Some(found) = observed.policies.get(&policy.arn) else {
            plan.actions.push(Action::CreatePolicy {
                name: policy.name.clone(),
                arn: policy.arn.clone(),
                description: policy.description.clone(),
                document: policy.document.clone(),
            });
            continue;
        };
        let ours = is_managed(&found.tags);
        if !ours && !force {
            plan.not_ours.push(format!("policy {}", policy.name));
            continue;
        }
        let tags: BTreeMap<_, _> = policies.missing_tags(&found.tags).into_iter().collect();
        if !tags.is_empty() {
            check_tag_count(&format!("policy {}", policy.name), &found.tags, &tags)?;
            plan.actions.push(Action::TagPolicy {
                arn: policy.arn.clone(),
                tags,
                take_over: !ours,
            });
        }
        if !same_document(&found.document, &policy.document) {
            let delete_version = (found.versions.len() >= MAX_POLICY_VERSIONS)
                .then(|| {
                    found
                        .versions
                        .iter()
                        .find(|v| !v.is_default)
                        .map(|v| v.id.clone())
                })
                .flatten();
            plan.actions.push(Action::UpdatePolicy {
                arn: policy.arn.clone(),
                document: policy.document.clone(),
                delete_version,
            });
        }
    }
    for role in &policies.roles {
        let found = observed.roles.get(&role.name);
        match found {
            None => plan.actions.push(Action::CreateRole {
                name: role.name.clone(),
                description: role.description.clone(),
                trust_policy: role.trust_policy.clone(),
            }),
            Some(found) => {
                let ours = is_managed(&found.tags);
                if !ours && !force {
                    plan.not_ours.push(format!("role {}", role.name));
                    continue;
                }
                let tags: BTreeMap<_, _> = policies.missing_tags(&found.tags).into_iter().collect();
                if !tags.is_empty() {
                    check_tag_count(&format!("role {}", role.name), &found.tags, &tags)?;
                    plan.actions.push(Action::TagRole {
                        role: role.name.clone(),
                        tags,
                        take_over: !ours,
                    });
                }
                if !same_document(&found.trust_policy, &role.trust_policy) {
                    let (_, extra) = difference(&role.trust_policy, &found.trust_policy);
                    if only_irsa_beyond(&role.trust_policy, &found.trust_policy) {
                        plan.actions.push(Action::RemoveIrsaTrust {
                            role: role.name.clone(),
                            trust_policy: role.trust_policy.clone(),
                        });
                    } else if force || (ours && extra.is_empty()) {
                        plan.actions.push(Action::ReplaceTrustPolicy {
                            role: role.name.clone(),
                            trust_policy: role.trust_policy.clone(),
                        });
                    } else {
                        plan.trust_conflicts.push(role.name.clone());
                    }
                }
            }
        }
        let attached = found
            .map(|f| f.attached_policy_arns.as_slice())
            .unwrap_or_default();
        for arn in role
            .policy_arns
            .iter()
            .filter(|arn| !attached.contains(arn))
        {
            plan.actions.push(Action::AttachPolicy {
                role: role.name.clone(),
                policy_arn: arn.clone(),
            });
        }
    }
    for association in &policies.pod_identity_associations {
        let sa = association.service_account;
        let found = observed.associations.get(sa).filter(|a| !a.being_deleted);
        let Some(found) = found else {
            plan.actions.push(Action::CreateAssociation {
                namespace: association.namespace.clone(),
                service_account: sa.to_owned(),
                role_arn: association.role_arn.clone(),
            });
            continue;
        };
        let ours = is_managed(&found.tags);
        let tags: BTreeMap<_, _> = policies.missing_tags(&found.tags).into_iter().collect();
        if !ours && !force {
            plan.not_ours
                .push(format!("association {}/{sa}", association.namespace));
            continue;
        }
        if found.role_arn != association.role_arn {
            plan.actions.push(Action::UpdateAssociation {
                namespace: association.namespace.clone(),
                service_account: sa.to_owned(),
                association_id: found.association_id.clone(),
                role_arn: association.role_arn.clone(),
            });
        }
        if !tags.is_empty() {
            plan.actions.push(Action::TagAssociation {
                namespace: association.namespace.clone(),
                service_account: sa.to_owned(),
                association_arn: found.association_arn.clone(),
                tags,
                take_over: !ours,
            });
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::super::observe::{ObservedPolicy, ObservedRole, PolicyVersion};
    use super::super::tests_support::example_policies;
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_account_gets_everything_in_order() {
        let policies = example_policies();
        let plan = plan(&policies, &Observed::default(), false).unwrap();
        let kinds: Vec<String> = plan.actions.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| k.starts_with("create policy"))
                .count(),
            5
        );
        assert_eq!(
            kinds
                .iter()
                .filter(|k| k.starts_with("create role"))
                .count(),
            18
        );
        assert_eq!(kinds.iter().filter(|k| k.starts_with("attach")).count(), 32);
        assert_eq!(
            kinds
                .iter()
                .filter(|k| k.starts_with("create pod identity"))
                .count(),
            18
        );
        assert!(kinds[0].starts_with("create policy"));
        assert!(
            kinds
                .last()
                .is_some_and(|k| k.starts_with("create pod identity"))
        );
    }

    #[test]
    fn a_changed_policy_with_five_versions_loses_its_oldest_non_default_version() {
        let policies = example_policies();
        let mut observed = Observed::default();
        let versions = (1..=5)
            .map(|n| PolicyVersion {
                id: format!("v{n}"),
                is_default: n == 1,
            })
            .collect();
        observed.policies.insert(
            policies.policies[0].arn.clone(),
            ObservedPolicy {
                document: json!({"Version": "2012-10-17", "Statement": []}),
                versions,
                tags: policies.tags().into_iter().collect(),
            },
        );
        let plan = plan(&policies, &observed, false).unwrap();
        assert!(plan.actions.contains(&Action::UpdatePolicy {
            arn: policies.policies[0].arn.clone(),
            document: policies.policies[0].document.clone(),
            delete_version: Some("v2".to_owned()),
        }));
    }

    #[test]
    fn a_role_with_another_trust_is_only_replaced_with_force() {
        let policies = example_policies();
        let role = &policies.roles[0];
        let mut observed = Observed::default();
        observed.roles.insert(
            role.name.clone(),
            ObservedRole {
                trust_policy: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
                attached_policy_arns: role.policy_arns.clone(),
                tags: policies.tags().into_iter().collect(),
                ..ObservedRole::default()
            },
        );
        let without = plan(&policies, &observed, false).unwrap();
        assert_eq!(without.trust_conflicts, vec![role.name.clone()]);
        assert!(
            !without
                .actions
                .iter()
                .any(|a| matches!(a, Action::ReplaceTrustPolicy { .. }))
        );
        let with = plan(&policies, &observed, true).unwrap();
        assert!(with.trust_conflicts.is_empty());
        assert!(
            with.actions.iter().any(
                |a| matches!(a, Action::ReplaceTrustPolicy { role: r, .. } if r == &role.name)
            )
        );
    }
}
