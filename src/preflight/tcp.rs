//! Step 2 from where the command runs: every endpoint of the network table accepts a TCP
//! connection. All endpoints are tried at once (bounded), each within the timeout, so the
//! whole check takes about one timeout however many endpoints are unreachable.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::check::{Check, Group, Progress};
use super::resolver::{Resolver, seconds};
use crate::catalog::Service;
use crate::network::{ConnectivityRule, Endpoint};

/// Connections tried at once: enough for every endpoint of a real values file.
pub const CONCURRENCY: usize = 64;

/// One endpoint to try, as it appears in the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The check's id: `network/<endpoint key>`, with `:<port>` when the key has several ports.
    pub id: String,
    /// `<destination> <host:port> accepts TCP connections`.
    pub title: String,
    /// The host and port to connect to, from the network table.
    pub endpoint: Endpoint,
    /// A public name (the region's object storage), which resolves anywhere with internet
    /// access; the others may be private names of the VPC or VCN.
    pub public: bool,
}

/// The endpoints of the network table, each once.
pub fn targets(rules: &[ConnectivityRule]) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    for rule in rules {
        for endpoint in &rule.endpoints {
            if targets
                .iter()
                .any(|t| t.endpoint.host == endpoint.host && t.endpoint.port == endpoint.port)
            {
                continue;
            }
            let key = match endpoint.values_path.strip_prefix("smi.endpoints.") {
                Some(key) => key.to_owned(),
                None => serde_json::to_value(rule.service)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            };
            let shared = rule
                .endpoints
                .iter()
                .filter(|e| e.values_path == endpoint.values_path)
                .count()
                > 1;
            let id = if shared {
                format!("network/{key}:{}", endpoint.port)
            } else {
                format!("network/{key}")
            };
            let title = format!(
                "{} {} accepts TCP connections",
                rule.destination,
                endpoint.address()
            );
            targets.push(Target {
                id,
                title,
                endpoint: endpoint.clone(),
                public: rule.service == Service::Internet,
            });
        }
    }
    targets
}

/// Tries every target; the checks come back in the targets' order.
pub async fn check_endpoints(
    targets: &[Target],
    resolver: Arc<Resolver>,
    timeout: Duration,
    progress: &dyn Progress,
) -> Vec<Check> {
    progress.add(targets.len());
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut set = JoinSet::new();
    for (index, target) in targets.iter().cloned().enumerate() {
        let (resolver, permits) = (resolver.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, check_one(&target, &resolver, timeout).await)
        });
    }
    let mut done: Vec<Option<Check>> = vec![None; targets.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((index, check)) = joined {
            progress.finished(&check);
            done[index] = Some(check);
        }
    }
    done.into_iter().flatten().collect()
}

async fn check_one(target: &Target, resolver: &Resolver, timeout: Duration) -> Check {
    let endpoint = &target.endpoint;
    let started = Instant::now();
    let (id, title) = (target.id.clone(), target.title.clone());
    let resolution = match resolver.resolve(&endpoint.host).await {
        Ok(r) if !r.addresses.is_empty() => r,
        other => {
            let why = other
                .err()
                .unwrap_or_else(|| "no address records".to_owned());
            let detail = format!("cannot resolve {}: {why}", endpoint.host);
            let hint = resolve_hint(target);
            return Check::fail(id, Group::Network, title, detail, hint);
        }
    };
    let remaining = timeout.saturating_sub(started.elapsed());
    let addresses: Vec<SocketAddr> = resolution
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, endpoint.port))
        .collect();
    match connect_any(&addresses, remaining).await {
        Ok(address) => {
            let ms = started.elapsed().as_millis();
            Check::pass(
                id,
                Group::Network,
                title,
                format!("connected to {address} in {ms} ms"),
            )
        }
        Err(Failure::Refused(address)) => Check::fail(
            id,
            Group::Network,
            title,
            format!("{address} refused the connection"),
            format!(
                "the host answers but nothing listens on port {}: check the port in {} and that the service is up",
                endpoint.port, endpoint.values_path
            ),
        ),
        Err(Failure::TimedOut) => Check::fail(
            id,
            Group::Network,
            title,
            format!(
                "no answer within {} from {}",
                seconds(timeout),
                list(&addresses)
            ),
            "a firewall, security group or security list drops the traffic: compare with `kubectl smi network rules`",
        ),
        Err(Failure::Other(address, e)) => Check::fail(
            id,
            Group::Network,
            title,
            format!("{address}: {e}"),
            "check the route from this machine to the endpoint (VPN, peering), or run with --in-cluster",
        ),
    }
}

/// What to do when the target's host does not resolve: check the value that names the host
/// (not a port's), and for a private name, try from inside the cluster.
fn resolve_hint(target: &Target) -> String {
    let path = host_path(&target.endpoint.values_path);
    if target.public {
        format!(
            "{} is a public name, derived from {path}: check {path} and this machine's DNS and internet access (or --dns-server)",
            target.endpoint.host
        )
    } else {
        format!(
            "check {path} in the values; a private name may only resolve inside the VPC: run with --in-cluster"
        )
    }
}

/// The values path of the host an endpoint's path belongs to: `smi.endpoints.activemq.host`
/// for `smi.endpoints.activemq.mqttPort`; other paths name the host already.
fn host_path(values_path: &str) -> String {
    match values_path.rsplit_once('.') {
        Some((parent, last)) if last == "port" || last.ends_with("Port") => {
            format!("{parent}.host")
        }
        _ => values_path.to_owned(),
    }
}

enum Failure {
    Refused(SocketAddr),
    TimedOut,
    Other(SocketAddr, std::io::Error),
}

/// Connects to the addresses at once; the first to accept wins.
async fn connect_any(addresses: &[SocketAddr], timeout: Duration) -> Result<SocketAddr, Failure> {
    let mut set = JoinSet::new();
    for &address in addresses {
        set.spawn(async move {
            (
                address,
                tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await,
            )
        });
    }
    let mut failure = Failure::TimedOut;
    while let Some(joined) = set.join_next().await {
        let Ok((address, result)) = joined else {
            continue;
        };
        match result {
            Ok(Ok(_stream)) => return Ok(address),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                failure = Failure::Refused(address)
            }
            Ok(Err(e)) => {
                if !matches!(failure, Failure::Refused(_)) {
                    failure = Failure::Other(address, e);
                }
            }
            Err(_elapsed) => {}
        }
    }
    Err(failure)
}

fn list(addresses: &[SocketAddr]) -> String {
    addresses
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::connectivity_rules;

    /// The AWS example's values with the Kafka brokers written as `kafka` says.
    fn smi_with_kafka(kafka: &str) -> crate::values::Smi {
        let example =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/values-aws.yaml");
        let text = std::fs::read_to_string(example).expect("the example exists");
        let from = "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n      zookeeper:\n        - z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181\n";
        assert!(text.contains(from));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("values.yaml");
        std::fs::write(&path, text.replace(from, kafka)).expect("written");
        crate::values::load_valid(&[path])
            .expect("valid values")
            .1
            .smi
    }

    #[test]
    fn a_host_that_does_not_resolve_is_hinted_at_its_host_and_a_public_name_is_not_private() {
        let smi = smi_with_kafka("      bootstrap: [b-1.kafka.example.com:9096]\n");
        let targets = targets(&connectivity_rules(&smi).expect("the table fills"));
        let mqtt = targets
            .iter()
            .find(|t| t.endpoint.values_path == "smi.endpoints.activemq.mqttPort")
            .expect("the MQTT endpoint");
        let hint = resolve_hint(mqtt);
        assert!(
            hint.contains("check smi.endpoints.activemq.host in the values"),
            "{hint}"
        );
        assert!(!hint.contains("mqttPort"), "{hint}");
        let s3 = targets
            .iter()
            .find(|t| t.endpoint.host == "s3.us-east-1.amazonaws.com")
            .expect("the region's object storage");
        assert!(s3.public);
        let hint = resolve_hint(s3);
        assert!(hint.contains("is a public name"), "{hint}");
        assert!(!hint.contains("private"), "{hint}");
        let postgresql = targets
            .iter()
            .find(|t| t.endpoint.values_path == "smi.endpoints.postgresql")
            .expect("the PostgreSQL endpoint");
        assert!(!postgresql.public);
        assert!(
            resolve_hint(postgresql).contains("a private name may only resolve inside the VPC")
        );
    }

    #[test]
    fn an_msk_bootstrap_string_gives_the_same_targets_as_the_list() {
        let list = smi_with_kafka(
            "      bootstrap: [b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096, b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096]\n      zookeeper: [z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181, z-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181]\n",
        );
        let msk = smi_with_kafka(
            "      bootstrap: \"b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096, b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\"\n      zookeeper: z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181,z-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181\n",
        );
        assert_eq!(list.endpoints.kafka, msk.endpoints.kafka);
        let targets = targets(&connectivity_rules(&msk).expect("the table fills"));
        let kafka: Vec<(&str, String)> = targets
            .iter()
            .filter(|t| t.id.starts_with("network/kafka."))
            .map(|t| (t.id.as_str(), t.endpoint.address()))
            .collect();
        assert_eq!(
            kafka,
            [
                (
                    "network/kafka.zookeeper[0]",
                    "z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181".to_owned()
                ),
                (
                    "network/kafka.zookeeper[1]",
                    "z-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181".to_owned()
                ),
                (
                    "network/kafka.bootstrap[0]",
                    "b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096".to_owned()
                ),
                (
                    "network/kafka.bootstrap[1]",
                    "b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096".to_owned()
                ),
            ]
        );
    }
}
