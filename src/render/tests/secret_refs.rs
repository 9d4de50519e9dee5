//! The secret-refs filter: workloads receive the catalog's secrets of their service account.

use super::{Case, Refusal, check_refusals, check_table, options};
use crate::render::SecretRefs;

#[test]
fn workloads_receive_the_secrets_of_their_service_account_once() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    check_table(
        &[
            Case {
                name: "a secret the chart already references is not added twice",
                input: "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: aisvc
spec:
  template:
    spec:
      serviceAccountName: aisvc
      containers:
        - name: aisvc
          envFrom:
            - secretRef:
                name: smi-kafka
",
                expected: "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: aisvc
  annotations:
    smi.dtplatform.io/injected-by: secret-refs
spec:
  template:
    spec:
      serviceAccountName: aisvc
      containers:
        - name: aisvc
          envFrom:
            - secretRef:
                name: smi-kafka
            - secretRef:
                name: smi-mongodb
",
                changes: &[
                    "secret-refs Deployment/aisvc: add /metadata/annotations, add /spec/template/spec/containers/0/envFrom/1",
                ],
            },
            Case {
                name: "a key taken one by one counts as referenced",
                input: "\
apiVersion: batch/v1
kind: Job
metadata:
  name: m
spec:
  template:
    spec:
      serviceAccountName: filesvc-migrations
      containers:
        - name: m
          env:
            - name: MONGO
              valueFrom: {secretKeyRef: {name: smi-mongodb, key: uri}}
            - name: KAFKA
              valueFrom: {secretKeyRef: {name: smi-kafka, key: password}}
            - name: KEY
              valueFrom: {secretKeyRef: {name: smi-data-encryption, key: primary}}
",
                expected: "\
apiVersion: batch/v1
kind: Job
metadata:
  name: m
spec:
  template:
    spec:
      serviceAccountName: filesvc-migrations
      containers:
        - name: m
          env:
            - name: MONGO
              valueFrom: {secretKeyRef: {name: smi-mongodb, key: uri}}
            - name: KAFKA
              valueFrom: {secretKeyRef: {name: smi-kafka, key: password}}
            - name: KEY
              valueFrom: {secretKeyRef: {name: smi-data-encryption, key: primary}}
",
                changes: &[],
            },
            Case {
                name: "the default service account receives nothing",
                input: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers: [{name: x}]\n",
                expected: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers: [{name: x}]\n",
                changes: &[],
            },
        ],
        || SecretRefs::new(&smi).expect("the filter builds"),
    );
}

#[test]
fn a_secret_with_a_mount_path_becomes_a_read_only_volume() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    check_table(
        &[Case {
            name: "the identity signing key of passportsvc (CronJob)",
            input: "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: rotate
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: passportsvc
          containers:
            - name: rotate
              envFrom:
                - secretRef: {name: smi-postgresql}
                - secretRef: {name: smi-redis}
                - secretRef: {name: smi-kafka}
                - secretRef: {name: smi-session}
",
            expected: "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: rotate
  annotations:
    smi.dtplatform.io/injected-by: secret-refs
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: passportsvc
          containers:
            - name: rotate
              envFrom:
                - secretRef:
                    name: smi-postgresql
                - secretRef:
                    name: smi-redis
                - secretRef:
                    name: smi-kafka
                - secretRef:
                    name: smi-session
              volumeMounts:
                - name: smi-identity-signing
                  mountPath: /etc/smi/identity
                  readOnly: true
          volumes:
            - name: smi-identity-signing
              secret:
                secretName: smi-identity-signing
",
            changes: &[
                "secret-refs CronJob/rotate: add /metadata/annotations, add /spec/jobTemplate/spec/template/spec/containers/0/volumeMounts, add /spec/jobTemplate/spec/template/spec/volumes",
            ],
        }],
        || SecretRefs::new(&smi).expect("the filter builds"),
    );
}

/// A Deployment in staging whose pods run as `aisvc`, which receives smi-kafka and smi-mongodb.
const AISVC_IN_STAGING: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: w
  namespace: staging
spec:
  template:
    spec:
      serviceAccountName: aisvc
      containers:
        - name: w
";

#[test]
fn a_workload_receiving_secrets_may_state_the_values_namespace_but_not_another() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let receives_nothing = AISVC_IN_STAGING.replace("aisvc", "scriptworker");
    check_table(
        &[Case {
            name: "in the values' namespace",
            input: "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: w
  namespace: prod
spec:
  template:
    spec:
      serviceAccountName: aisvc
      containers:
        - name: w
",
            expected: "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: w
  namespace: prod
  annotations:
    smi.dtplatform.io/injected-by: secret-refs
spec:
  template:
    spec:
      serviceAccountName: aisvc
      containers:
        - name: w
          envFrom:
            - secretRef:
                name: smi-mongodb
            - secretRef:
                name: smi-kafka
",
            changes: &[
                "secret-refs Deployment/prod/w: add /metadata/annotations, add /spec/template/spec/containers/0/envFrom",
            ],
        }],
        || SecretRefs::new(&smi).expect("the filter builds"),
    );
    let untouched = super::render_with(
        SecretRefs::new(&smi).expect("the filter builds"),
        &receives_nothing,
    );
    assert_eq!(
        super::output(&untouched),
        receives_nothing,
        "elsewhere, receiving nothing: not keyed on"
    );
    check_refusals(
        &[Refusal {
            name: "in another namespace",
            input: AISVC_IN_STAGING,
            says: &[
                "Deployment/staging/w is in namespace staging, but the values put the platform in prod (smi.namespace)",
                "its pods run as aisvc and would reference smi-mongodb, smi-kafka, which `kubectl smi secrets create` puts in prod",
            ],
        }],
        || SecretRefs::new(&smi).expect("the filter builds"),
    );
}
