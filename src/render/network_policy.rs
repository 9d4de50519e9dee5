//! Step 4: isolate the Script Worker pods. With Calico, exactly the guide's policy; with plain
//! Kubernetes NetworkPolicy, the equivalent (ingress denied; egress to DNS, by port and to the
//! cluster DNS by selector and address, and the Script Manager only, plus the extra rules of
//! the values with the private ranges carved out).

use serde_json::{Value, json};

use super::{Context, Filter, RenderError};
use crate::catalog::{SCRIPTMANAGER_SELECTOR, SCRIPTWORKER_SELECTOR};
use crate::stream::{ObjectRef, Stream};
use crate::values::needs::{kubernetes_egress_refusals, private_ranges_inside};
use crate::values::{EgressRule, PolicyDns, PolicyEngine, Protocol, RuleAction, Smi};

pub use crate::values::needs::DENIED_NETS;

use super::hooks::ordinary_objects;
use super::namespace::PlatformNamespace;
use super::workload::{pod_labels_fields, pod_labels_pointer};

pub const POLICY_NAME: &str = "scriptworker-policy";
/// The label the API server puts on every namespace, naming it (Kubernetes 1.22 and later).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Adds the Script Worker isolation policy to the release that runs the Script Worker.
#[derive(Debug)]
pub struct NetworkPolicy {
    /// The policy for the values' engine; `None` with `engine: none`.
    policy: Option<Value>,
    /// Where the policy goes, and so where the pods it selects must be.
    namespace: PlatformNamespace,
}

impl NetworkPolicy {
    /// The filter for these values; fails on extra egress rules the engine cannot express.
    pub fn new(smi: &Smi) -> Result<NetworkPolicy, RenderError> {
        let policy = match smi.network_policy.engine {
            PolicyEngine::None => None,
            PolicyEngine::Calico => Some(calico_policy(smi)?),
            PolicyEngine::Kubernetes => Some(kubernetes_policy(smi)?),
        };
        Ok(NetworkPolicy {
            policy,
            namespace: PlatformNamespace::new(smi),
        })
    }
}

impl Filter for NetworkPolicy {
    fn name(&self) -> &'static str {
        "network-policy"
    }

    fn fields(&self) -> Vec<crate::stream::Field> {
        pod_labels_fields()
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        let Some(policy) = &self.policy else {
            return Ok(());
        };
        let workers = pods_labelled(stream, SCRIPTWORKER_SELECTOR)?;
        if workers.is_empty() {
            // Another release (one per service) holds the Script Worker and gets the policy.
            return Ok(());
        }
        for worker in workers {
            self.namespace.check(stream, worker, |ns| {
                format!("the NetworkPolicy {POLICY_NAME} would be created in {ns} and isolate none of its pods")
            })?;
        }
        for manager in pods_labelled(stream, SCRIPTMANAGER_SELECTOR)? {
            self.namespace.check(stream, manager, |ns| {
                format!("the NetworkPolicy {POLICY_NAME} in {ns} lets the Script Worker reach the Script Manager pods of {ns} only")
            })?;
        }
        let reason = "isolates the Script Worker: DNS and the Script Manager only, private ranges denied (step 4)";
        cx.add_or_update(stream, reason, policy.clone())
    }
}

/// The workloads (not hooks: a hooks-only call, the first of `separate`, adds nothing, the
/// other call has the pods) whose pods carry the label `selector`.
fn pods_labelled(
    stream: &mut Stream,
    (key, value): (&str, &str),
) -> Result<Vec<ObjectRef>, RenderError> {
    let mut found = Vec::new();
    for object in ordinary_objects(stream)? {
        let Some(pointer) = pod_labels_pointer(&stream.header(object).kind) else {
            continue;
        };
        let labels = stream.pointer(object, pointer)?;
        if labels
            .as_ref()
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
            == Some(value)
        {
            found.push(object);
        }
    }
    Ok(found)
}

/// The guide's Calico policy, in the platform's namespace, with the extra rules appended.
pub fn calico_policy(smi: &Smi) -> Result<Value, RenderError> {
    let selector = |(key, value): (&str, &str)| format!("{key} == '{value}'");
    let mut egress = vec![
        json!({"action": "Allow", "protocol": "UDP", "source": {}, "destination": {"ports": [53]}}),
        json!({"action": "Allow", "protocol": "TCP", "source": {}, "destination": {"ports": [53]}}),
        json!({"action": "Allow", "source": {}, "destination": {"selector": selector(SCRIPTMANAGER_SELECTOR)}}),
        json!({"action": "Deny", "source": {}, "destination": {"nets": DENIED_NETS}}),
    ];
    for (i, rule) in smi.network_policy.extra_egress.iter().enumerate() {
        egress.push(calico_rule(i, rule)?);
    }
    Ok(json!({
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": POLICY_NAME, "namespace": smi.namespace()},
        "spec": {
            "selector": selector(SCRIPTWORKER_SELECTOR),
            "types": ["Ingress", "Egress"],
            "order": 1000,
            "egress": egress,
        }
    }))
}

fn calico_rule(index: usize, rule: &EgressRule) -> Result<Value, RenderError> {
    check_ports(index, rule)?;
    let mut destination = serde_json::Map::new();
    if !rule.nets.is_empty() {
        destination.insert("nets".into(), json!(rule.nets));
    }
    if !rule.ports.is_empty() {
        destination.insert("ports".into(), json!(rule.ports));
    }
    let mut out = json!({
        "action": match rule.action { RuleAction::Allow => "Allow", RuleAction::Deny => "Deny" },
        "source": {},
        "destination": destination,
    });
    if let Some(p) = rule.protocol {
        out["protocol"] = json!(protocol(p));
    }
    Ok(out)
}

fn check_ports(index: usize, rule: &EgressRule) -> Result<(), RenderError> {
    if !rule.ports.is_empty() && rule.protocol.is_none() {
        return Err(RenderError::NetworkPolicy(format!(
            "extraEgress[{index}] lists ports but no protocol (TCP or UDP): ports need one"
        )));
    }
    Ok(())
}

fn protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
    }
}

/// The plain Kubernetes equivalent: NetworkPolicy only allows, so the guide's deny of the
/// private ranges becomes an `except` on every extra CIDR that contains them.
pub fn kubernetes_policy(smi: &Smi) -> Result<Value, RenderError> {
    let (worker_key, worker) = SCRIPTWORKER_SELECTOR;
    let (manager_key, manager) = SCRIPTMANAGER_SELECTOR;
    let mut egress = vec![
        json!({"ports": dns_ports()}),
        cluster_dns_rule(&smi.network_policy.dns),
        json!({"to": [{"podSelector": {"matchLabels": {manager_key: manager}}}]}),
    ];
    for (i, rule) in smi.network_policy.extra_egress.iter().enumerate() {
        egress.push(kubernetes_rule(i, rule)?);
    }
    Ok(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": POLICY_NAME, "namespace": smi.namespace()},
        "spec": {
            "podSelector": {"matchLabels": {worker_key: worker}},
            "policyTypes": ["Ingress", "Egress"],
            "egress": egress,
        }
    }))
}

fn dns_ports() -> Value {
    json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}])
}

/// DNS to the cluster DNS pods by selector, and to a NodeLocal DNSCache by address. The port
/// rule alone is not enough on EKS: the VPC CNI network policy agent lets the `except` ranges
/// of an ipBlock deny what a port-only rule allows
/// (aws/amazon-network-policy-controller-k8s#146), while the /32 entries it resolves for
/// these peers (the DNS pods, the ClusterIP of the Service selecting them) are more specific.
fn cluster_dns_rule(dns: &PolicyDns) -> Value {
    let mut to = vec![json!({
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: dns.namespace}},
        "podSelector": {"matchLabels": dns.pod_selector},
    })];
    if let Some(address) = &dns.node_local_address {
        to.push(json!({"ipBlock": {"cidr": address}}));
    }
    json!({"to": to, "ports": dns_ports()})
}

fn kubernetes_rule(index: usize, rule: &EgressRule) -> Result<Value, RenderError> {
    check_ports(index, rule)?;
    // The same refusal `validate` reports (values::needs).
    if let Some((field, (_, expected))) = kubernetes_egress_refusals(rule).into_iter().next() {
        let field = field.replace('/', "[") + if field.contains('/') { "]" } else { "" };
        return Err(RenderError::NetworkPolicy(format!(
            "extraEgress[{index}].{field}: expected {expected}"
        )));
    }
    let mut out = serde_json::Map::new();
    if !rule.nets.is_empty() {
        let mut to = Vec::new();
        for net in &rule.nets {
            let except = private_ranges_inside(net).map_err(|problem| {
                RenderError::NetworkPolicy(format!(
                    "extraEgress[{index}]: {net}: expected {problem}"
                ))
            })?;
            let mut block = json!({"cidr": net});
            if !except.is_empty() {
                block["except"] = json!(except);
            }
            to.push(json!({"ipBlock": block}));
        }
        out.insert("to".into(), Value::Array(to));
    }
    if !rule.ports.is_empty() {
        let p = protocol(rule.protocol.expect("checked above"));
        let ports: Vec<Value> = rule
            .ports
            .iter()
            .map(|port| json!({"protocol": p, "port": port}))
            .collect();
        out.insert("ports".into(), Value::Array(ports));
    }
    Ok(Value::Object(out))
}
