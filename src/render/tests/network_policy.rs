//! The network-policy filter: the Script Worker isolation policy, added once, to the release
//! that runs the Script Worker.

use super::{Case, Refusal, changes, check_refusals, check_table, options, output, render_with};
use crate::render::NetworkPolicy;

const SCRIPTWORKER: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scriptworker
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-scriptworker
    spec:
      serviceAccountName: scriptworker
";

#[test]
fn the_calico_policy_of_the_guide_is_added_where_the_script_worker_runs() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let rendered = render_with(NetworkPolicy::new(&smi).expect("builds"), SCRIPTWORKER);
    let text = output(&rendered);
    assert!(
        text.starts_with(SCRIPTWORKER),
        "the workload is untouched: {text}"
    );
    let added = &text[SCRIPTWORKER.len()..];
    assert!(
        added.starts_with("---\n# Source: kubectl-smi/network-policy/scriptworker-policy.yaml\n"),
        "{added}"
    );
    for line in [
        "apiVersion: crd.projectcalico.org/v1\n",
        "kind: NetworkPolicy\n",
        "  name: scriptworker-policy\n",
        "  namespace: prod\n",
        "  selector: app.kubernetes.io/name == 'dtplatform-scriptworker'\n",
    ] {
        assert!(added.contains(line), "{line:?} in {added}");
    }
    assert_eq!(
        changes(&rendered),
        ["network-policy NetworkPolicy/prod/scriptworker-policy: add "]
    );
}

#[test]
fn no_policy_without_the_script_worker_or_with_engine_none() {
    let other = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: filesvc\n";
    let calico = options("values-aws.yaml", "{}").values.smi;
    check_table(
        &[Case {
            name: "another release",
            input: other,
            expected: other,
            changes: &[],
        }],
        || NetworkPolicy::new(&calico).expect("builds"),
    );
    let none = options("values-aws.yaml", "smi: {networkPolicy: {engine: none}}")
        .values
        .smi;
    check_table(
        &[Case {
            name: "engine none",
            input: SCRIPTWORKER,
            expected: SCRIPTWORKER,
            changes: &[],
        }],
        || NetworkPolicy::new(&none).expect("builds"),
    );
}

#[test]
fn the_kubernetes_engine_adds_a_networking_k8s_io_policy() {
    let smi = options(
        "values-aws.yaml",
        "smi: {networkPolicy: {engine: kubernetes}}",
    )
    .values
    .smi;
    let rendered = render_with(NetworkPolicy::new(&smi).expect("builds"), SCRIPTWORKER);
    let text = output(&rendered);
    assert!(
        text.contains("apiVersion: networking.k8s.io/v1\n"),
        "{text}"
    );
    assert!(
        text.contains("      app.kubernetes.io/name: dtplatform-scriptworker\n"),
        "{text}"
    );
}

/// The Script Worker's Deployment with `metadata.namespace: <namespace>` (`None`: no line).
fn scriptworker_in(namespace: Option<&str>) -> String {
    let line = namespace.map_or(String::new(), |ns| format!("  namespace: {ns}\n"));
    SCRIPTWORKER.replacen(
        "  name: scriptworker\n",
        &format!("  name: scriptworker\n{line}"),
        1,
    )
}

#[test]
fn the_policy_goes_where_the_script_worker_is_when_it_names_the_values_namespace_or_none() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let in_a_list = "\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: scriptworker, namespace: prod}
    spec:
      template:
        metadata:
          labels: {app.kubernetes.io/name: dtplatform-scriptworker}
";
    for (name, input) in [
        (
            "no namespace: Helm installs it in the release's",
            scriptworker_in(None),
        ),
        ("the values' namespace", scriptworker_in(Some("prod"))),
        (
            "the values' namespace, quoted",
            scriptworker_in(Some("\"prod\"")),
        ),
        (
            "an empty namespace states none",
            scriptworker_in(Some("\"\"")),
        ),
        ("a null namespace states none", scriptworker_in(Some("~"))),
        (
            "an item of a List in the values' namespace",
            in_a_list.to_owned(),
        ),
    ] {
        let rendered = render_with(NetworkPolicy::new(&smi).expect("builds"), &input);
        let text = output(&rendered);
        assert!(
            text.starts_with(&input),
            "case {name:?}: the workload is untouched: {text}"
        );
        let added = &text[input.len()..];
        assert!(
            added.contains("  name: scriptworker-policy\n  namespace: prod\n"),
            "case {name:?}: {added}"
        );
        assert_eq!(
            changes(&rendered),
            ["network-policy NetworkPolicy/prod/scriptworker-policy: add "],
            "case {name:?}"
        );
    }
}

#[test]
fn a_script_worker_in_another_namespace_than_the_values_is_refused_naming_both() {
    let calico = options("values-aws.yaml", "{}").values.smi;
    let staging = scriptworker_in(Some("staging"));
    let manager_in_staging = format!(
        "{}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: scriptmanager, namespace: staging}}\nspec:\n  template:\n    metadata:\n      labels: {{app.kubernetes.io/name: dtplatform-scriptmanager}}\n",
        scriptworker_in(None)
    );
    let issue = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: scriptworker\n  namespace: staging\n---\n{staging}"
    );
    let cases = [
        Refusal {
            name: "the issue's case: the Script Worker and its ServiceAccount in staging",
            input: &issue,
            says: &[
                "Deployment/staging/scriptworker is in namespace staging, but the values put the platform in prod (smi.namespace)",
                "scriptworker-policy would be created in prod and isolate none of its pods",
                "set smi.namespace: staging",
                "helm install -n prod",
            ],
        },
        Refusal {
            name: "an item of a List",
            input: "\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: scriptworker, namespace: staging}
    spec:
      template:
        metadata:
          labels: {app.kubernetes.io/name: dtplatform-scriptworker}
",
            says: &[
                "StatefulSet/staging/scriptworker is in namespace staging",
                "in prod",
            ],
        },
        Refusal {
            name: "the Script Manager pods the policy lets it reach",
            input: &manager_in_staging,
            says: &[
                "Deployment/staging/scriptmanager is in namespace staging",
                "reach the Script Manager pods of prod only",
            ],
        },
    ];
    check_refusals(&cases, || NetworkPolicy::new(&calico).expect("builds"));
    let kubernetes = options(
        "values-aws.yaml",
        "smi: {networkPolicy: {engine: kubernetes}}",
    )
    .values
    .smi;
    check_refusals(&cases[..1], || {
        NetworkPolicy::new(&kubernetes).expect("builds")
    });
}

#[test]
fn without_smi_namespace_the_environment_is_the_namespace_and_the_message_says_so() {
    let smi = options("values-aws.yaml", "smi: {namespace: null}")
        .values
        .smi;
    check_refusals(
        &[Refusal {
            name: "environment prod",
            input: &scriptworker_in(Some("staging")),
            says: &[
                "the values put the platform in prod (smi.environment, as smi.namespace is unset)",
            ],
        }],
        || NetworkPolicy::new(&smi).expect("builds"),
    );
    let dev = options("values-aws.yaml", "smi: {namespace: dev}")
        .values
        .smi;
    let rendered = render_with(
        NetworkPolicy::new(&dev).expect("builds"),
        &scriptworker_in(Some("dev")),
    );
    assert_eq!(
        changes(&rendered),
        ["network-policy NetworkPolicy/dev/scriptworker-policy: add "]
    );
}

#[test]
fn a_policy_of_the_same_name_the_chart_puts_in_another_namespace_is_left_alone() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let theirs = "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata:\n  name: scriptworker-policy\n  namespace: other\nspec:\n  order: 10\n";
    let input = format!("{SCRIPTWORKER}---\n{theirs}");
    let rendered = render_with(NetworkPolicy::new(&smi).expect("builds"), &input);
    assert!(
        output(&rendered).starts_with(&input),
        "{}",
        output(&rendered)
    );
    assert_eq!(
        changes(&rendered),
        ["network-policy NetworkPolicy/prod/scriptworker-policy: add "]
    );
}

/// The `kubernetes` engine on EKS: DNS by port, and to the cluster DNS by selector (and to a
/// NodeLocal DNSCache by address), because the VPC CNI agent lets the `except` ranges of the
/// public-HTTPS rule deny DNS allowed by port only. The agent cannot run here: this pins the
/// shape it is given; tests/render_filters.rs checks it against the NetworkPolicy schema.
#[test]
fn the_kubernetes_engine_allows_the_cluster_dns_by_selector_and_address() {
    let cases = [
        (
            "the default cluster DNS (CoreDNS in kube-system)",
            "smi: {networkPolicy: {engine: kubernetes}}",
            KUBERNETES_DEFAULT_DNS,
        ),
        (
            "a NodeLocal DNSCache and another DNS deployment",
            "smi: {networkPolicy: {engine: kubernetes, dns: {namespace: dns-system, podSelector: {app.kubernetes.io/name: coredns}, nodeLocalAddress: 169.254.20.10/32}}}",
            KUBERNETES_NODE_LOCAL_DNS,
        ),
    ];
    for (name, overrides, policy) in cases {
        let smi = options("values-aws.yaml", overrides).values.smi;
        let expected = format!("{SCRIPTWORKER}{policy}");
        let case = Case {
            name,
            input: SCRIPTWORKER,
            expected: expected.leak(),
            changes: &["network-policy NetworkPolicy/prod/scriptworker-policy: add "],
        };
        check_table(&[case], || NetworkPolicy::new(&smi).expect("builds"));
    }
}

#[test]
fn the_calico_policy_keeps_the_guides_dns_rules_whatever_the_dns_values() {
    let plain = options("values-aws.yaml", "{}").values.smi;
    let with_dns = options(
        "values-aws.yaml",
        "smi: {networkPolicy: {dns: {nodeLocalAddress: 169.254.20.10/32}}}",
    )
    .values
    .smi;
    let text = |smi| {
        output(&render_with(
            NetworkPolicy::new(smi).expect("builds"),
            SCRIPTWORKER,
        ))
        .to_owned()
    };
    assert_eq!(text(&plain), text(&with_dns));
}

/// The policy added with the default `smi.networkPolicy.dns`.
const KUBERNETES_DEFAULT_DNS: &str = r#"---
# Source: kubectl-smi/network-policy/scriptworker-policy.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: scriptworker-policy
  namespace: prod
  annotations:
    smi.dtplatform.io/injected-by: network-policy
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: dtplatform-scriptworker
  policyTypes:
    - Ingress
    - Egress
  egress:
    - ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: dtplatform-scriptmanager
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except:
              - 10.0.0.0/8
              - 169.254.0.0/16
              - 172.16.0.0/12
              - 192.168.0.0/16
      ports:
        - protocol: TCP
          port: 443
"#;
/// The policy added with another DNS deployment and a NodeLocal DNSCache address.
const KUBERNETES_NODE_LOCAL_DNS: &str = r#"---
# Source: kubectl-smi/network-policy/scriptworker-policy.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: scriptworker-policy
  namespace: prod
  annotations:
    smi.dtplatform.io/injected-by: network-policy
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: dtplatform-scriptworker
  policyTypes:
    - Ingress
    - Egress
  egress:
    - ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: dns-system
          podSelector:
            matchLabels:
              app.kubernetes.io/name: coredns
        - ipBlock:
            cidr: 169.254.20.10/32
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: dtplatform-scriptmanager
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except:
              - 10.0.0.0/8
              - 169.254.0.0/16
              - 172.16.0.0/12
              - 192.168.0.0/16
      ports:
        - protocol: TCP
          port: 443
"#;
