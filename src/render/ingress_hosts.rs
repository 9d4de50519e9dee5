//! Compares the hosts of the release's Ingresses with the three names of `smi.dns`: a host
//! that is none of them (an Ingress rendered with the chart's default names, or for another
//! environment) routes names the values do not give, while preflight, external-dns and the
//! certificates follow the values. Reported as a warning, since a chart may serve other
//! names on purpose; nothing is changed.

use serde_json::Value;

use super::hooks::ordinary_objects;
use super::{Context, Filter, RenderError};
use crate::stream::{Field, Stream};
use crate::values::Smi;

/// The annotation external-dns reads the names to create from.
const EXTERNAL_DNS_HOSTNAME: &str = "external-dns.alpha.kubernetes.io/hostname";

/// [`EXTERNAL_DNS_HOSTNAME`]'s JSON pointer in an object.
const EXTERNAL_DNS_HOSTNAME_POINTER: &str =
    "/metadata/annotations/external-dns.alpha.kubernetes.io~1hostname";

/// Warns about Ingress hosts (rules, TLS, external-dns annotation) that are not `smi.dns`
/// names, and about `smi.dns` names no Ingress routes.
#[derive(Debug)]
pub struct IngressHosts {
    /// `smi.dns.app`, `smi.dns.api`, `smi.dns.id`, with their keys.
    names: Vec<(&'static str, String)>,
}

impl IngressHosts {
    /// The check for these values.
    pub fn new(smi: &Smi) -> IngressHosts {
        IngressHosts {
            names: vec![
                ("smi.dns.app", smi.dns.app.clone()),
                ("smi.dns.api", smi.dns.api.clone()),
                ("smi.dns.id", smi.dns.id.clone()),
            ],
        }
    }

    fn known(&self, host: &str) -> bool {
        self.names.iter().any(|(_, name)| name == host)
    }
}

impl Filter for IngressHosts {
    fn name(&self) -> &'static str {
        "ingress-hosts"
    }

    fn fields(&self) -> Vec<Field> {
        vec![
            Field::of_kinds(&["Ingress"], "/spec/rules"),
            Field::of_kinds(&["Ingress"], "/spec/tls"),
            Field::of_kinds(&["Ingress"], EXTERNAL_DNS_HOSTNAME_POINTER),
        ]
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        let mut routed = Vec::new();
        let mut ingresses = 0;
        for object in ordinary_objects(stream)? {
            if stream.header(object).kind != "Ingress" {
                continue;
            }
            ingresses += 1;
            let display = stream.header(object).display_name();
            let rules = stream.pointer(object, "/spec/rules")?;
            let tls = stream.pointer(object, "/spec/tls")?;
            let annotation = stream.pointer(object, EXTERNAL_DNS_HOSTNAME_POINTER)?;
            let rule_hosts = strings(rules.as_ref(), |rule| rule.get("host"));
            let tls_hosts: Vec<String> = tls
                .as_ref()
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|entry| strings(entry.get("hosts"), Some))
                .collect();
            let unknown: Vec<&String> = rule_hosts
                .iter()
                .chain(&tls_hosts)
                .filter(|h| !self.known(h))
                .collect();
            if !unknown.is_empty() {
                let mut seen: Vec<&str> = Vec::new();
                for host in unknown {
                    if !seen.contains(&host.as_str()) {
                        seen.push(host);
                    }
                }
                let unknown = seen;
                cx.warn(format!(
                    "{display} routes {}, which {} not among the values' DNS names ({}): the chart was rendered with other names (its defaults, or another environment's), while preflight and external-dns follow smi.dns. Set the chart's Ingress hosts to the smi.dns names (examples/staging/values.yaml shows both), or correct smi.dns",
                    unknown.join(", "),
                    if unknown.len() == 1 { "is" } else { "are" },
                    self.names
                        .iter()
                        .map(|(_, n)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if let Some(Value::String(names)) = annotation {
                let announced: Vec<&str> = names.split(',').map(str::trim).collect();
                let not_routed: Vec<&str> = announced
                    .iter()
                    .copied()
                    .filter(|n| !n.is_empty() && !rule_hosts.iter().any(|h| h == n))
                    .collect();
                if !not_routed.is_empty() && !rule_hosts.is_empty() {
                    cx.warn(format!(
                        "{display}: external-dns creates {} for it ({EXTERNAL_DNS_HOSTNAME}), but its rules route only {}: those names would reach the load balancer and match no rule (the ingress controller answers 404). Add rules for them to the chart's Ingress, or take them out of its {EXTERNAL_DNS_HOSTNAME} annotation",
                        not_routed.join(", "),
                        rule_hosts.join(", ")
                    ));
                }
            }
            routed.extend(rule_hosts);
        }
        if ingresses > 0 && !routed.is_empty() {
            let missing: Vec<String> = self
                .names
                .iter()
                .filter(|(_, name)| !routed.contains(name))
                .map(|(key, name)| format!("{name} ({key})"))
                .collect();
            if !missing.is_empty() {
                cx.warn(format!(
                    "no Ingress of the release routes {}: requests to {} reach the load balancer and match no rule (the ingress controller answers 404). Set the chart's Ingress hosts to these names, or correct smi.dns",
                    missing.join(", "),
                    if missing.len() == 1 { "it" } else { "them" }
                ));
            }
        }
        Ok(())
    }
}

/// The strings `pick` finds in each element of the list `list` (or `list` itself when `pick`
/// gives a list).
fn strings<'a>(
    list: Option<&'a Value>,
    pick: impl Fn(&'a Value) -> Option<&'a Value>,
) -> Vec<String> {
    let Some(list) = list.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(&pick)
        .flat_map(|v| match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}
