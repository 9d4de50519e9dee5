//! The overlays filter: JSON patches with a target, from the values and overlay files.

use super::{Case, check_table, options};
use crate::render::{Filter, Overlays, run};

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP # chart default\n";

#[test]
fn an_inline_overlay_patches_its_target_only() {
    let options = options(
        "values-aws.yaml",
        "smi:\n  overlays:\n    defaults: false\n    patches:\n      - target: {kind: Service, name: web}\n        patch:\n          - {op: replace, path: /spec/type, value: NodePort}\n",
    );
    check_table(
        &[Case {
            name: "replace keeps the rest of the document as written",
            input: SERVICE,
            expected: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    smi.dtplatform.io/injected-by: overlays\nspec:\n  type: NodePort # chart default\n",
            changes: &["overlays Service/web: add /metadata/annotations, replace /spec/type"],
        }],
        || Overlays::load(&options).expect("the overlays load"),
    );
}

#[test]
fn an_overlay_whose_target_matches_nothing_is_an_error_unless_optional() {
    let patch = |optional: bool| {
        format!(
            "smi:\n  overlays:\n    defaults: false\n    patches:\n      - target: {{kind: Service, name: other}}\n        optional: {optional}\n        patch: [{{op: remove, path: /spec/type}}]\n"
        )
    };
    let strict = options("values-aws.yaml", &patch(false));
    let filters: Vec<Box<dyn Filter>> = vec![Box::new(Overlays::load(&strict).expect("loads"))];
    let error = run(&filters, SERVICE.to_owned(), Default::default()).expect_err("refused");
    assert!(error.to_string().contains("matches no object"), "{error}");
    let optional = options("values-aws.yaml", &patch(true));
    check_table(
        &[Case {
            name: "optional",
            input: SERVICE,
            expected: SERVICE,
            changes: &[],
        }],
        || Overlays::load(&optional).expect("loads"),
    );
}
