//! Fields recorded by the scan (`Stream::parse_recording`, `Stream::pointer`) read exactly
//! what the document's JSON view holds, on tricky YAML and on real-world streams, and
//! reading them builds no tree.

use kubectl_smi::stream::{Field, Fields, Limits, Stream};

use crate::support::{example, shared_data};

const WANTED: &[&str] = &[
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
    "/metadata/labels",
    "/metadata/annotations/a~1b",
    "/metadata/annotations/t~0x",
    "/spec/type",
    "/spec/selector",
    "/spec/ports/1/name",
    "/spec/ports/01",
    "/spec/template/metadata/labels",
    "/spec/template/spec/serviceAccountName",
    "/spec/template/spec/serviceAccount",
    "/spec/template/spec/containers",
    "/spec/jobTemplate/spec/template/spec/serviceAccountName",
    "/true",
    "/null",
    "/1",
    "/<<",
    "/data",
    "/rules",
    "/items",
];

/// Wanted pointers, longer ones answered from them, and ones no recorded value holds.
const ASKED: &[&str] = &[
    "/metadata/labels/app",
    "/metadata/labels/true",
    "/metadata/labels/a~1b",
    "/spec/template/spec/containers/0/image",
    "/spec/template/spec/containers/1",
    "/spec/ports/1",
    "/spec/ports/1/name/x",
    "/spec",
    "/metadata",
    "",
    "kind",
    "/data/config.yaml",
    "/rules/0/apiGroups",
    "/items/0/kind",
];

const TRICKY: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: a, labels: {x: "1", on: yes, 010: octal, "quoted": q, a/b: s, "": e}}
spec:
  type: LoadBalancer
  type: ClusterIP
true: first
on: second
1: one
~: nothing
<<: {merged: no}
---
# Source: chart/templates/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: s
  annotations:
    a/b: slash
    t~x: tilde
spec: {selector: {app: a}, ports: [{name: p0}, {name: p1, port: 80}]}
spec:
  other: 1
---
apiVersion: v1
kind: Service
metadata:
  name: s2
spec:
  ports:
  - name: p0
  - name: 'p1'
    port: 0x1F
  - name: "p2"
  selector:
    app: >-
      folded
      text
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: aliased
  labels: &l {app: w}
  annotations: *l
spec:
  template:
    metadata:
      labels: *l
    spec:
      serviceAccountName: sa
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tagged
spec:
  template:
    spec:
      serviceAccountName: !!str 123
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: complex-key
  labels:
    ? [a, b]
    : c
    d: e
spec:
  template:
    spec:
      serviceAccount: old
      serviceAccountName:
      containers:
        - name: app
          image: example/app:1
          env: [{name: A, value: "on"}]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cron
spec:
  jobTemplate:
    spec:
      template:
        metadata:
          labels:
            app: cron
        spec:
          serviceAccountName: |
            multi
            line
---
? apiVersion
: v1
? kind
: Secret
metadata:
  name: explicit
  namespace: "ns"
data:
  config.yaml: |
    a: b
  empty:
  flow: {a, b: }
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata: {name: item}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: r
rules:
  - apiGroups: [""]
    resources: [pods]
  - &rule {apiGroups: [apps], verbs: [get]}
...
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after-end
  labels:
    plain key with spaces: v
data:
  "quoted\tkey": "escaped \u00e9"
  'single ''quoted''': x
---
spec:
  selector: {app: late}
  type: NodePort
apiVersion: v1
kind: Service
---
apiVersion: v1
kind: Service
spec:
  selector: {app: first}
kind: ConfigMap
---
apiVersion: v1
kind: ConfigMap
spec:
  selector: {app: skipped}
kind: Service
"#;

fn check(name: &str, text: &str) {
    let mut plain = Stream::parse(text.to_owned(), Limits::default()).expect("parses");
    let mut recording = Stream::parse_recording(
        text.to_owned(),
        Limits::default(),
        Fields::new(WANTED.iter().copied()),
    )
    .expect("parses");
    // The same fields wanted only in some kinds (documents of other kinds read the tree).
    let mut by_kind = Stream::parse_recording(
        text.to_owned(),
        Limits::default(),
        Fields::new(
            WANTED
                .iter()
                .map(|p| Field::of_kinds(&["Service", "Deployment", "CronJob"], *p)),
        ),
    )
    .expect("parses");
    for object in plain.objects() {
        let json = plain.json(object).expect("the document reads");
        for pointer in WANTED.iter().chain(ASKED) {
            for (how, stream) in [("all kinds", &mut recording), ("by kind", &mut by_kind)] {
                let got = stream.pointer(object, pointer).expect("reads");
                assert_eq!(
                    got.as_ref(),
                    json.pointer(pointer),
                    "{name}, document {} ({how}): {pointer}",
                    object.document + 1
                );
            }
        }
    }
}

#[test]
fn recorded_fields_read_what_the_json_view_holds() {
    check("tricky", TRICKY);
    for file in ["rendered-helm3.yaml", "rendered-helm4.yaml"] {
        let text = std::fs::read_to_string(example(file)).unwrap();
        check(file, &text);
    }
}

#[test]
fn recorded_fields_on_real_world_streams() {
    let Some(dir) = shared_data("corpora") else {
        return;
    };
    for sub in [dir.clone(), dir.join("kube-prometheus")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                check(&path.display().to_string(), &text);
            }
        }
    }
}

#[test]
fn reading_recorded_fields_builds_no_tree() {
    let text = std::fs::read_to_string(example("rendered-helm4.yaml")).unwrap();
    let mut stream =
        Stream::parse_recording(text, Limits::default(), Fields::new(WANTED.iter().copied()))
            .unwrap();
    for object in stream.objects() {
        for pointer in WANTED {
            stream.pointer(object, pointer).unwrap();
        }
    }
    assert_eq!(stream.trees_built(), 0);
    // A pointer no recorded value holds is read from the tree.
    let first = stream.objects()[0];
    stream.pointer(first, "/spec").unwrap();
    assert_eq!(stream.trees_built(), 1);
}
