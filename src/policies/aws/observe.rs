//! Reads what exists in the account for the generated names: the bucket policies and their
//! versions, the roles with their trust and attached policies, the pod identity associations.

use std::collections::BTreeMap;

use serde_json::Value;

use super::AwsPolicies;
use super::session::{Session, sdk_error};
use crate::policies::PoliciesError;

/// What exists now, keyed by the generated names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// By policy ARN; absent when the policy does not exist.
    pub policies: BTreeMap<String, ObservedPolicy>,
    /// By role name; absent when the role does not exist.
    pub roles: BTreeMap<String, ObservedRole>,
    /// By service account name (pod identity only).
    pub associations: BTreeMap<String, ObservedAssociation>,
    /// IRSA: whether the IAM OIDC provider the roles trust exists.
    pub oidc_provider_exists: Option<bool>,
    /// `delete` only: EKS does not know the cluster (deleted already, and its pod identity
    /// associations with it).
    pub cluster_gone: bool,
}

/// A managed policy as IAM has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedPolicy {
    /// The default version's document (JSON, URL-decoded).
    pub document: Value,
    /// Version ids, oldest first; the default one included.
    pub versions: Vec<PolicyVersion>,
    /// The policy's tags (IAM GetPolicy), by key.
    pub tags: BTreeMap<String, String>,
}

/// One version of a managed policy (IAM ListPolicyVersions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// The version id: `v1`, `v2`, ...
    pub id: String,
    /// Whether it is the policy's default version.
    pub is_default: bool,
}

/// A role as IAM has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedRole {
    /// The role's trust (assume-role) policy document (JSON, URL-decoded); null when IAM gave none.
    pub trust_policy: Value,
    /// The ARNs of the managed policies attached to the role.
    pub attached_policy_arns: Vec<String>,
    /// The names of the role's inline policies.
    pub inline_policies: Vec<String>,
    /// The role's tags (IAM GetRole), by key.
    pub tags: BTreeMap<String, String>,
    /// The names of the instance profiles holding the role (IAM ListInstanceProfilesForRole).
    pub instance_profiles: Vec<String>,
}

/// An EKS pod identity association of a service account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedAssociation {
    /// The association's id (`a-...`).
    pub association_id: String,
    /// The association's ARN (`arn:<partition>:eks:<region>:<account>:podidentityassociation/...`);
    /// empty while it is being deleted.
    pub association_arn: String,
    /// The ARN of the role it gives; empty while it is being deleted.
    pub role_arn: String,
    /// The association's tags (EKS DescribePodIdentityAssociation), by key.
    pub tags: BTreeMap<String, String>,
    /// Still listed but gone when described: EKS deletes associations eventually, not at once.
    pub being_deleted: bool,
}

/// IAM returns policy documents URL-encoded (RFC 3986); some emulators return them plain.
pub fn decode_document(text: &str) -> Value {
    let trimmed = text.trim_start();
    let plain = if trimmed.starts_with('{') {
        trimmed.to_owned()
    } else {
        percent_decode(trimmed)
    };
    serde_json::from_str(&plain).unwrap_or(Value::String(plain))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads the current state of everything `policies` names (associations with pod identity only).
pub async fn observe(session: &Session, policies: &AwsPolicies) -> Result<Observed, PoliciesError> {
    observe_with(
        session,
        policies,
        !policies.pod_identity_associations.is_empty(),
    )
    .await
}

/// As [`observe`], and the cluster's associations of the namespace whatever the identity
/// (a cluster that moved to IRSA may keep pod identity associations): for `delete`. A
/// cluster EKS does not know (ResourceNotFoundException) has no associations left: that is
/// [`Observed::cluster_gone`], not an error, so a retired cluster's roles can be removed.
pub async fn observe_all_associations(
    session: &Session,
    policies: &AwsPolicies,
) -> Result<Observed, PoliciesError> {
    match observe_with(session, policies, true).await {
        Err(PoliciesError::ClusterNotFound { .. }) => {
            let mut observed = observe_with(session, policies, false).await?;
            observed.cluster_gone = true;
            Ok(observed)
        }
        other => other,
    }
}

async fn observe_with(
    session: &Session,
    policies: &AwsPolicies,
    associations: bool,
) -> Result<Observed, PoliciesError> {
    let mut observed = Observed::default();
    for policy in &policies.policies {
        if let Some(found) = read_policy(session, &policy.arn).await? {
            observed.policies.insert(policy.arn.clone(), found);
        }
    }
    for role in &policies.roles {
        if let Some(found) = read_role(session, &role.name).await? {
            observed.roles.insert(role.name.clone(), found);
        }
    }
    if associations {
        observed.associations = read_associations(session, policies).await?;
    }
    if let Some(arn) = &policies.oidc_provider_arn {
        let got = session
            .iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await;
        observed.oidc_provider_exists = match got {
            Ok(_) => Some(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                Some(false)
            }
            Err(e) => {
                return Err(sdk_error(
                    "IAM",
                    "GetOpenIDConnectProvider",
                    &session.endpoints.iam,
                    e,
                ));
            }
        };
    }
    Ok(observed)
}

async fn read_policy(
    session: &Session,
    arn: &str,
) -> Result<Option<ObservedPolicy>, PoliciesError> {
    let endpoint = &session.endpoints.iam;
    let got = session.iam.get_policy().policy_arn(arn).send().await;
    let policy = match got {
        Ok(out) => out.policy,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(sdk_error("IAM", "GetPolicy", endpoint, e)),
    };
    let tags = policy
        .as_ref()
        .map(|p| tag_map(p.tags().iter().map(|t| (t.key(), t.value()))))
        .unwrap_or_default();
    let default_id = policy
        .as_ref()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_owned();
    let version = session
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&default_id)
        .send()
        .await
        .map_err(|e| sdk_error("IAM", "GetPolicyVersion", endpoint, e))?;
    let document = version
        .policy_version()
        .and_then(|v| v.document())
        .map(decode_document)
        .unwrap_or(Value::Null);
    let listed = session
        .iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_error("IAM", "ListPolicyVersions", endpoint, e))?;
    let mut versions: Vec<_> = listed
        .versions()
        .iter()
        .map(|v| {
            let created = v.create_date().map(|d| (d.secs(), d.subsec_nanos()));
            let id = v.version_id().unwrap_or_default().to_owned();
            (created, version_number(&id), id, v.is_default_version())
        })
        .collect();
    versions.sort();
    Ok(Some(ObservedPolicy {
        document,
        versions: versions
            .into_iter()
            .map(|(_, _, id, is_default)| PolicyVersion { id, is_default })
            .collect(),
        tags,
    }))
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

async fn read_role(session: &Session, name: &str) -> Result<Option<ObservedRole>, PoliciesError> {
    let endpoint = &session.endpoints.iam;
    let got = session.iam.get_role().role_name(name).send().await;
    let (trust_policy, tags) = match got {
        Ok(out) => (
            out.role()
                .and_then(|r| r.assume_role_policy_document())
                .map(decode_document)
                .unwrap_or(Value::Null),
            out.role()
                .map(|r| tag_map(r.tags().iter().map(|t| (t.key(), t.value()))))
                .unwrap_or_default(),
        ),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(sdk_error("IAM", "GetRole", endpoint, e)),
    };
    let mut attached_policy_arns = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| sdk_error("IAM", "ListAttachedRolePolicies", endpoint, e))?;
        attached_policy_arns.extend(
            page.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
                .map(str::to_owned),
        );
        marker = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut inline_policies = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .iam
            .list_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| sdk_error("IAM", "ListRolePolicies", endpoint, e))?;
        inline_policies.extend(page.policy_names().iter().cloned());
        marker = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut instance_profiles = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| sdk_error("IAM", "ListInstanceProfilesForRole", endpoint, e))?;
        instance_profiles.extend(
            page.instance_profiles()
                .iter()
                .map(|p| p.instance_profile_name().to_owned()),
        );
        marker = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    attached_policy_arns.sort();
    inline_policies.sort();
    instance_profiles.sort();
    Ok(Some(ObservedRole {
        trust_policy,
        attached_policy_arns,
        inline_policies,
        tags,
        instance_profiles,
    }))
}

fn tag_map<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    tags.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Who a managed policy is attached to (IAM ListEntitiesForPolicy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachments {
    /// Role names.
    pub roles: Vec<String>,
    /// User names.
    pub users: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
}

/// The roles, users and groups a managed policy is attached to (IAM ListEntitiesForPolicy).
pub async fn attachments(session: &Session, arn: &str) -> Result<Attachments, PoliciesError> {
    let mut found = Attachments::default();
    let mut marker = None;
    loop {
        let page = session
            .iam
            .list_entities_for_policy()
            .policy_arn(arn)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| sdk_error("IAM", "ListEntitiesForPolicy", &session.endpoints.iam, e))?;
        found.roles.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_owned)),
        );
        found.users.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name().map(str::to_owned)),
        );
        found.groups.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_owned)),
        );
        marker = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(found)
}

/// The associations of the platform's namespace whose service account is one of ours.
async fn read_associations(
    session: &Session,
    policies: &AwsPolicies,
) -> Result<BTreeMap<String, ObservedAssociation>, PoliciesError> {
    let endpoint = &session.endpoints.eks;
    let mut found = BTreeMap::new();
    let mut token = None;
    loop {
        let page = session
            .eks
            .list_pod_identity_associations()
            .cluster_name(&policies.cluster_name)
            .namespace(&policies.namespace)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception())
                {
                    PoliciesError::ClusterNotFound {
                        cluster: policies.cluster_name.clone(),
                        region: policies.region.clone(),
                    }
                } else {
                    sdk_error("EKS", "ListPodIdentityAssociations", endpoint, e)
                }
            })?;
        for summary in page.associations() {
            let (Some(sa), Some(id)) = (summary.service_account(), summary.association_id()) else {
                continue;
            };
            if policies.role(sa).is_none() {
                continue;
            }
            let described = session
                .eks
                .describe_pod_identity_association()
                .cluster_name(&policies.cluster_name)
                .association_id(id)
                .send()
                .await;
            let observed = match described {
                Ok(out) => {
                    let association = out.association();
                    ObservedAssociation {
                        association_id: id.to_owned(),
                        association_arn: association
                            .and_then(|a| a.association_arn())
                            .unwrap_or_default()
                            .to_owned(),
                        role_arn: association
                            .and_then(|a| a.role_arn())
                            .unwrap_or_default()
                            .to_owned(),
                        tags: association
                            .and_then(|a| a.tags())
                            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default(),
                        being_deleted: false,
                    }
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    ObservedAssociation {
                        association_id: id.to_owned(),
                        association_arn: String::new(),
                        role_arn: String::new(),
                        tags: BTreeMap::new(),
                        being_deleted: true,
                    }
                }
                Err(e) => {
                    return Err(sdk_error(
                        "EKS",
                        "DescribePodIdentityAssociation",
                        endpoint,
                        e,
                    ));
                }
            };
            found.insert(sa.to_owned(), observed);
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encoded_documents_are_decoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_document(encoded),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(decode_document("{\"a\": 1}"), json!({"a": 1}));
    }
}
