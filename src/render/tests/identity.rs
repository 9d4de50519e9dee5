//! The identity filter: each service account of the guide's table gets its cloud identity.

use super::{Case, Refusal, changes, check_refusals, check_table, options, output, render_with};
use crate::error::Hint;
use crate::render::{Filter, Identity, PostRenderStrategy, RenderError};

const FILESVC: &str = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: filesvc
  labels:
    app: \"on\"
";

#[test]
fn pod_identity_records_the_role_on_the_service_account() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    check_table(
        &[
            Case {
                name: "a service account of the table",
                input: FILESVC,
                expected: "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: filesvc
  labels:
    app: \"on\"
  annotations:
    smi.dtplatform.io/buckets: kafka,filesvc
    smi.dtplatform.io/role-arn: arn:aws:iam::123456789012:role/dtp-prod-filesvc
    smi.dtplatform.io/cloud-identity: aws-pod-identity
    smi.dtplatform.io/injected-by: identity
",
                changes: &["identity ServiceAccount/filesvc: add /metadata/annotations"],
            },
            Case {
                name: "a service account outside the table is left byte for byte",
                input: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: other # theirs\n",
                expected: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: other # theirs\n",
                changes: &[],
            },
        ],
        || Identity::new(&smi, false, Default::default()).expect("the filter builds"),
    );
}

#[test]
fn irsa_annotates_the_role_and_regional_sts_and_keeps_existing_annotations() {
    let smi = options("values-aws-irsa.yaml", "{}").values.smi;
    let input = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: scriptmanager
  annotations:
    team: platform   # kept
";
    let rendered = render_with(
        Identity::new(&smi, false, Default::default()).expect("builds"),
        input,
    );
    let text = output(&rendered);
    // The comment is kept; a changed document is re-written with one space before it.
    assert!(text.contains("    team: platform # kept\n"), "{text}");
    assert!(
        text.contains("    eks.amazonaws.com/role-arn: arn:aws"),
        "{text}"
    );
    assert!(
        text.contains("    eks.amazonaws.com/sts-regional-endpoints: \"true\"\n"),
        "{text}"
    );
    assert!(
        text.contains("    smi.dtplatform.io/cloud-identity: aws-irsa\n"),
        "{text}"
    );
}

#[test]
fn oke_workload_identity_goes_into_every_container_of_the_pods() {
    let smi = options("values-oci.yaml", "{}").values.smi;
    check_table(
        &[Case {
            name: "init and main containers",
            input: "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: itemsvc
spec:
  template:
    spec:
      serviceAccountName: itemsvc
      initContainers:
        - name: wait
      containers:
        - name: itemsvc
          env:
            - name: MODE
              value: \"yes\"
",
            expected: "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: itemsvc
  annotations:
    smi.dtplatform.io/injected-by: identity
spec:
  template:
    spec:
      serviceAccountName: itemsvc
      initContainers:
        - name: wait
          env:
            - name: OCI_RESOURCE_PRINCIPAL_VERSION
              value: \"2.2\"
            - name: OCI_RESOURCE_PRINCIPAL_REGION
              value: eu-frankfurt-1
      containers:
        - name: itemsvc
          env:
            - name: MODE
              value: \"yes\"
            - name: OCI_RESOURCE_PRINCIPAL_VERSION
              value: \"2.2\"
            - name: OCI_RESOURCE_PRINCIPAL_REGION
              value: eu-frankfurt-1
",
            changes: &[
                "identity Deployment/itemsvc: add /metadata/annotations, add /spec/template/spec/initContainers/0/env, add /spec/template/spec/containers/0/env/1, add /spec/template/spec/containers/0/env/2",
            ],
        }],
        || Identity::new(&smi, false, Default::default()).expect("the filter builds"),
    );
}

#[test]
fn without_an_account_id_the_filter_is_refused_before_any_manifest_is_read() {
    let smi = options("values-aws.yaml", "smi: {cloud: {aws: {accountId: null}}}")
        .values
        .smi;
    let error = Identity::new(&smi, false, Default::default()).expect_err("refused");
    assert!(
        error.to_string().contains("smi.cloud.aws.accountId"),
        "{error}"
    );
}

#[test]
fn missing_service_accounts_warn_or_fail_with_strict() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    // filesvc-migrations belongs to filesvc's service, so the release should hold it too.
    let rendered = render_with(
        Identity::new(&smi, false, Default::default()).expect("builds"),
        FILESVC,
    );
    assert_eq!(rendered.warnings.len(), 1, "{:?}", rendered.warnings);
    assert!(rendered.warnings[0].contains("filesvc-migrations"));
    let filters: Vec<Box<dyn crate::render::Filter>> = vec![Box::new(
        Identity::new(&smi, true, Default::default()).expect("builds"),
    )];
    let error = crate::render::run(&filters, FILESVC.to_owned(), Default::default())
        .expect_err("strict fails");
    assert!(error.to_string().contains("filesvc-migrations"), "{error}");
}

/// The migrations of filesvc as the platform's charts render them: `pre-install,pre-upgrade`
/// hooks, the ServiceAccount before the Job that runs as it.
const FILESVC_MIGRATIONS: &str = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: filesvc-migrations
  annotations:
    \"helm.sh/hook\": pre-install,pre-upgrade
    \"helm.sh/hook-weight\": \"-10\"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: filesvc-migrations
  annotations:
    \"helm.sh/hook\": pre-install,pre-upgrade
    \"helm.sh/hook-weight\": \"-5\"
spec:
  template:
    spec:
      serviceAccountName: filesvc-migrations
";

fn identity(
    example: &str,
    overrides: &str,
    strict: bool,
    strategy: PostRenderStrategy,
) -> Identity {
    let smi = options(example, overrides).values.smi;
    Identity::new(&smi, strict, strategy).expect("the filter builds")
}

fn run_one(filter: Identity, input: &str) -> Result<crate::render::Rendered, RenderError> {
    let filters: Vec<Box<dyn Filter>> = vec![Box::new(filter)];
    crate::render::run(&filters, input.to_owned(), Default::default())
}

/// The stream as Helm 4 hands it over: every document carries its filename annotation.
fn helm4(text: &str) -> String {
    text.replace(
        "kind: ServiceAccount\nmetadata:\n  name: filesvc\n  labels:\n    app: \"on\"\n",
        "kind: ServiceAccount\nmetadata:\n  name: filesvc\n  labels:\n    app: \"on\"\n  annotations:\n    postrenderer.helm.sh/postrender-filename: 'dtplatform/charts/filesvc/templates/serviceaccount.yaml'\n",
    )
}

#[test]
fn a_call_of_hooks_only_judges_only_the_accounts_the_charts_render_as_hooks() {
    // itemsvc-migrations alone: its hook sibling itemsvc-rdbms-migrations is expected, its
    // ordinary siblings (itemsvc, the workers) live in the other call.
    let input = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: itemsvc-migrations
  annotations:
    helm.sh/hook: pre-install
";
    for strict in [false, true] {
        let rendered = run_one(
            identity(
                "values-aws.yaml",
                "{}",
                strict,
                PostRenderStrategy::Combined,
            ),
            FILESVC_MIGRATIONS,
        )
        .expect("a hooks-only call never fails for accounts outside hooks");
        assert_eq!(rendered.warnings, Vec::<String>::new());
    }
    let rendered = run_one(
        identity("values-aws.yaml", "{}", false, PostRenderStrategy::Combined),
        input,
    )
    .expect("warns");
    assert_eq!(rendered.warnings.len(), 1);
    let warning = &rendered.warnings[0];
    assert!(
        warning.contains(": itemsvc-rdbms-migrations.\n"),
        "{warning}"
    );
}

#[test]
fn under_a_declared_separate_no_call_is_checked_and_each_still_wires_what_it_sees() {
    for input in [FILESVC, FILESVC_MIGRATIONS] {
        let rendered = run_one(
            identity("values-aws.yaml", "{}", true, PostRenderStrategy::Separate),
            input,
        )
        .expect("no completeness check");
        assert!(rendered.warnings.is_empty());
        assert!(
            output(&rendered).contains("smi.dtplatform.io/cloud-identity: aws-pod-identity"),
            "{}",
            output(&rendered)
        );
    }
}

#[test]
fn under_nohooks_strict_fails_for_the_accounts_only_hooks_would_have_had() {
    let error = run_one(
        identity("values-aws.yaml", "{}", true, PostRenderStrategy::NoHooks),
        &helm4(FILESVC),
    )
    .expect_err("strict fails");
    assert!(
        matches!(&error, RenderError::MissingServiceAccounts { names, .. } if names == "filesvc-migrations"),
        "{error}"
    );
    let hint = error.hint().expect("a hint");
    assert!(hint.contains("nohooks"), "{hint}");
}

#[test]
fn the_warning_and_hint_name_the_strategy_option_for_helm4_streams_and_helm3_for_helm3_ones() {
    let helm4_stream = helm4(FILESVC);
    assert!(helm4_stream.contains("postrender-filename"));
    for (input, says, never) in [
        (
            helm4_stream.as_str(),
            "--post-render-strategy=separate",
            "Helm 3",
        ),
        (
            FILESVC,
            "Helm 3 does not post-render hooks",
            "--post-render-strategy",
        ),
    ] {
        let rendered = run_one(
            identity("values-aws.yaml", "{}", false, PostRenderStrategy::Combined),
            input,
        )
        .expect("warns");
        let warning = &rendered.warnings[0];
        assert!(
            warning.contains(says) && !warning.contains(never),
            "{warning}"
        );
        let error = run_one(
            identity("values-aws.yaml", "{}", true, PostRenderStrategy::Combined),
            input,
        )
        .expect_err("strict fails");
        let hint = error.hint().expect("a hint");
        assert!(
            hint.contains(says.trim_end_matches(" does not post-render hooks")),
            "{hint}"
        );
        assert!(!hint.contains(never), "{hint}");
    }
}

#[test]
fn the_ack_association_of_a_hook_account_is_a_hook_before_the_hooks_that_use_it() {
    let ack = "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}";
    let input = format!("{FILESVC_MIGRATIONS}---\n{FILESVC}");
    let rendered = run_one(
        identity("values-aws.yaml", ack, false, PostRenderStrategy::Combined),
        &input,
    )
    .expect("renders");
    let text = output(&rendered);
    let added = &text[text.find("# Source: kubectl-smi/").expect("added objects")..];
    assert_eq!(
        added,
        "\
# Source: kubectl-smi/identity/filesvc-migrations.yaml
apiVersion: eks.services.k8s.aws/v1alpha1
kind: PodIdentityAssociation
metadata:
  name: filesvc-migrations
  namespace: prod
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: \"-11\"
    helm.sh/hook-delete-policy: before-hook-creation
    smi.dtplatform.io/injected-by: identity
spec:
  clusterName: dtp-prod
  namespace: prod
  serviceAccount: filesvc-migrations
  roleARN: arn:aws:iam::123456789012:role/dtp-prod-filesvc-migrations
---
# Source: kubectl-smi/identity/filesvc.yaml
apiVersion: eks.services.k8s.aws/v1alpha1
kind: PodIdentityAssociation
metadata:
  name: filesvc
  namespace: prod
  annotations:
    smi.dtplatform.io/injected-by: identity
spec:
  clusterName: dtp-prod
  namespace: prod
  serviceAccount: filesvc
  roleARN: arn:aws:iam::123456789012:role/dtp-prod-filesvc
"
    );
    let reasons: Vec<&str> = rendered.changes.iter().map(|c| c.reason.as_str()).collect();
    assert!(
        reasons.contains(&"EKS Pod Identity association for filesvc-migrations (ACK), a pre-install,pre-upgrade hook of weight -11 so that it precedes the hooks that run as filesvc-migrations"),
        "{reasons:?}"
    );
}

#[test]
fn each_call_of_separate_adds_the_associations_of_the_accounts_it_holds() {
    let ack = "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}";
    let added = |input: &str| -> Vec<String> {
        let rendered = run_one(
            identity("values-aws.yaml", ack, false, PostRenderStrategy::Separate),
            input,
        )
        .expect("renders");
        rendered
            .changes
            .iter()
            .filter(|c| c.document.is_none())
            .map(|c| c.object.clone())
            .collect()
    };
    assert_eq!(
        added(FILESVC_MIGRATIONS),
        ["PodIdentityAssociation/prod/filesvc-migrations"]
    );
    assert_eq!(added(FILESVC), ["PodIdentityAssociation/prod/filesvc"]);
}

/// A service account of the table in `namespace`.
fn filesvc_in(namespace: &str) -> String {
    FILESVC.replacen(
        "  name: filesvc\n",
        &format!("  name: filesvc\n  namespace: {namespace}\n"),
        1,
    )
}

#[test]
fn the_ack_association_and_its_namespace_are_the_values_namespace_which_the_account_may_state() {
    let ack = "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}";
    let rendered = run_one(
        identity("values-aws.yaml", ack, false, PostRenderStrategy::Combined),
        &filesvc_in("prod"),
    )
    .expect("the account is in the values' namespace");
    let text = output(&rendered);
    assert!(
        text.contains(
            "kind: PodIdentityAssociation\nmetadata:\n  name: filesvc\n  namespace: prod\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  namespace: prod\n  serviceAccount: filesvc\n"),
        "{text}"
    );
    assert_eq!(
        changes(&rendered),
        [
            "identity ServiceAccount/prod/filesvc: add /metadata/annotations",
            "identity PodIdentityAssociation/prod/filesvc: add ",
        ]
    );
}

#[test]
fn an_account_of_the_table_or_its_pods_in_another_namespace_are_refused_for_every_identity() {
    let deployment_in_staging = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: itemsvc
  namespace: staging
spec:
  template:
    spec:
      serviceAccountName: itemsvc
";
    let hook_in_staging = format!(
        "{}  annotations:\n    helm.sh/hook: pre-install\n",
        filesvc_in("staging").replace("  labels:\n    app: \"on\"\n", "")
    );
    let account = filesvc_in("staging");
    let cases = [
        Refusal {
            name: "a ServiceAccount of the table",
            input: &account,
            says: &[
                "ServiceAccount/staging/filesvc is in namespace staging, but the values put the platform in ",
                "its cloud identity (role trust, Pod Identity association, OCI policies) is for ",
                "set smi.namespace: staging",
            ],
        },
        Refusal {
            name: "a hook ServiceAccount of the table",
            input: &hook_in_staging,
            says: &["ServiceAccount/staging/filesvc is in namespace staging"],
        },
        Refusal {
            name: "pods that run as an account of the table",
            input: deployment_in_staging,
            says: &[
                "Deployment/staging/itemsvc is in namespace staging",
                "its pods run as itemsvc, whose cloud identity is for ",
            ],
        },
    ];
    for (example, overrides, namespace) in [
        ("values-aws.yaml", "{}", "prod"),
        (
            "values-aws.yaml",
            "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}",
            "prod",
        ),
        ("values-aws-irsa.yaml", "{}", "dtp-irsa"),
        ("values-oci.yaml", "{}", "dtp"),
    ] {
        check_refusals(&cases, || {
            identity(example, overrides, false, PostRenderStrategy::Combined)
        });
        let rendered = run_one(
            identity(example, overrides, false, PostRenderStrategy::Combined),
            &filesvc_in("staging"),
        );
        let Err(error) = rendered else {
            panic!("{example} {overrides}: refused");
        };
        assert!(
            error
                .to_string()
                .contains(&format!("the values put the platform in {namespace} (smi.namespace): its cloud identity (role trust, Pod Identity association, OCI policies) is for {namespace}/filesvc")),
            "{error}"
        );
    }
    let other =
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: other\n  namespace: staging\n";
    let rendered = run_one(
        identity("values-aws.yaml", "{}", false, PostRenderStrategy::Combined),
        other,
    )
    .expect("an account outside the table is not keyed on");
    assert_eq!(output(&rendered), other);
}

/// filesvc's Deployment running as an account whose ServiceAccount object the chart does not
/// render (its pods are post-rendered, the account is not).
const FILESVC_POD_ONLY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: filesvc
spec:
  template:
    spec:
      serviceAccountName: filesvc
";

#[test]
fn the_missing_account_warning_says_what_is_lost_and_what_to_do_for_each_identity_and_helm_form() {
    // (values, what the identity loses when the hooks are not post-rendered, what to do,
    // what it must never say)
    let cases = [
        (
            "values-aws-irsa.yaml",
            "AWS identity: lost, their pods get no AWS credentials",
            "eks.amazonaws.com/role-arn (and eks.amazonaws.com/sts-regional-endpoints: \"true\"): filesvc-migrations: arn:aws:iam::210987654321:role/dtp-staging-filesvc-migrations",
            "OCI_RESOURCE_PRINCIPAL",
        ),
        (
            "values-aws.yaml",
            "AWS identity: nothing lost as long as the EKS Pod Identity associations exist",
            "`kubectl smi policies --apply` creates them",
            "eks.amazonaws.com/role-arn",
        ),
        (
            "values-oci.yaml",
            "OKE workload identity needs no ServiceAccount annotation but the OCI SDK needs OCI_RESOURCE_PRINCIPAL_VERSION=2.2 and OCI_RESOURCE_PRINCIPAL_REGION=eu-frankfurt-1",
            "give every container of their pods the environment OCI_RESOURCE_PRINCIPAL_VERSION=2.2 and OCI_RESOURCE_PRINCIPAL_REGION=eu-frankfurt-1",
            "annotate",
        ),
    ];
    for (values, lost, to_do, never) in cases {
        // Helm 3, and Helm 4 under nohooks: the migrations' Jobs lose their secrets too.
        for (input, strategy, form) in [
            (
                FILESVC.to_owned(),
                PostRenderStrategy::Combined,
                "install with Helm 4",
            ),
            (
                helm4(FILESVC),
                PostRenderStrategy::NoHooks,
                "use the combined or separate post-render strategy",
            ),
        ] {
            let rendered = run_one(identity(values, "{}", false, strategy), &input).expect("warns");
            assert_eq!(rendered.warnings.len(), 1, "{values}");
            let warning = &rendered.warnings[0];
            for says in [
                lost,
                to_do,
                form,
                "the Jobs that run as them (the database migrations) never reach kubectl-smi",
                "so they get no secret references (filesvc-migrations: smi-mongodb, smi-kafka, smi-data-encryption)",
                "give their pods the secrets listed above",
            ] {
                assert!(
                    warning.contains(says),
                    "{values}: {says:?} not in {warning}"
                );
            }
            assert!(!warning.contains(never), "{values}: {never:?} in {warning}");
            assert!(
                !warning.contains("set the annotations"),
                "{values}: {warning}"
            );
            // --strict's hint gives the same advice.
            let error =
                run_one(identity(values, "{}", true, strategy), &input).expect_err("strict fails");
            let hint = error.hint().expect("a hint");
            assert!(hint.contains(to_do), "{values}: {hint}");
        }
    }
}

#[test]
fn an_account_whose_pods_were_post_rendered_loses_only_what_its_service_account_carries() {
    for (values, lost, to_do) in [
        (
            "values-aws-irsa.yaml",
            "AWS identity: lost",
            Some(
                "for filesvc, whoever creates the ServiceAccount: in the chart's values, annotate each ServiceAccount with eks.amazonaws.com/role-arn (and eks.amazonaws.com/sts-regional-endpoints: \"true\"): filesvc: arn:aws:iam::210987654321:role/dtp-staging-filesvc.",
            ),
        ),
        (
            "values-aws.yaml",
            "AWS identity: nothing lost as long as the EKS Pod Identity associations exist",
            Some(
                "for filesvc, whoever creates the ServiceAccount: in the chart's values, make sure their EKS Pod Identity associations exist: `kubectl smi policies --apply` creates them",
            ),
        ),
        ("values-oci.yaml", "OCI identity: nothing lost", None),
    ] {
        let rendered = run_one(
            identity(values, "{}", false, PostRenderStrategy::Combined),
            FILESVC_POD_ONLY,
        )
        .expect("warns");
        let warning = rendered
            .warnings
            .iter()
            .find(|w| w.contains("filesvc: the pods that run as it were post-rendered, but not the ServiceAccount object; "))
            .unwrap_or_else(|| panic!("{values}: {:?}", rendered.warnings));
        let about_filesvc = &warning[warning.find("filesvc: the pods").unwrap()..];
        assert!(about_filesvc.contains(lost), "{values}: {warning}");
        match to_do {
            Some(to_do) => assert!(warning.contains(to_do), "{values}: {warning}"),
            None => assert!(!warning.contains("for filesvc,"), "{values}: {warning}"),
        }
    }
}

#[test]
fn explain_says_who_makes_the_pod_identity_association_never_that_render_made_it() {
    for (overrides, maker) in [
        (
            "{}",
            "made by `kubectl smi policies --apply` (or Terraform)",
        ),
        (
            "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}",
            "made by `kubectl smi policies --apply` or the ACK PodIdentityAssociation render adds",
        ),
    ] {
        let rendered = run_one(
            identity(
                "values-aws.yaml",
                overrides,
                false,
                PostRenderStrategy::Combined,
            ),
            FILESVC,
        )
        .expect("renders");
        let reason = &rendered
            .changes
            .iter()
            .find(|c| c.reason.starts_with("EKS Pod Identity"))
            .expect("the service account's change")
            .reason;
        assert!(
            reason.starts_with("EKS Pod Identity: role arn:aws:iam::123456789012:role/dtp-prod-filesvc recorded in smi.dtplatform.io/role-arn; the association itself is ")
                && reason.contains(maker)
                && !reason.contains("associated with"),
            "{reason}"
        );
    }
}
