//! Step 2's table filled with the values: each row's ports, the hosts and ports the values
//! name for it, and the networks its cloud rules open (`cidrs` in the values, else any).

use serde::Serialize;

use super::endpoint::{Endpoint, EndpointError, check_cidr, parse_host_port};
use crate::catalog::{
    ANY_IPV4, ANY_IPV6, LOAD_BALANCER_PORTS, NETWORK_TABLE, PUBLIC_API_PORT, Row, Service, Source,
};
use crate::values::{Endpoints, HostPort, Provider, Smi};

use Service::*;

/// A row of the table filled with the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectivityRule {
    /// The source column: the internet or Kubernetes.
    pub source: Source,
    /// Which row of the guide's table this is.
    pub service: Service,
    /// The destination as the provider's table names it.
    pub destination: &'static str,
    /// TCP ports, ascending.
    pub ports: Vec<u16>,
    /// The hosts and ports the values name (none for the internet, nor for the load
    /// balancer unless `smi.dns.loadBalancer` is set).
    pub endpoints: Vec<Endpoint>,
    /// The other end's networks for cloud rules: the destination of an egress rule, the
    /// source of an ingress rule.
    pub cidrs: Vec<String>,
    /// The description column of the provider's table.
    pub description: &'static str,
}

/// The guide's table for the values' provider, filled with the values' endpoints.
pub fn connectivity_rules(smi: &Smi) -> Result<Vec<ConnectivityRule>, EndpointError> {
    let provider = smi.cloud.provider;
    NETWORK_TABLE
        .iter()
        .map(|row| fill(row, provider, smi))
        .collect()
}

fn fill(row: &Row, provider: Provider, smi: &Smi) -> Result<ConnectivityRule, EndpointError> {
    let destination = match provider {
        Provider::Aws => row.aws,
        Provider::Oci => row.oci,
    };
    let e = &smi.endpoints;
    let (endpoints, cidrs_from_values, fixed_ports): Filled<'_> = match row.service {
        LoadBalancer => {
            let endpoints = smi.dns.load_balancer.iter().flat_map(|host| {
                LOAD_BALANCER_PORTS.iter().map(move |&port| Endpoint {
                    host: host.clone(),
                    port,
                    values_path: "smi.dns.loadBalancer".to_owned(),
                })
            });
            (endpoints.collect(), None, &LOAD_BALANCER_PORTS)
        }
        Internet => (public_api_endpoints(smi), None, &[PUBLIC_API_PORT]),
        Postgresql => host_port(&e.postgresql, "postgresql"),
        Mongodb => host_port(&e.mongodb, "mongodb"),
        Redis => host_port(&e.redis, "redis"),
        Neo4j => host_port(&e.neo4j, "neo4j"),
        Smtp => host_port(&e.smtp, "smtp"),
        Kafka => (
            kafka(e)?,
            Some((&e.kafka.cidrs, "smi.endpoints.kafka.cidrs".to_owned())),
            &[],
        ),
        Activemq => {
            let mq = &e.activemq;
            let at = |port, key: &str| Endpoint {
                host: mq.host.clone(),
                port,
                values_path: format!("smi.endpoints.activemq.{key}"),
            };
            let endpoints = vec![
                at(mq.mqtt_port, "mqttPort"),
                at(mq.openwire_port, "openwirePort"),
            ];
            (
                endpoints,
                Some((&mq.cidrs, "smi.endpoints.activemq.cidrs".to_owned())),
                &[],
            )
        }
    };
    let mut ports: Vec<u16> = fixed_ports
        .iter()
        .copied()
        .chain(endpoints.iter().map(|e| e.port))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let cidrs = match cidrs_from_values {
        Some((cidrs, path)) if !cidrs.is_empty() => {
            for (index, cidr) in cidrs.iter().enumerate() {
                check_cidr(cidr, &format!("{path}[{index}]"))?;
            }
            cidrs.to_vec()
        }
        _ if row.source == Source::Internet => vec![ANY_IPV4.to_owned(), ANY_IPV6.to_owned()],
        _ => vec![ANY_IPV4.to_owned()],
    };
    Ok(ConnectivityRule {
        source: row.source,
        service: row.service,
        destination: destination.name,
        ports,
        endpoints,
        cidrs,
        description: destination.description,
    })
}

/// A public API the platform needs from the internet: the region's object storage, where
/// its buckets are (an operator can test the internet rule against it).
fn public_api_endpoints(smi: &Smi) -> Vec<Endpoint> {
    let (host, values_path) = match (smi.cloud.provider, &smi.cloud.aws, &smi.cloud.oci) {
        (Provider::Aws, Some(aws), _) => {
            let china = aws.partition.as_deref() == Some("aws-cn") || aws.region.starts_with("cn-");
            let suffix = if china {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            (
                format!("s3.{}.{suffix}", aws.region),
                "smi.cloud.aws.region",
            )
        }
        (Provider::Oci, _, Some(oci)) => (
            format!("objectstorage.{}.oraclecloud.com", oci.region),
            "smi.cloud.oci.region",
        ),
        _ => return Vec::new(),
    };
    vec![Endpoint {
        host,
        port: PUBLIC_API_PORT,
        values_path: values_path.to_owned(),
    }]
}

type Filled<'a> = (
    Vec<Endpoint>,
    Option<(&'a [String], String)>,
    &'static [u16],
);

fn host_port<'a>(endpoint: &'a HostPort, key: &str) -> Filled<'a> {
    let found = Endpoint {
        host: endpoint.host.clone(),
        port: endpoint.port,
        values_path: format!("smi.endpoints.{key}"),
    };
    (
        vec![found],
        Some((&endpoint.cidrs, format!("smi.endpoints.{key}.cidrs"))),
        &[],
    )
}

fn kafka(endpoints: &Endpoints) -> Result<Vec<Endpoint>, EndpointError> {
    let kafka = &endpoints.kafka;
    let zookeeper = kafka
        .zookeeper
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("smi.endpoints.kafka.zookeeper[{i}]"), v));
    let bootstrap = kafka
        .bootstrap
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("smi.endpoints.kafka.bootstrap[{i}]"), v));
    zookeeper
        .chain(bootstrap)
        .map(|(path, value)| parse_host_port(value, path))
        .collect()
}
