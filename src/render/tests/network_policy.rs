//! The network-policy filter: the Script Worker isolation policy, added once, to the release
//! that runs the Script Worker.

use super::{Case, changes, check_table, options, output, render_with};
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
