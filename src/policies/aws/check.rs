//! `policies check`: what the account lacks, or has in excess, compared with the values.

use serde::Serialize;

use super::compare::{Grant, difference};
use super::limits::Breach;
use super::migration::in_migration;
use super::observe::Observed;
use super::{AwsPolicies, is_managed};

/// The kind of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// IRSA: the cluster's IAM OIDC provider, which the roles trust, does not exist.
    MissingOidcProvider,
    /// A bucket's access policy does not exist.
    MissingPolicy,
    /// A whole statement of a generated document is missing from the account's one.
    MissingStatement,
    /// A statement exists but lacks some of its actions or resources.
    MissingPermission,
    /// A service account's role does not exist.
    MissingRole,
    /// A role's trust policy lacks or adds grants compared with the generated one.
    TrustPolicyDiffers,
    /// A bucket policy is not attached to the role that needs it.
    MissingAttachment,
    /// EKS Pod Identity: a service account has no pod identity association.
    MissingAssociation,
    /// A pod identity association gives another role than the generated one.
    AssociationRoleDiffers,
    /// More is allowed than required: extra statements, attached or inline policies.
    ExtraPermissions,
    /// A generated document is over one of IAM's limits (`limits`): `--apply` refuses it.
    ExceedsLimit,
    /// A role trusts both IRSA (its OIDC statement) and EKS Pod Identity: between steps 1 and
    /// 3 of the migration (`migration`).
    MigrationInProgress,
    /// A role, policy or association the values name exists without kubectl-smi's
    /// `managed-by` tag: `--apply` leaves it alone unless `--force`, `delete` never touches it.
    NotManaged,
}

impl Kind {
    /// The words reports use for the kind, e.g. `missing policy`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::MissingOidcProvider => "missing OIDC provider",
            Kind::MissingPolicy => "missing policy",
            Kind::MissingStatement => "missing statement",
            Kind::MissingPermission => "missing permission",
            Kind::MissingRole => "missing role",
            Kind::TrustPolicyDiffers => "trust policy differs",
            Kind::MissingAttachment => "missing attachment",
            Kind::MissingAssociation => "missing pod identity association",
            Kind::AssociationRoleDiffers => "pod identity association uses another role",
            Kind::ExtraPermissions => "extra permissions",
            Kind::ExceedsLimit => "exceeds an IAM limit",
            Kind::MigrationInProgress => "IRSA to Pod Identity migration in progress",
            Kind::NotManaged => "not managed by kubectl-smi",
        }
    }
}

/// One difference: what kind, on which object, and the detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What kind of difference.
    pub kind: Kind,
    /// `policy <name>`, `role <name>` or `association <namespace>/<service account>`.
    pub subject: String,
    /// The detail for the operator, e.g. `policy <arn> is not attached` or `statement <sid>:
    /// <grants>`.
    pub detail: String,
}

/// The documents over an IAM limit, as differences of kind [`Kind::ExceedsLimit`].
pub fn limit_differences(breaches: &[Breach]) -> Vec<Difference> {
    breaches
        .iter()
        .map(|b| Difference {
            kind: Kind::ExceedsLimit,
            subject: b.subject.clone(),
            detail: format!(
                "the {} is {} characters, over IAM's limit of {} ({})",
                b.what, b.size, b.limit, b.cause
            ),
        })
        .collect()
}

fn not_managed(
    subject: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Option<Difference> {
    (!is_managed(tags)).then(|| Difference {
        kind: Kind::NotManaged,
        subject: subject.to_owned(),
        detail: format!(
            "no {} tag: not created by kubectl-smi (--apply --force takes it over)",
            super::MANAGED_BY_TAG.0
        ),
    })
}

/// Lists every difference between the account and the generated policies.
pub fn differences(policies: &AwsPolicies, observed: &Observed) -> Vec<Difference> {
    let mut out = Vec::new();
    if let (Some(arn), Some(false)) = (&policies.oidc_provider_arn, observed.oidc_provider_exists) {
        out.push(Difference {
            kind: Kind::MissingOidcProvider,
            subject: format!("oidc-provider {}", arn.rsplit('/').next().unwrap_or(arn)),
            detail: format!("{arn} does not exist; the IRSA roles trust it"),
        });
    }
    for policy in &policies.policies {
        let subject = format!("policy {}", policy.name);
        let Some(found) = observed.policies.get(&policy.arn) else {
            out.push(Difference {
                kind: Kind::MissingPolicy,
                subject,
                detail: format!("{} for bucket {}", policy.arn, policy.bucket_name),
            });
            continue;
        };
        out.extend(not_managed(&subject, &found.tags));
        out.extend(document_differences(
            &subject,
            &policy.document,
            &found.document,
        ));
    }
    for role in &policies.roles {
        let subject = format!("role {}", role.name);
        let Some(found) = observed.roles.get(&role.name) else {
            out.push(Difference {
                kind: Kind::MissingRole,
                subject,
                detail: format!(
                    "for service account {}/{}",
                    policies.namespace, role.service_account
                ),
            });
            continue;
        };
        out.extend(not_managed(&subject, &found.tags));
        let (missing, extra) = difference(&role.trust_policy, &found.trust_policy);
        if in_migration(&found.trust_policy) && missing.is_empty() {
            out.push(Difference {
                kind: Kind::MigrationInProgress,
                subject: subject.clone(),
                detail: "trusts both the cluster's OIDC provider (IRSA) and EKS Pod Identity; \
                         once the values say podIdentity and the pods have restarted, \
                         `policies --apply` removes the OIDC statement"
                    .to_owned(),
            });
        } else if !missing.is_empty() || !extra.is_empty() {
            let mut detail: Vec<String> = missing
                .iter()
                .map(|g| format!("lacks {}", g.describe()))
                .collect();
            detail.extend(
                extra
                    .iter()
                    .map(|g| format!("also trusts {}", g.describe())),
            );
            out.push(Difference {
                kind: Kind::TrustPolicyDiffers,
                subject: subject.clone(),
                detail: detail.join("; "),
            });
        }
        for arn in role
            .policy_arns
            .iter()
            .filter(|a| !found.attached_policy_arns.contains(a))
        {
            out.push(Difference {
                kind: Kind::MissingAttachment,
                subject: subject.clone(),
                detail: format!("policy {arn} is not attached"),
            });
        }
        for arn in found
            .attached_policy_arns
            .iter()
            .filter(|a| !role.policy_arns.contains(a))
        {
            out.push(Difference {
                kind: Kind::ExtraPermissions,
                subject: subject.clone(),
                detail: format!("policy {arn} is attached but not required"),
            });
        }
        for name in &found.inline_policies {
            out.push(Difference {
                kind: Kind::ExtraPermissions,
                subject: subject.clone(),
                detail: format!("inline policy {name}"),
            });
        }
    }
    for association in &policies.pod_identity_associations {
        let subject = format!(
            "association {}/{}",
            association.namespace, association.service_account
        );
        match observed.associations.get(association.service_account) {
            None => out.push(Difference {
                kind: Kind::MissingAssociation,
                subject,
                detail: format!(
                    "cluster {} should map it to {}",
                    association.cluster_name, association.role_arn
                ),
            }),
            Some(found) if found.being_deleted => out.push(Difference {
                kind: Kind::MissingAssociation,
                subject,
                detail: format!("{} is being deleted", found.association_id),
            }),
            Some(found) => {
                out.extend(not_managed(&subject, &found.tags));
                if found.role_arn != association.role_arn {
                    out.push(Difference {
                        kind: Kind::AssociationRoleDiffers,
                        subject,
                        detail: format!("{} instead of {}", found.role_arn, association.role_arn),
                    });
                }
            }
        }
    }
    out
}

/// Statements (or single permissions) the document lacks, and permissions it adds.
fn document_differences(
    subject: &str,
    expected: &serde_json::Value,
    actual: &serde_json::Value,
) -> Vec<Difference> {
    let (missing, extra) = difference(expected, actual);
    let mut out = Vec::new();
    let expected_grants = super::compare::grants(expected);
    let mut statements: Vec<&str> = missing.iter().map(|g| g.statement.as_str()).collect();
    statements.dedup();
    for statement in statements {
        let lacking: Vec<&Grant> = missing
            .iter()
            .filter(|g| g.statement == statement)
            .collect();
        let whole = expected_grants
            .iter()
            .filter(|g| g.statement == statement)
            .count()
            == lacking.len();
        out.push(Difference {
            kind: if whole {
                Kind::MissingStatement
            } else {
                Kind::MissingPermission
            },
            subject: subject.to_owned(),
            detail: format!("statement {statement}: {}", describe_all(&lacking)),
        });
    }
    let mut statements: Vec<&str> = extra.iter().map(|g| g.statement.as_str()).collect();
    statements.sort();
    statements.dedup();
    for statement in statements {
        let adding: Vec<&Grant> = extra.iter().filter(|g| g.statement == statement).collect();
        out.push(Difference {
            kind: Kind::ExtraPermissions,
            subject: subject.to_owned(),
            detail: format!("statement {statement}: {}", describe_all(&adding)),
        });
    }
    out
}

fn describe_all(grants: &[&Grant]) -> String {
    grants
        .iter()
        .map(|g| g.describe())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::observe::{ObservedPolicy, ObservedRole, PolicyVersion};
    use super::super::tests_support::example_policies;
    use super::*;
    use serde_json::json;

    fn in_sync(policies: &AwsPolicies) -> Observed {
        let tags: std::collections::BTreeMap<_, _> = policies.tags().into_iter().collect();
        let mut observed = Observed::default();
        for p in &policies.policies {
            observed.policies.insert(
                p.arn.clone(),
                ObservedPolicy {
                    document: p.document.clone(),
                    versions: vec![PolicyVersion {
                        id: "v1".into(),
                        is_default: true,
                    }],
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
                super::super::observe::ObservedAssociation {
                    association_id: format!("a-{}", a.service_account),
                    role_arn: a.role_arn.clone(),
                    tags: tags.clone(),
                    ..Default::default()
                },
            );
        }
        observed
    }

    #[test]
    fn an_account_in_sync_has_no_difference() {
        let policies = example_policies();
        assert_eq!(differences(&policies, &in_sync(&policies)), vec![]);
    }

    #[test]
    fn a_deleted_role_a_dropped_statement_and_an_admin_grant_are_reported() {
        let policies = example_policies();
        let mut observed = in_sync(&policies);
        observed.roles.remove("dtp-prod-filesvc");
        let kafka = &policies.policies[0];
        let mut document = kafka.document.clone();
        document["Statement"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["Sid"] != "Objects");
        document["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Sid": "Admin", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
        observed.policies.get_mut(&kafka.arn).unwrap().document = document;
        let found = differences(&policies, &observed);
        let kinds: Vec<(Kind, &str)> = found.iter().map(|d| (d.kind, d.subject.as_str())).collect();
        assert!(
            kinds.contains(&(Kind::MissingRole, "role dtp-prod-filesvc")),
            "{found:?}"
        );
        assert!(
            kinds.contains(&(Kind::MissingStatement, "policy dtp-prod-kafka-bucket")),
            "{found:?}"
        );
        assert!(
            kinds.contains(&(Kind::ExtraPermissions, "policy dtp-prod-kafka-bucket")),
            "{found:?}"
        );
        assert_eq!(found.len(), 3, "{found:?}");
    }
}
