//! The network connectivity table of step 2, as data.
//!
//! AWS and OCI list the same rows under different destination names (and one different
//! description). The ports of the external systems come from the values, since the guide
//! says to adjust them to the customer's configuration: `network::connectivity_rules`
//! fills the table.

use serde::Serialize;

/// Where the traffic of a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Incoming traffic from the internet (the load balancer's row).
    Internet,
    /// Traffic from the platform's pods in the cluster.
    Kubernetes,
}

impl Source {
    /// The source column as the guide writes it: `Internet` or `Kubernetes`.
    pub fn title(self) -> &'static str {
        match self {
            Source::Internet => "Internet",
            Source::Kubernetes => "Kubernetes",
        }
    }
}

/// What a row of the table leads to, and so which values fill it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Service {
    /// The load balancer (the guide: 80/tcp and 443/tcp).
    LoadBalancer,
    /// PostgreSQL or its proxy (the guide: 5432/tcp).
    Postgresql,
    /// MongoDB (the guide: 27017/tcp).
    Mongodb,
    /// Redis (the guide: 6379/tcp).
    Redis,
    /// Kafka: AWS MSK or Apache Kafka (the guide: 2181/tcp and 9096/tcp).
    Kafka,
    /// ActiveMQ: AWS MQ or Apache ActiveMQ (the guide: MQTT 1183/tcp and 61616/tcp).
    Activemq,
    /// Neo4j (the guide: 7687/tcp).
    Neo4j,
    /// SMTP (the guide: 587/tcp, adjusted to the customer's configuration).
    Smtp,
    /// Public APIs on the internet (the guide: 443/tcp).
    Internet,
}

/// A destination as one provider's table names and describes it.
#[derive(Debug, Clone, Copy)]
pub struct Destination {
    /// The destination column ("AWS MSK", "Apache Kafka").
    pub name: &'static str,
    /// The description column.
    pub description: &'static str,
}

/// A row of the guide's table, before the values fill it.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// Where the traffic comes from.
    pub source: Source,
    /// What it goes to, and so which values fill the row.
    pub service: Service,
    /// The row as the AWS table has it.
    pub aws: Destination,
    /// The row as the OCI table has it.
    pub oci: Destination,
}

const fn same(
    name_aws: &'static str,
    name_oci: &'static str,
    description: &'static str,
) -> (Destination, Destination) {
    (
        Destination {
            name: name_aws,
            description,
        },
        Destination {
            name: name_oci,
            description,
        },
    )
}

const fn row(source: Source, service: Service, (aws, oci): (Destination, Destination)) -> Row {
    Row {
        source,
        service,
        aws,
        oci,
    }
}

use Service::*;

/// The guide's two tables (step 2), in their order.
pub const NETWORK_TABLE: [Row; 9] = [
    row(
        Source::Internet,
        LoadBalancer,
        same(
            "Load Balancer",
            "Load Balancer",
            "Incoming traffic from the internet to the load balancer",
        ),
    ),
    row(
        Source::Kubernetes,
        Postgresql,
        same(
            "PostgreSQL or Proxy",
            "OCI Database PostgreSQL",
            "PostgreSQL cluster",
        ),
    ),
    row(
        Source::Kubernetes,
        Mongodb,
        same("MongoDB", "ScaleGrid MongoDB", "MongoDB cluster"),
    ),
    row(
        Source::Kubernetes,
        Redis,
        same("Redis", "OCI Cache Redis", "Redis cluster"),
    ),
    Row {
        source: Source::Kubernetes,
        service: Kafka,
        aws: Destination {
            name: "AWS MSK",
            description: "ZooKeeper and bootstrap ports of the Kafka cluster",
        },
        oci: Destination {
            name: "Apache Kafka",
            description: "Bootstrap ports of the Kafka cluster",
        },
    },
    row(
        Source::Kubernetes,
        Activemq,
        same(
            "AWS MQ",
            "Apache ActiveMQ",
            "MQTT and TCP access to the ActiveMQ cluster",
        ),
    ),
    row(Source::Kubernetes, Neo4j, same("Neo4j", "Neo4j", "Neo4j")),
    row(
        Source::Kubernetes,
        Smtp,
        same(
            "SMTP",
            "SMTP",
            "SMTP service (adjust ports to the customer's configuration)",
        ),
    ),
    row(
        Source::Kubernetes,
        Internet,
        same("Internet", "Internet", "Services reaching public APIs"),
    ),
];

/// The note under both tables of the guide.
pub const NETWORK_TABLE_NOTE: &str = "These rules do not include the ports needed to operate or manage private networking gateways, clusters, etc.";

/// Ports the load balancer takes from the internet (step 2).
pub const LOAD_BALANCER_PORTS: [u16; 2] = [80, 443];
/// Port the platform's services reach public APIs on (step 2).
pub const PUBLIC_API_PORT: u16 = 443;
/// Every address, for rules whose other end is the internet or is not narrowed by values.
pub const ANY_IPV4: &str = "0.0.0.0/0";
/// Every IPv6 address.
pub const ANY_IPV6: &str = "::/0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_have_the_guides_rows_in_order() {
        let aws: Vec<_> = NETWORK_TABLE.iter().map(|r| r.aws.name).collect();
        assert_eq!(
            aws,
            [
                "Load Balancer",
                "PostgreSQL or Proxy",
                "MongoDB",
                "Redis",
                "AWS MSK",
                "AWS MQ",
                "Neo4j",
                "SMTP",
                "Internet"
            ]
        );
        let oci: Vec<_> = NETWORK_TABLE.iter().map(|r| r.oci.name).collect();
        assert_eq!(
            oci,
            [
                "Load Balancer",
                "OCI Database PostgreSQL",
                "ScaleGrid MongoDB",
                "OCI Cache Redis",
                "Apache Kafka",
                "Apache ActiveMQ",
                "Neo4j",
                "SMTP",
                "Internet"
            ]
        );
    }
}
