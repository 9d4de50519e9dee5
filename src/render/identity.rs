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
use crate::catalog::{
    SERVICE_ACCOUNTS, SecretSpec, ServiceAccount, secret_catalog, service_account as table_entry,
};
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
    /// The secrets catalog, to say what pods that were not post-rendered lack.
    catalog: Vec<SecretSpec>,
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
            // An unusable catalog is refused by the secret-refs filter; here it only
            // leaves the secrets out of the missing-accounts warning.
            catalog: secret_catalog(&smi.secrets.catalog).unwrap_or_default(),
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
        let mut present = BTreeSet::new();
        let mut referenced = BTreeSet::new();
        // The hooks that are service accounts of the table or run as one, by account.
        let mut hooks: BTreeMap<&str, Vec<Hook>> = BTreeMap::new();
        let mut hook_accounts = BTreeSet::new();
        // The objects to change are found first (with the checks), then changed together
        // (on two threads when there are many). A check that fails ends the finding; the
        // objects before it are changed first, so that the error reported is the first in
        // stream order, as when each was changed in turn.
        let mut jobs = Vec::new();
        let mut refused = None;
        for object in stream.objects() {
            match self.job(
                stream,
                object,
                &mut present,
                &mut referenced,
                &mut hooks,
                &mut hook_accounts,
            ) {
                Ok(Some(job)) => jobs.push(job),
                Ok(None) => {}
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        cx.change_each(stream, jobs, |o, job| match job {
            Job::ServiceAccount(annotations) => {
                let metadata = ["metadata".to_owned()];
                if let Some(Content::Mapping(_)) = o.get(&metadata).map(|n| &n.content) {
                    for (key, value) in annotations {
                        o.set(
                            &below(&metadata, &["annotations", key]),
                            Value::String(value.clone()),
                        );
                    }
                }
            }
            Job::Workload { kind, region } => {
                if let Some(spec) = pod_spec_path(o, kind) {
                    let lists = ["initContainers", "containers"];
                    for container in container_paths(o, &spec, &lists) {
                        set_env(o, &container, "OCI_RESOURCE_PRINCIPAL_VERSION", "2.2");
                        set_env(o, &container, "OCI_RESOURCE_PRINCIPAL_REGION", region);
                    }
                }
            }
        })?;
        if let Some(e) = refused {
            return Err(e);
        }
        let wiring = &self.wiring;
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
        self.report_missing(cx, &present, &referenced, judged)
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

/// The change an object gets from [`Identity`].
enum Job<'a> {
    /// A service account of the table: these annotations (key, value) under
    /// `metadata.annotations`.
    ServiceAccount(Vec<(&'static str, String)>),
    /// A workload running as one, on OKE: the OCI SDK's resource principal variables in each
    /// container.
    Workload { kind: String, region: &'a str },
}

impl Identity {
    /// What `object` needs (`None`: nothing), after its checks; on the way, records the
    /// service accounts present and referenced and the hooks that use them. Errors: an
    /// object outside the platform's namespace, or a document that cannot be read.
    fn job(
        &self,
        stream: &mut Stream,
        object: ObjectRef,
        present: &mut BTreeSet<&'static str>,
        referenced: &mut BTreeSet<&'static str>,
        hooks: &mut BTreeMap<&'static str, Vec<Hook>>,
        hook_accounts: &mut BTreeSet<&'static str>,
    ) -> Result<Option<(ObjectRef, String, Job<'_>)>, RenderError> {
        let header = stream.header(object);
        if header.kind == "ServiceAccount" {
            let Some(sa) = header.name.as_deref().and_then(table_entry) else {
                return Ok(None);
            };
            self.namespace.check(stream, object, |ns| {
                format!("its cloud identity (role trust, Pod Identity association, OCI policies) is for {ns}/{}", sa.name)
            })?;
            present.insert(sa.name);
            if let Some(hook) = hook_of(stream, object)? {
                hook_accounts.insert(sa.name);
                hooks.entry(sa.name).or_default().push(hook);
            }
            let (reason, annotations) = self.service_account_annotations(sa);
            return Ok(Some((object, reason, Job::ServiceAccount(annotations))));
        }
        if !is_workload(&header.kind) {
            return Ok(None);
        }
        let kind = header.kind.clone();
        let Some(sa) = service_account_in(stream, object, &kind)?
            .as_deref()
            .and_then(table_entry)
        else {
            return Ok(None);
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
        Ok(match &self.wiring {
            Wiring::Oci { region } => Some((
                object,
                format!(
                    "pods run as {}: OKE workload identity for the OCI SDK",
                    sa.name
                ),
                Job::Workload { kind, region },
            )),
            _ => None,
        })
    }

    /// The reason and the annotations (key, value) of a service account of the table.
    fn service_account_annotations(
        &self,
        sa: &ServiceAccount,
    ) -> (String, Vec<(&'static str, String)>) {
        let wiring = &self.wiring;
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
                format!(
                    "EKS Pod Identity: role {arn} recorded in {ROLE_ARN_ANNOTATION}; the association itself is made by `kubectl smi policies --apply`{}",
                    match wiring {
                        Wiring::PodIdentity { ack: true, .. } =>
                            " or the ACK PodIdentityAssociation render adds",
                        _ => " (or Terraform)",
                    }
                )
            }
            Wiring::Oci { .. } => {
                annotations.push((IDENTITY_ANNOTATION, "oci-workload-identity".to_owned()));
                "OKE workload identity: the OCI policies name this service account".to_owned()
            }
        };
        (
            format!("{reason}; buckets {}", buckets.join(", ")),
            annotations,
        )
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

impl Identity {
    /// Service accounts of the table that the release should have but does not: referenced
    /// by a pod without a ServiceAccount object, or siblings (same service) of one that is
    /// present. A call of hooks only is judged on the accounts the charts render as hooks;
    /// under a declared `separate` no call sees the whole release, so nothing is judged.
    fn report_missing(
        &self,
        cx: &mut Context,
        present: &BTreeSet<&str>,
        referenced: &BTreeSet<&str>,
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
        let missing: Vec<&ServiceAccount> = SERVICE_ACCOUNTS
            .iter()
            .filter(|sa| !present.contains(sa.name))
            .filter(|sa| referenced.contains(sa.name) || services.contains(sa.service))
            .filter(|sa| sa.hook || judged.holding != Holding::HooksOnly)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = missing.iter().map(|sa| sa.name).collect();
        let advice = self.advice(&missing, referenced, judged);
        if self.strict {
            return Err(RenderError::MissingServiceAccounts {
                names: names.join(", "),
                hint: advice.hint,
            });
        }
        cx.warn(format!(
            "service accounts of the guide's table missing from the manifests: {}.\n  Why: {}\n  Lost: {}\n  To do: {}\n  `kubectl smi policies` still creates their roles; --strict makes this an error.",
            names.join(", "),
            advice.why,
            advice.lost,
            advice.to_do,
        ));
        Ok(())
    }

    /// What the missing accounts cost and what to do, for the provider and identity in use,
    /// the Helm that sent the stream and the declared strategy.
    fn advice(
        &self,
        missing: &[&ServiceAccount],
        referenced: &BTreeSet<&str>,
        judged: Judged,
    ) -> Advice {
        // Accounts whose pods are in the manifests (only the ServiceAccount object is not),
        // and accounts of which nothing reached kubectl-smi.
        let (with_pods, unseen): (Vec<&ServiceAccount>, Vec<&ServiceAccount>) =
            missing.iter().partition(|sa| referenced.contains(sa.name));
        let hooks_lost = matches!(
            (judged.strategy, judged.form),
            (PostRenderStrategy::NoHooks, _) | (_, HelmForm::SourceComments)
        ) && unseen.iter().any(|sa| sa.hook);
        let why = match (judged.strategy, judged.form) {
            (PostRenderStrategy::NoHooks, _) => {
                "Under --post-render-strategy=nohooks Helm never post-renders hooks: the accounts the charts render as hooks and the Jobs that run as them (the database migrations) never reach kubectl-smi.".to_owned()
            }
            (_, HelmForm::FilenameAnnotations) => {
                "Helm 4 post-renders hooks with the rest under the combined strategy (the helm command line), so the charts did not render these accounts in this call; a program that embeds Helm may hand hooks over in a call of their own (declare it with --post-render-strategy=separate) or not at all (--post-render-strategy=nohooks).".to_owned()
            }
            (_, HelmForm::SourceComments) => {
                "Helm 3 does not post-render hooks (helm/helm#7891): the accounts the charts render as hooks and the Jobs that run as them (the database migrations) never reach kubectl-smi.".to_owned()
            }
        };
        let mut lost = Vec::new();
        let mut to_do = Vec::new();
        if !unseen.is_empty() {
            let who = if hooks_lost {
                "their pods (the migration Jobs) are not post-rendered either"
            } else {
                "pods that run as them, if the charts or another tool create any, were not post-rendered"
            };
            let secrets = self.secrets_of(&unseen);
            let who = if with_pods.is_empty() {
                who.to_owned()
            } else {
                let names: Vec<&str> = unseen.iter().map(|sa| sa.name).collect();
                format!("{}: {who}", names.join(", "))
            };
            if secrets.is_empty() {
                lost.push(format!("{who};"));
            } else {
                lost.push(format!(
                    "{who}, so they get no secret references ({secrets}) and start without those credentials;"
                ));
            }
            lost.push(self.identity_lost(true));
            match (judged.strategy, judged.form) {
                (PostRenderStrategy::NoHooks, _) => {
                    to_do.push("use the combined or separate post-render strategy, or".to_owned())
                }
                (_, HelmForm::SourceComments) if hooks_lost => {
                    to_do.push("install with Helm 4 (it post-renders hooks), or".to_owned())
                }
                _ => {}
            }
            to_do.push(self.identity_to_do(&unseen, !secrets.is_empty()));
        }
        if !with_pods.is_empty() {
            let names: Vec<&str> = with_pods.iter().map(|sa| sa.name).collect();
            lost.push(format!(
                "{}: the pods that run as {} were post-rendered, but not the ServiceAccount object; {}",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" },
                self.identity_lost(false)
            ));
            if !matches!(self.wiring, Wiring::Oci { .. }) {
                to_do.push(format!(
                    "for {}, whoever creates the ServiceAccount: {}",
                    names.join(", "),
                    self.identity_to_do(&with_pods, false)
                ));
            }
        }
        let hint = match (judged.strategy, judged.form) {
            (PostRenderStrategy::NoHooks, _) => format!(
                "hooks are not post-rendered under the nohooks strategy: use combined or separate, or {}; or drop --strict to get warnings instead",
                self.identity_to_do(missing, true)
            ),
            (_, HelmForm::FilenameAnnotations) => {
                "if the program running Helm uses the separate post-render strategy, pass --post-render-strategy=separate; otherwise drop --strict to get warnings instead".to_owned()
            }
            (_, HelmForm::SourceComments) => format!(
                "Helm 3 does not post-render hooks: install with Helm 4, or {}; or drop --strict to get warnings instead",
                self.identity_to_do(missing, true)
            ),
        };
        if to_do.is_empty() {
            to_do.push("nothing for the cloud identity.".to_owned());
        }
        Advice {
            why,
            lost: lost.join(" "),
            to_do: to_do.join(" "),
            hint,
        }
    }

    /// The catalog's secrets the accounts' pods receive, as `account: secret, ...; account:
    /// ...`.
    fn secrets_of(&self, accounts: &[&ServiceAccount]) -> String {
        let mut parts = Vec::new();
        for sa in accounts {
            let secrets: Vec<String> = self
                .catalog
                .iter()
                .filter(|s| s.consumers.iter().any(|c| c == sa.name))
                .map(|s| s.name.clone())
                .collect();
            if !secrets.is_empty() {
                parts.push(format!("{}: {}", sa.name, secrets.join(", ")));
            }
        }
        parts.join("; ")
    }

    /// What the accounts lose of their cloud identity; `pods_lost`: their pods were not
    /// post-rendered either.
    fn identity_lost(&self, pods_lost: bool) -> String {
        match &self.wiring {
            Wiring::Irsa { .. } => format!(
                "AWS identity: lost, their pods get no AWS credentials (IRSA needs {IRSA_ROLE_ANNOTATION} on the ServiceAccount, which render did not set)."
            ),
            Wiring::PodIdentity { ack, .. } => {
                let mut text = "AWS identity: nothing lost as long as the EKS Pod Identity associations exist (EKS binds a role to the namespace and service account name, not to anything in the manifests)".to_owned();
                if *ack {
                    text.push_str(
                        ", but no ACK PodIdentityAssociation was added for them (render adds one only for the accounts it sees)",
                    );
                }
                text.push('.');
                text
            }
            Wiring::Oci { region } if pods_lost => format!(
                "OCI identity: lost, OKE workload identity needs no ServiceAccount annotation but the OCI SDK needs OCI_RESOURCE_PRINCIPAL_VERSION=2.2 and OCI_RESOURCE_PRINCIPAL_REGION={region} in each container, which render adds only to the pods it sees."
            ),
            Wiring::Oci { .. } => {
                "OCI identity: nothing lost (OKE workload identity needs no ServiceAccount annotation; the pods got the OCI_RESOURCE_PRINCIPAL_* environment and the OCI policies name the account).".to_owned()
            }
        }
    }

    /// What to set, for the identity in use (and the secret references when `secrets`),
    /// in the chart's values for these accounts and their pods.
    fn identity_to_do(&self, accounts: &[&ServiceAccount], secrets: bool) -> String {
        let names: Vec<&str> = accounts.iter().map(|sa| sa.name).collect();
        let mut parts = Vec::new();
        if secrets {
            parts.push(
                "give their pods the secrets listed above (envFrom secretRef, or the volume `kubectl smi secrets catalog` names)"
                    .to_owned(),
            );
        }
        match &self.wiring {
            Wiring::Irsa { role_arns } => {
                let arns: Vec<String> = names
                    .iter()
                    .map(|n| format!("{n}: {}", role_of(role_arns, n)))
                    .collect();
                parts.push(format!(
                    "annotate each ServiceAccount with {IRSA_ROLE_ANNOTATION} (and {IRSA_REGIONAL_STS}: \"true\"): {}",
                    arns.join(", ")
                ));
            }
            Wiring::PodIdentity { .. } => parts.push(
                "make sure their EKS Pod Identity associations exist: `kubectl smi policies --apply` creates them (or `kubectl smi policies -o terraform`)".to_owned(),
            ),
            Wiring::Oci { region } => parts.push(format!(
                "give every container of their pods the environment OCI_RESOURCE_PRINCIPAL_VERSION=2.2 and OCI_RESOURCE_PRINCIPAL_REGION={region} (OKE needs no ServiceAccount annotation)"
            )),
        }
        format!("in the chart's values, {}.", parts.join("; "))
    }
}

/// The missing-accounts warning's parts, and the --strict error's hint.
struct Advice {
    why: String,
    lost: String,
    to_do: String,
    hint: String,
}
