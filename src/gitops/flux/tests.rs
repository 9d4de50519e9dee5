//! The Flux export in process: targets, patch bodies, `kind: List` items, added objects, and
//! --check, with small filters written here.

use serde_json::{Value, json};

use super::patch::{regex_escape, regex_unescape, split_metadata_maps};
use super::*;
use crate::render::{Context, Filter, RenderError};
use crate::stream::{Layout, Limits, Node, Stream, emit};

/// Annotates every ConfigMap (whole documents and List items) with `touched: "yes"`, and
/// puts `/data/added` on the one named `a`.
struct Touch;

impl Filter for Touch {
    fn name(&self) -> &'static str {
        "touch"
    }
    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        for object in stream.objects() {
            if stream.header(object).kind != "ConfigMap" {
                continue;
            }
            let is_a = stream.header(object).name.as_deref() == Some("a");
            cx.change(stream, object, "touched", |o| {
                let path = |p: &[&str]| p.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
                o.set(&path(&["metadata", "annotations", "touched"]), json!("yes"));
                if is_a {
                    o.set(&path(&["data", "added"]), json!("1"));
                }
            })?;
        }
        Ok(())
    }
}

/// Adds a ServiceMonitor.
struct AddOne;

impl Filter for AddOne {
    fn name(&self) -> &'static str {
        "add-one"
    }
    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        cx.add_or_update(
            stream,
            "added",
            json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "sm", "namespace": "monitoring"},
                "spec": {"endpoints": [{"port": "http"}]},
            }),
        )
    }
}

const STREAM: &str = "\
---
# Source: chart/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    keep: me
data:
  x: \"1\"
---
# Source: chart/templates/list.yaml
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: s
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: b.c
";

fn filters() -> Vec<Box<dyn Filter>> {
    vec![Box::new(Touch), Box::new(AddOne)]
}

#[test]
fn names_are_escaped_as_kustomize_compiles_selectors_and_read_back_exactly() {
    for (name, escaped) in [
        ("plain-name", "plain-name"),
        ("dotted.name", "dotted\\.name"),
        ("a+b(c)", "a\\+b\\(c\\)"),
    ] {
        assert_eq!(regex_escape(name), escaped);
        assert_eq!(regex_unescape(escaped).as_deref(), Some(name));
    }
    for pattern in ["a.*", "x|y", "^a$", "trailing\\"] {
        assert_eq!(
            regex_unescape(pattern),
            None,
            "{pattern} selects more than one name"
        );
    }
}

#[test]
fn a_target_without_group_or_namespace_selects_any_as_kustomize_does() {
    let object = |api: &str, ns: Option<&str>| {
        let mut o = json!({"apiVersion": api, "kind": "Deployment", "metadata": {"name": "d"}});
        if let Some(ns) = ns {
            o["metadata"]["namespace"] = json!(ns);
        }
        o
    };
    let target = Target::of(&object("apps/v1", None)).unwrap();
    assert!(target.selects(&object("apps/v1", None)));
    assert!(target.selects(&object("apps/v1", Some("prod"))));
    assert!(!target.selects(&object("apps/v2", None)));
    let namespaced = Target::of(&object("apps/v1", Some("prod"))).unwrap();
    assert!(!namespaced.selects(&object("apps/v1", Some("dev"))));
    assert!(!namespaced.selects(&object("apps/v1", None)));
    let core = Target::of(&object("v1", None)).unwrap();
    assert_eq!(core.group, "");
    assert!(core.selects(&object("example.com/v1", None)));
}

#[test]
fn a_whole_new_annotations_map_becomes_a_merge_and_the_rest_stays_rfc_6902() {
    let ops: Vec<json_patch::PatchOperation> = serde_json::from_value(json!([
        {"op": "add", "path": "/metadata/annotations", "value": {"k": "v"}},
        {"op": "add", "path": "/metadata/labels/x", "value": "y"},
        {"op": "replace", "path": "/spec/replicas", "value": 2},
    ]))
    .unwrap();
    let bodies = split_metadata_maps(ops);
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[0],
        PatchBody::StrategicMerge(json!({"metadata": {"annotations": {"k": "v"}}}))
    );
    let PatchBody::Json6902(rest) = &bodies[1] else {
        panic!("{bodies:?}")
    };
    assert_eq!(rest.len(), 2);
}

#[test]
fn list_items_are_targeted_one_by_one_and_added_objects_become_documents() {
    let export = export(&filters(), STREAM.to_owned(), Limits::default()).unwrap();
    let targets: Vec<String> = export.patches.iter().map(|p| p.target.display()).collect();
    assert_eq!(targets, ["ConfigMap/a", "ConfigMap/b.c"]);
    // b.c (a List item) had no annotations: its one change is a merge of the new map.
    assert!(matches!(
        export.patches[1].body,
        PatchBody::StrategicMerge(_)
    ));
    let PatchBody::Json6902(ops) = &export.patches[0].body else {
        panic!("{:?}", export.patches[0])
    };
    let paths: Vec<String> = ops.iter().map(|op| op.path().to_string()).collect();
    assert!(paths.contains(&"/data/added".to_owned()), "{paths:?}");
    assert_eq!(export.added.len(), 1);
    assert_eq!(export.added[0]["kind"], "ServiceMonitor");
}

#[test]
fn two_objects_one_target_would_select_are_refused() {
    let stream = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: other
";
    let error = export(&filters(), stream.to_owned(), Limits::default()).unwrap_err();
    assert!(error.to_string().contains("selects 2 objects"), "{error}");
}

fn export_text(stream: &str) -> String {
    let export = export(&filters(), stream.to_owned(), Limits::default()).unwrap();
    let options = FluxOptions {
        release: "dtplatform".into(),
        flux_namespace: "flux-system".into(),
        target_namespace: "prod".into(),
        strategy: PostRenderStrategy::Combined,
        kustomization: KustomizationOptions {
            name: "dtplatform-added".into(),
            path: "./added".into(),
            source: ("GitRepository".into(), "flux-system".into()),
            depends_on: vec!["crds".into()],
        },
    };
    documents(&export, &options)
        .iter()
        .map(|d| format!("---\n{}", emit(&Node::from_json(d), Layout::default())))
        .collect()
}

#[test]
fn the_documents_carry_the_strategy_the_patches_and_the_kustomization() {
    let text = export_text(STREAM);
    let mut stream = Stream::parse(text, Limits::default()).unwrap();
    let docs: Vec<Value> = stream
        .objects()
        .into_iter()
        .map(|o| stream.json(o).unwrap())
        .collect();
    assert_eq!(docs[0]["spec"]["postRenderStrategy"], "combined");
    let patches = &docs[0]["spec"]["postRenderers"][0]["kustomize"]["patches"];
    assert_eq!(patches[1]["target"]["name"], "b\\.c");
    assert_eq!(docs[1]["spec"]["dependsOn"][0]["name"], "crds");
    assert_eq!(docs[2]["kind"], "ServiceMonitor");
}

#[test]
fn check_holds_on_the_same_stream_and_fails_when_an_object_moved() {
    let text = export_text(STREAM);
    let existing = read_export("export.yaml", text, Limits::default()).unwrap();
    let same = check(&existing, &filters(), STREAM.to_owned(), Limits::default()).unwrap();
    assert!(same.problems.is_empty(), "{:?}", same.problems);
    assert_eq!(same.patches, 2);

    let renamed = STREAM.replace("name: a\n", "name: a2\n");
    let report = check(&existing, &filters(), renamed, Limits::default()).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("selects no object")),
        "{:?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("ConfigMap/a2 differs")),
        "{:?}",
        report.problems
    );
}

#[test]
fn an_export_without_a_helm_release_is_refused() {
    let error = read_export(
        "x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n".into(),
        Limits::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("no HelmRelease"), "{error}");
}
