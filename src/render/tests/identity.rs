//! The identity filter: each service account of the guide's table gets its cloud identity.

use super::{Case, check_table, options, output, render_with};
use crate::render::Identity;

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
        || Identity::new(&smi, false).expect("the filter builds"),
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
    let rendered = render_with(Identity::new(&smi, false).expect("builds"), input);
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
        || Identity::new(&smi, false).expect("the filter builds"),
    );
}

#[test]
fn without_an_account_id_the_filter_is_refused_before_any_manifest_is_read() {
    let smi = options("values-aws.yaml", "smi: {cloud: {aws: {accountId: null}}}")
        .values
        .smi;
    let error = Identity::new(&smi, false).expect_err("refused");
    assert!(
        error.to_string().contains("smi.cloud.aws.accountId"),
        "{error}"
    );
}

#[test]
fn missing_service_accounts_warn_or_fail_with_strict() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    // filesvc-migrations belongs to filesvc's service, so the release should hold it too.
    let rendered = render_with(Identity::new(&smi, false).expect("builds"), FILESVC);
    assert_eq!(rendered.warnings.len(), 1, "{:?}", rendered.warnings);
    assert!(rendered.warnings[0].contains("filesvc-migrations"));
    let filters: Vec<Box<dyn crate::render::Filter>> =
        vec![Box::new(Identity::new(&smi, true).expect("builds"))];
    let error = crate::render::run(&filters, FILESVC.to_owned(), Default::default())
        .expect_err("strict fails");
    assert!(error.to_string().contains("filesvc-migrations"), "{error}");
}
