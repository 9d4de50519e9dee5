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

/// A Service of type LoadBalancer named mqtt, whose chart wrote these annotations and spec
/// lines (each indented for its place).
macro_rules! load_balancer {
    ($annotations:literal, $spec:literal) => {
        concat!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: mqtt\n",
            $annotations,
            "spec:\n  type: LoadBalancer\n",
            $spec
        )
    };
}

/// A chart's Service that chose its exposure or type comes out as it went in.
fn kept(name: &'static str, input: &'static str) -> Case {
    Case {
        name,
        input,
        expected: input,
        changes: &[],
    }
}

#[test]
fn on_aws_the_defaults_leave_a_load_balancer_whose_chart_chose_exposure_or_type_alone() {
    let options = options("values-aws.yaml", "{}");
    check_table(
        &[
            kept(
                "scheme internal (issue 13's Service) is kept, type and target type not added",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\n",
                    "  selector: {app.kubernetes.io/name: dtplatform-itemsvc}\n"
                ),
            ),
            kept(
                "scheme internal alone is kept",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\n",
                    ""
                ),
            ),
            kept(
                "the legacy internal \"true\" is kept and no scheme is added (the controller would read the scheme first)",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"\n",
                    ""
                ),
            ),
            kept(
                "the in-tree provider's legacy internal CIDR form is kept",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-internal: 0.0.0.0/0\n",
                    ""
                ),
            ),
            kept(
                "a loadBalancerClass set by the chart is kept, nothing added",
                load_balancer!("", "  loadBalancerClass: service.k8s.aws/nlb\n"),
            ),
            kept(
                "the in-tree nlb type set by the chart is not switched to external",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: nlb\n",
                    ""
                ),
            ),
            kept(
                "the deprecated nlb-ip type is kept",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: nlb-ip\n",
                    ""
                ),
            ),
            kept(
                "the defaults' own output is kept: rendering twice changes nothing",
                load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n    smi.dtplatform.io/injected-by: overlays\n",
                    ""
                ),
            ),
            Case {
                name: "nothing chosen: smi.loadBalancer.scheme decides (internet-facing when absent)",
                input: load_balancer!("", ""),
                expected: load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n    smi.dtplatform.io/injected-by: overlays\n",
                    ""
                ),
                changes: &["overlays Service/mqtt: add /metadata/annotations"],
            },
            Case {
                name: "a target type set by the chart is not replaced",
                input: load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n",
                    ""
                ),
                expected: load_balancer!(
                    "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n    smi.dtplatform.io/injected-by: overlays\n",
                    ""
                ),
                changes: &[
                    "overlays Service/mqtt: add /metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-type, add /metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-scheme, add /metadata/annotations/smi.dtplatform.io~1injected-by",
                ],
            },
        ],
        || Overlays::load(&options).expect("the overlays load"),
    );
}

#[test]
fn on_aws_smi_load_balancer_scheme_internal_makes_the_default_internal() {
    let options = options("values-aws.yaml", "smi: {loadBalancer: {scheme: internal}}");
    check_table(
        &[Case {
            name: "nothing chosen, scheme internal",
            input: load_balancer!("", ""),
            expected: load_balancer!(
                "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\n    smi.dtplatform.io/injected-by: overlays\n",
                ""
            ),
            changes: &["overlays Service/mqtt: add /metadata/annotations"],
        }],
        || Overlays::load(&options).expect("the overlays load"),
    );
}

#[test]
fn on_oci_the_defaults_leave_a_load_balancer_whose_chart_chose_exposure_or_type_alone() {
    for scheme in ["internet-facing", "internal"] {
        let options = options(
            "values-oci.yaml",
            &format!("smi: {{loadBalancer: {{scheme: {scheme}}}}}"),
        );
        check_table(
            &[
                kept(
                    "an internal load balancer (type lb, implied) keeps its type: switching to nlb would drop the internal annotation it reads",
                    load_balancer!(
                        "  annotations:\n    service.beta.kubernetes.io/oci-load-balancer-internal: \"true\"\n",
                        ""
                    ),
                ),
                kept(
                    "an internal lb with its type written is kept",
                    load_balancer!(
                        "  annotations:\n    oci.oraclecloud.com/load-balancer-type: lb\n    service.beta.kubernetes.io/oci-load-balancer-internal: \"true\"\n",
                        ""
                    ),
                ),
                kept(
                    "an internal network load balancer is kept",
                    load_balancer!(
                        "  annotations:\n    oci.oraclecloud.com/load-balancer-type: nlb\n    oci-network-load-balancer.oraclecloud.com/internal: \"true\"\n",
                        ""
                    ),
                ),
                kept(
                    "a type lb set by the chart is not switched",
                    load_balancer!(
                        "  annotations:\n    oci.oraclecloud.com/load-balancer-type: lb\n",
                        ""
                    ),
                ),
                kept(
                    "a loadBalancerClass set by the chart is kept",
                    load_balancer!("", "  loadBalancerClass: example.com/lb\n"),
                ),
            ],
            || Overlays::load(&options).expect("the overlays load"),
        );
    }
}

#[test]
fn on_oci_smi_load_balancer_scheme_decides_where_the_chart_does_not() {
    let public = options("values-oci.yaml", "{}");
    check_table(
        &[Case {
            name: "nothing chosen: a public network load balancer",
            input: load_balancer!("", ""),
            expected: load_balancer!(
                "  annotations:\n    oci.oraclecloud.com/load-balancer-type: nlb\n    oci-network-load-balancer.oraclecloud.com/security-list-management-mode: None\n    smi.dtplatform.io/injected-by: overlays\n",
                ""
            ),
            changes: &["overlays Service/mqtt: add /metadata/annotations"],
        }],
        || Overlays::load(&public).expect("the overlays load"),
    );
    let internal = options("values-oci.yaml", "smi: {loadBalancer: {scheme: internal}}");
    check_table(
        &[Case {
            name: "nothing chosen, scheme internal: an internal network load balancer",
            input: load_balancer!("", ""),
            expected: load_balancer!(
                "  annotations:\n    oci.oraclecloud.com/load-balancer-type: nlb\n    oci-network-load-balancer.oraclecloud.com/security-list-management-mode: None\n    smi.dtplatform.io/injected-by: overlays\n    oci-network-load-balancer.oraclecloud.com/internal: \"true\"\n",
                ""
            ),
            changes: &[
                "overlays Service/mqtt: add /metadata/annotations",
                "overlays Service/mqtt: add /metadata/annotations/oci-network-load-balancer.oraclecloud.com~1internal",
            ],
        }],
        || Overlays::load(&internal).expect("the overlays load"),
    );
}

#[test]
fn a_user_overlay_may_change_the_charts_load_balancer_choice_with_a_warning() {
    let scheme_to = |value: &str| {
        format!(
            "smi:\n  overlays:\n    patches:\n      - target: {{kind: Service, name: mqtt}}\n        patch:\n          - {{op: add, path: /metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-scheme, value: {value}}}\n"
        )
    };
    let to_public = options("values-aws.yaml", &scheme_to("internet-facing"));
    let overlays = || Overlays::load(&to_public).expect("the overlays load");
    let replaced = super::render_with(
        overlays(),
        load_balancer!(
            "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\n",
            ""
        ),
    );
    assert!(
        super::output(&replaced)
            .contains("aws-load-balancer-scheme: internet-facing\n    smi.dtplatform.io/injected-by: overlays\n"),
        "applied: {}",
        super::output(&replaced)
    );
    assert_eq!(
        replaced.warnings,
        [
            "Service/mqtt: overlay smi.overlays.patches[0] changes the load balancer the chart chose: service.beta.kubernetes.io/aws-load-balancer-scheme was \"internal\" in the chart, now \"internet-facing\" (the chart chose service.beta.kubernetes.io/aws-load-balancer-type: \"external\", service.beta.kubernetes.io/aws-load-balancer-scheme: \"internal\"). The overlay wins: the cloud's controller builds the load balancer the overlay describes, not the chart's (an internal one may become reachable from the internet). If that is intended, nothing to do; otherwise remove that operation from smi.overlays.patches[0] and make the choice in the chart's values"
        ]
    );
    assert!(
        replaced.changes[0].reason.contains(
            "changes the chart's load balancer choice: service.beta.kubernetes.io/aws-load-balancer-scheme was \"internal\" in the chart, now \"internet-facing\""
        ),
        "--explain says it too: {}",
        replaced.changes[0].reason
    );

    let legacy = super::render_with(
        overlays(),
        load_balancer!(
            "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"\n",
            ""
        ),
    );
    assert_eq!(
        legacy.warnings,
        [
            "Service/mqtt: overlay smi.overlays.patches[0] changes the load balancer the chart chose: service.beta.kubernetes.io/aws-load-balancer-scheme was unset in the chart, now \"internet-facing\" (the chart chose service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"). The overlay wins: the cloud's controller builds the load balancer the overlay describes, not the chart's (an internal one may become reachable from the internet). If that is intended, nothing to do; otherwise remove that operation from smi.overlays.patches[0] and make the choice in the chart's values"
        ],
        "a scheme added next to the legacy form opens the load balancer"
    );

    let unchosen = super::render_with(overlays(), load_balancer!("", ""));
    assert!(
        unchosen.warnings.is_empty(),
        "a chart that chose nothing: the user's overlay replaces the default's value quietly: {:?}",
        unchosen.warnings
    );
    assert!(super::output(&unchosen).contains("aws-load-balancer-scheme: internet-facing"));

    let same = super::options("values-aws.yaml", &scheme_to("internal"));
    let again = super::render_with(
        Overlays::load(&same).expect("the overlays load"),
        load_balancer!(
            "  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\n",
            ""
        ),
    );
    assert!(
        again.warnings.is_empty() && again.changes.is_empty(),
        "an overlay writing the chart's own value changes nothing: {:?}",
        again.warnings
    );
}

#[test]
fn an_overlay_file_may_change_the_charts_load_balancer_type_with_a_warning() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("nlb.yaml"),
        "target: {kind: Service, name: mqtt}\npatch:\n  - {op: add, path: /metadata/annotations/oci.oraclecloud.com~1load-balancer-type, value: nlb}\n",
    )
    .expect("the overlay file");
    let mut options = options("values-oci.yaml", "{}");
    options.overlay_dirs.push(dir.path().to_owned());
    let rendered = super::render_with(
        Overlays::load(&options).expect("the overlays load"),
        load_balancer!(
            "  annotations:\n    service.beta.kubernetes.io/oci-load-balancer-internal: \"true\"\n",
            ""
        ),
    );
    assert!(super::output(&rendered).contains("oci.oraclecloud.com/load-balancer-type: nlb"));
    assert_eq!(rendered.warnings.len(), 1, "{:?}", rendered.warnings);
    let warning = &rendered.warnings[0];
    assert!(
        warning.starts_with("Service/mqtt: overlay ")
            && warning.contains("nlb.yaml changes the load balancer the chart chose: oci.oraclecloud.com/load-balancer-type was unset in the chart, now \"nlb\" (the chart chose service.beta.kubernetes.io/oci-load-balancer-internal: \"true\")"),
        "{warning}"
    );
}

#[test]
fn a_shipped_default_never_replaces_a_value_the_chart_set() {
    let options = options("values-aws.yaml", "smi: {dns: {externalDns: true}}");
    check_table(
        &[Case {
            name: "the chart's own external-dns hostname is kept",
            input: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: platform\n  annotations:\n    external-dns.alpha.kubernetes.io/hostname: www.example.org\n",
            expected: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: platform\n  annotations:\n    external-dns.alpha.kubernetes.io/hostname: www.example.org\n",
            changes: &[],
        }],
        || Overlays::load(&options).expect("the overlays load"),
    );
}
