//! Step 3 on the cluster side: the cloud identity of each service account of the guide's
//! table, on the ServiceAccount and on the pods that run as it.
//!
//! - AWS IRSA: `eks.amazonaws.com/role-arn` (+ regional STS endpoints) on the ServiceAccount.
//! - AWS EKS Pod Identity: EKS needs nothing on the ServiceAccount; the role ARN goes under
//!   kubectl-smi's own annotation for traceability, and, when asked, an ACK
//!   PodIdentityAssociation per service account (GitOps without a CLI step).
//! - OCI OKE workload identity: the OCI SDKs' OKE workload identity provider reads
//!   OCI_RESOURCE_PRINCIPAL_VERSION=2.2 and OCI_RESOURCE_PRINCIPAL_REGION in the pods.
//!
//! The association of a service account rendered as a hook is itself a hook of the same
//! phases, weighted before every hook that uses the account, so that the hook's pods (the
//! migrations run `pre-install`) find their identity on a first install.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::hooks::{
    HOOK, HOOK_DELETE_POLICY, HOOK_WEIGHT, Holding, Hook, PostRenderStrategy, holding, hook_of,
};
use super::namespace::PlatformNamespace;
use super::workload::{
    below, container_paths, is_workload, map_mut, pod_spec_path, recorded_service_account,
    service_account_fields, service_account_in, set_env, workload_kinds,
};
use super::{Context, Filter, RenderError};
use crate::catalog::{SERVICE_ACCOUNTS, ServiceAccount, service_account as table_entry};
use crate::stream::{Content, HelmForm, ObjectRef, Prebuild, Stream};
use crate::values::{AwsIdentity, Provider, Smi};

pub const ROLE_ARN_ANNOTATION: &str = "smi.dtplatform.io/role-arn";
pub const IDENTITY_ANNOTATION: &str = "smi.dtplatform.io/cloud-identity";
pub const BUCKETS_ANNOTATION: &str = "smi.dtplatform.io/buckets";
const IRSA_ROLE_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
const IRSA_REGIONAL_STS: &str = "eks.amazonaws.com/sts-regional-endpoints";

/// Puts each service account's cloud identity on it and on the pods that run as it.
#[derive(Debug)]
pub struct Identity {
    /// What each service account gets, from the values' provider and identity.
    wiring: Wiring,
    /// The platform's namespace: the service accounts' (ACK associations, roles' trust, OCI
    /// policies).
    namespace: PlatformNamespace,
    /// Missing service accounts are errors instead of warnings.
    strict: bool,
    /// How Helm hands hooks over: decides which missing accounts are expected.
    strategy: PostRenderStrategy,
}

impl Identity {
    /// The filter for these values; fails when the provider's section or the AWS account id
    /// (needed for role ARNs) is missing.
    pub fn new(
        smi: &Smi,
        strict: bool,
        strategy: PostRenderStrategy,
    ) -> Result<Identity, RenderError> {
        Ok(Identity {
            wiring: wiring(smi)?,
            namespace: PlatformNamespace::new(smi),
            strict,
            strategy,
        })
    }
}

/// What the values say each service account gets.
#[derive(Debug)]
enum Wiring {
    Irsa {
        role_arns: Vec<(String, String)>,
    },
    PodIdentity {
        role_arns: Vec<(String, String)>,
        ack: bool,
        cluster: String,
    },
    Oci {
        region: String,
    },
}

impl Filter for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn fields(&self) -> Vec<crate::stream::Field> {
        service_account_fields()
    }

    fn prebuild(&self) -> Option<Prebuild<'_>> {
        let oci = matches!(self.wiring, Wiring::Oci { .. });
        let mut kinds = vec!["ServiceAccount".to_owned()];
        if oci {
            kinds.extend(workload_kinds());
        }
        Some(Prebuild {
            kinds,
            wanted: Box::new(move |header, field| {
                if header.kind == "ServiceAccount" {
                    return header.name.as_deref().and_then(table_entry).is_some();
                }
                oci && recorded_service_account(&header.kind, field)
                    .as_deref()
                    .and_then(table_entry)
                    .is_some()
            }),
        })
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        let wiring = &self.wiring;
        let mut present = BTreeSet::new();
        let mut referenced = BTreeSet::new();
        // The hooks that are service accounts of the table or run as one, by account.
        let mut hooks: BTreeMap<&str, Vec<Hook>> = BTreeMap::new();
        let mut hook_accounts = BTreeSet::new();
        for object in stream.objects() {
            let header = stream.header(object);
            if header.kind == "ServiceAccount" {
                if let Some(sa) = header.name.as_deref().and_then(table_entry) {
                    self.namespace.check(stream, object, |ns| {
                        format!("its cloud identity (role trust, Pod Identity association, OCI policies) is for {ns}/{}", sa.name)
                    })?;
                    present.insert(sa.name);
                    if let Some(hook) = hook_of(stream, object)? {
                        hook_accounts.insert(sa.name);
                        hooks.entry(sa.name).or_default().push(hook);
                    }
                    self.annotate_service_account(stream, cx, object, sa, wiring)?;
                }
            } else if is_workload(&header.kind) {
                let kind = header.kind.clone();
                let Some(sa) = service_account_in(stream, object, &kind)?
                    .as_deref()
                    .and_then(table_entry)
                else {
                    continue;
                };
                self.namespace.check(stream, object, |ns| {
                    format!(
                        "its pods run as {}, whose cloud identity is for {ns}/{}",
                        sa.name, sa.name
                    )
                })?;
                referenced.insert(sa.name);
                if let Some(hook) = hook_of(stream, object)? {
                    hooks.entry(sa.name).or_default().push(hook);
                }
                if let Wiring::Oci { region } = &wiring {
                    cx.change(
                        stream,
                        object,
                        format!(
                            "pods run as {}: OKE workload identity for the OCI SDK",
                            sa.name
                        ),
                        |o| {
                            if let Some(spec) = pod_spec_path(o, &kind) {
                                let lists = ["initContainers", "containers"];
                                for container in container_paths(o, &spec, &lists) {
                                    set_env(o, &container, "OCI_RESOURCE_PRINCIPAL_VERSION", "2.2");
                                    set_env(o, &container, "OCI_RESOURCE_PRINCIPAL_REGION", region);
                                }
                            }
                        },
                    )?;
                }
            }
        }
        if let Wiring::PodIdentity {
            role_arns,
            ack: true,
            cluster,
        } = &wiring
        {
            for (sa, arn) in role_arns
                .iter()
                .filter(|(sa, _)| present.contains(sa.as_str()))
            {
                let mut association =
                    pod_identity_association(self.namespace.name(), cluster, sa, arn);
                let mut reason = format!("EKS Pod Identity association for {sa} (ACK)");
                if hook_accounts.contains(sa.as_str()) {
                    let hook = association_hook(hooks.get(sa.as_str()).map_or(&[], Vec::as_slice));
                    reason.push_str(&format!(
                        ", a {} hook of weight {} so that it precedes the hooks that run as {sa}",
                        hook.phases.join(","),
                        hook.weight
                    ));
                    make_hook(&mut association, &hook);
                }
                cx.add_or_update(stream, reason, association)?;
            }
        }
        let judged = Judged {
            holding: holding(stream)?,
            form: stream.form(),
            strategy: self.strategy,
        };
        report_missing(cx, &present, &referenced, self.strict, judged)
    }
}

/// The hook an association is emitted as: the phases of every hook that uses its account
/// (the ServiceAccount and the pods that run as it), weighted one below the lowest of them.
fn association_hook(users: &[Hook]) -> Hook {
    let mut phases: Vec<String> = Vec::new();
    for phase in users.iter().flat_map(|h| &h.phases) {
        if !phases.contains(phase) {
            phases.push(phase.clone());
        }
    }
    let weight = users.iter().map(|h| h.weight).min().unwrap_or(0);
    Hook {
        phases,
        weight: weight.saturating_sub(1),
    }
}

/// Makes an added object a Helm hook. `before-hook-creation`: the association stays after
/// the hooks ran (the account keeps its identity between upgrades; deleting it after the
/// hooks would churn the EKS association each upgrade), and the next run replaces it, so a
/// changed role ARN applies.
fn make_hook(object: &mut Value, hook: &Hook) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = map_mut(metadata, "annotations");
    annotations.insert(HOOK.to_owned(), Value::String(hook.phases.join(",")));
    annotations.insert(
        HOOK_WEIGHT.to_owned(),
        Value::String(hook.weight.to_string()),
    );
    annotations.insert(
        HOOK_DELETE_POLICY.to_owned(),
        Value::String("before-hook-creation".to_owned()),
    );
}

impl Identity {
    fn annotate_service_account(
        &self,
        stream: &mut Stream,
        cx: &mut Context,
        object: ObjectRef,
        sa: &ServiceAccount,
        wiring: &Wiring,
    ) -> Result<(), RenderError> {
        let buckets: Vec<&str> = sa.buckets.iter().map(|b| b.purpose()).collect();
        let mut annotations: Vec<(&str, String)> = vec![(BUCKETS_ANNOTATION, buckets.join(","))];
        let reason = match wiring {
            Wiring::Irsa { role_arns } => {
                let arn = role_of(role_arns, sa.name);
                annotations.push((IRSA_ROLE_ANNOTATION, arn.clone()));
                annotations.push((IRSA_REGIONAL_STS, "true".to_owned()));
                annotations.push((IDENTITY_ANNOTATION, "aws-irsa".to_owned()));
                format!("IRSA: assumes {arn}")
            }
            Wiring::PodIdentity { role_arns, .. } => {
                let arn = role_of(role_arns, sa.name);
                annotations.push((ROLE_ARN_ANNOTATION, arn.clone()));
                annotations.push((IDENTITY_ANNOTATION, "aws-pod-identity".to_owned()));
                format!("EKS Pod Identity: associated with {arn}")
            }
            Wiring::Oci { .. } => {
                annotations.push((IDENTITY_ANNOTATION, "oci-workload-identity".to_owned()));
                "OKE workload identity: the OCI policies name this service account".to_owned()
            }
        };
        let reason = format!("{reason}; buckets {}", buckets.join(", "));
        cx.change(stream, object, reason, |o| {
            let metadata = ["metadata".to_owned()];
            if let Some(Content::Mapping(_)) = o.get(&metadata).map(|n| &n.content) {
                for (key, value) in annotations {
                    o.set(
                        &below(&metadata, &["annotations", key]),
                        Value::String(value),
                    );
                }
            }
        })
    }
}

fn role_of(role_arns: &[(String, String)], sa: &str) -> String {
    role_arns
        .iter()
        .find(|(name, _)| name == sa)
        .map(|(_, arn)| arn.clone())
        .expect("every service account of the table has a role")
}

fn wiring(smi: &Smi) -> Result<Wiring, RenderError> {
    match smi.cloud.provider {
        Provider::Aws => {
            let aws = smi
                .cloud
                .aws
                .as_ref()
                .ok_or(RenderError::MissingSection("smi.cloud.aws"))?;
            let account = aws
                .account_id
                .clone()
                .ok_or(RenderError::MissingAccountId)?;
            let role_arns = SERVICE_ACCOUNTS
                .iter()
                .map(|sa| (sa.name.to_owned(), aws.role_arn(&account, sa.name)))
                .collect();
            Ok(match aws.identity {
                AwsIdentity::Irsa => Wiring::Irsa { role_arns },
                AwsIdentity::PodIdentity => Wiring::PodIdentity {
                    role_arns,
                    ack: aws.ack_pod_identity_associations,
                    cluster: aws.cluster_name.clone(),
                },
            })
        }
        Provider::Oci => {
            let oci = smi
                .cloud
                .oci
                .as_ref()
                .ok_or(RenderError::MissingSection("smi.cloud.oci"))?;
            Ok(Wiring::Oci {
                region: oci.region.clone(),
            })
        }
    }
}

fn pod_identity_association(namespace: &str, cluster: &str, sa: &str, arn: &str) -> Value {
    json!({
        "apiVersion": "eks.services.k8s.aws/v1alpha1",
        "kind": "PodIdentityAssociation",
        "metadata": {"name": sa, "namespace": namespace},
        "spec": {
            "clusterName": cluster,
            "namespace": namespace,
            "serviceAccount": sa,
            "roleARN": arn,
        }
    })
}

/// What the completeness check knows about the call it judges.
#[derive(Debug, Clone, Copy)]
struct Judged {
    holding: Holding,
    form: HelmForm,
    strategy: PostRenderStrategy,
}

/// Service accounts of the table that the release should have but does not: referenced by
/// a pod without a ServiceAccount object, or siblings (same service) of one that is present.
/// A call of hooks only is judged on the accounts the charts render as hooks; under a
/// declared `separate` no call sees the whole release, so nothing is judged.
fn report_missing(
    cx: &mut Context,
    present: &BTreeSet<&str>,
    referenced: &BTreeSet<&str>,
    strict: bool,
    judged: Judged,
) -> Result<(), RenderError> {
    if judged.strategy == PostRenderStrategy::Separate {
        return Ok(());
    }
    let services: BTreeSet<&str> = present
        .iter()
        .chain(referenced)
        .filter_map(|n| table_entry(n))
        .map(|sa| sa.service)
        .collect();
    let missing: Vec<&str> = SERVICE_ACCOUNTS
        .iter()
        .filter(|sa| !present.contains(sa.name))
        .filter(|sa| referenced.contains(sa.name) || services.contains(sa.service))
        .filter(|sa| sa.hook || judged.holding != Holding::HooksOnly)
        .map(|sa| sa.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let (why, hint) = explanation(judged);
    if strict {
        return Err(RenderError::MissingServiceAccounts {
            names: missing.join(", "),
            hint,
        });
    }
    cx.warn(format!(
        "service accounts of the guide's table missing from the manifests, so they get no cloud identity \
         wiring from this render: {}.\n  {why} `kubectl smi policies` still creates their roles. \
         --strict makes this an error.",
        missing.join(", ")
    ));
    Ok(())
}

/// Why accounts may be missing, and the --strict error's hint, for the Helm that sent the
/// stream and the declared strategy.
fn explanation(judged: Judged) -> (&'static str, &'static str) {
    match (judged.strategy, judged.form) {
        (PostRenderStrategy::NoHooks, _) => (
            "Under --post-render-strategy=nohooks Helm never post-renders hooks, so accounts the \
             charts render as hooks (migrations) get no wiring: use the combined or separate \
             strategy, or set their annotations in the chart's values.",
            "hooks are not post-rendered under the nohooks strategy: use combined or separate, set the accounts' annotations in the chart's values, or drop --strict to get warnings instead",
        ),
        (_, HelmForm::FilenameAnnotations) => (
            "Helm 4 post-renders hooks with the rest under the combined strategy (the helm \
             command line); a program that embeds Helm with another strategy hands them over \
             in a call of their own (declare it with --post-render-strategy=separate) or not \
             at all (nohooks: set their annotations in the chart's values).",
            "if the program running Helm uses the separate post-render strategy, pass --post-render-strategy=separate; otherwise drop --strict to get warnings instead",
        ),
        (_, HelmForm::SourceComments) => (
            "Helm 3 does not post-render hooks (helm/helm#7891): if the chart renders them as \
             hooks (migrations), install with Helm 4 or set the annotations in the chart's values;",
            "Helm 3 does not post-render hooks; install with Helm 4, or drop --strict to get warnings instead",
        ),
    }
}
