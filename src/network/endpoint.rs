//! Endpoints of the network table as the values write them: `host:port` strings and CIDR
//! blocks, read strictly so that a typo is reported with its values path.

use std::net::IpAddr;

use crate::error::Hint;
use serde::Serialize;

/// One host and port a rule lets traffic reach, and where in the values it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// A DNS name or an IP address (IPv6 without brackets).
    pub host: String,
    /// The TCP port, 1 to 65535.
    pub port: u16,
    /// The values path that names it, e.g. `smi.endpoints.kafka.bootstrap[1]`.
    pub values_path: String,
}

impl Endpoint {
    /// `host:port`, with brackets around an IPv6 address.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A value of `smi.endpoints` that cannot fill the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// A `host:port` entry is not one.
    #[error("{path}: {value:?} is not host:port ({problem})")]
    HostPort {
        /// The values path of the entry, e.g. `smi.endpoints.kafka.bootstrap[1]`.
        path: String,
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A CIDR block is not one.
    #[error("{path}: {value:?} is not a CIDR block such as 10.0.0.0/16 ({problem})")]
    Cidr {
        /// The values path of the entry.
        path: String,
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl Hint for EndpointError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            EndpointError::HostPort { .. } => {
                "write each Kafka node as host:port, e.g. b-1.kafka.example.com:9096 ([::1]:9096 for IPv6)"
            }
            EndpointError::Cidr { .. } => "write an address and a prefix length, e.g. 10.0.16.0/20",
        })
    }
}

/// Reads `host:port` or `[v6]:port`.
pub fn parse_host_port(value: &str, values_path: String) -> Result<Endpoint, EndpointError> {
    let fail = |problem| EndpointError::HostPort {
        path: values_path.clone(),
        value: value.to_owned(),
        problem,
    };
    let bracketed = value.starts_with('[');
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (host, port) = rest
            .split_once("]:")
            .ok_or_else(|| fail("an IPv6 address is written [address]:port"))?;
        host.parse::<std::net::Ipv6Addr>()
            .map_err(|_| fail("not an IPv6 address between the brackets"))?;
        (host, port)
    } else {
        value.rsplit_once(':').ok_or_else(|| fail("no port"))?
    };
    if host.is_empty()
        || (!bracketed && host.contains(':'))
        || host.chars().any(char::is_whitespace)
    {
        return Err(fail("the host is empty or not a DNS name or address"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| fail("the port is not a number from 1 to 65535"))?;
    if port == 0 {
        return Err(fail("the port is not a number from 1 to 65535"));
    }
    Ok(Endpoint {
        host: host.to_owned(),
        port,
        values_path,
    })
}

/// Checks that `value` is an IPv4 or IPv6 CIDR block (`address/prefix`).
/// Errors: [`EndpointError::Cidr`] naming the values `path`.
pub fn check_cidr(value: &str, path: &str) -> Result<(), EndpointError> {
    let fail = |problem| EndpointError::Cidr {
        path: path.to_owned(),
        value: value.to_owned(),
        problem,
    };
    let (address, prefix) = value
        .split_once('/')
        .ok_or_else(|| fail("no /prefix length"))?;
    let address: IpAddr = address
        .parse()
        .map_err(|_| fail("not an IP address before the /"))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| fail("the prefix length is not a number"))?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(fail("the prefix length is too long for the address"));
    }
    Ok(())
}

/// Whether a CIDR block is IPv6 (cloud APIs put them in separate lists).
pub fn is_ipv6_cidr(cidr: &str) -> bool {
    cidr.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_nodes_are_host_and_port() {
        let ok = parse_host_port("b-1.kafka.example.com:9096", "p".into()).unwrap();
        assert_eq!((ok.host.as_str(), ok.port), ("b-1.kafka.example.com", 9096));
        let v6 = parse_host_port("[fd00::1]:2181", "p".into()).unwrap();
        assert_eq!(v6.address(), "[fd00::1]:2181");
    }

    #[test]
    fn bad_kafka_nodes_say_what_is_wrong() {
        let cases = [
            ("kafka.example.com", "no port"),
            ("kafka.example.com:99999", "the port is not a number"),
            ("kafka.example.com:0", "the port is not a number"),
            (":9096", "the host is empty"),
            ("fd00::1:9096", "the host is empty or not"),
            ("[fd00::1:9096", "written [address]:port"),
            ("[nothost]:9096", "not an IPv6 address"),
        ];
        for (value, fragment) in cases {
            let err =
                parse_host_port(value, "smi.endpoints.kafka.bootstrap[0]".into()).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(fragment), "{value}: {message}");
            assert!(
                message.starts_with("smi.endpoints.kafka.bootstrap[0]"),
                "{message}"
            );
        }
    }

    #[test]
    fn bad_cidrs_say_what_is_wrong() {
        let cases = [
            ("10.0.0.0", "no /prefix"),
            ("10.0.0/16", "not an IP address"),
            ("10.0.0.0/33", "too long"),
            ("10.0.0.0/x", "not a number"),
        ];
        for (value, fragment) in cases {
            let err = check_cidr(value, "smi.endpoints.redis.cidrs[0]").unwrap_err();
            assert!(err.to_string().contains(fragment), "{value}: {err}");
        }
        check_cidr("fd00::/8", "p").unwrap();
    }
}
