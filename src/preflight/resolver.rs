//! Name resolution for preflight: the system's resolver (what the platform's tools on this
//! machine see), or one DNS server asked directly (`--dns-server`), which shows the CNAME
//! chain and lets an operator ask the public DNS past a split-horizon VPN.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// Where names are resolved.
pub enum Resolver {
    /// getaddrinfo: /etc/hosts, the system's DNS servers and search domains.
    System {
        /// How long one lookup may take.
        timeout: Duration,
    },
    /// One DNS server, over UDP with TCP fallback.
    Server {
        /// The DNS server's address (`--dns-server`).
        address: SocketAddr,
        /// A hickory resolver asking only that server.
        resolver: Box<TokioResolver>,
        /// How long one lookup may take.
        timeout: Duration,
    },
}

/// What a name resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Canonical names followed on the way (from a DNS server only).
    pub aliases: Vec<String>,
    /// The IPv4 and IPv6 addresses (A and AAAA records, or getaddrinfo's answer).
    pub addresses: Vec<IpAddr>,
}

impl Resolver {
    /// A resolver using the system's configuration, `timeout` per lookup.
    pub fn system(timeout: Duration) -> Resolver {
        Resolver::System { timeout }
    }

    /// A resolver that asks only `address`.
    pub fn server(address: SocketAddr, timeout: Duration) -> Result<Resolver, String> {
        let mut connections = vec![ConnectionConfig::udp(), ConnectionConfig::tcp()];
        for connection in &mut connections {
            connection.port = address.port();
        }
        let server = NameServerConfig::new(address.ip(), true, connections);
        let config = ResolverConfig::from_parts(None, Vec::new(), vec![server]);
        let mut options = ResolverOpts::default();
        options.timeout = timeout;
        options.attempts = 1;
        options.cache_size = 0;
        options.ndots = 0;
        // Only the server asked: /etc/hosts would hide what it answers.
        options.use_hosts_file = ResolveHosts::Never;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Resolver::Server {
            address,
            resolver: Box::new(resolver),
            timeout,
        })
    }

    /// Describes where names are resolved, for the report.
    pub fn describe(&self) -> String {
        match self {
            Resolver::System { .. } => "the system resolver".to_owned(),
            Resolver::Server { address, .. } => format!("DNS server {address}"),
        }
    }

    /// Resolves `host` (an IP address resolves to itself).
    pub async fn resolve(&self, host: &str) -> Result<Resolution, String> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(Resolution {
                aliases: Vec::new(),
                addresses: vec![ip],
            });
        }
        match self {
            Resolver::System { timeout } => {
                let lookup = tokio::net::lookup_host((host, 0));
                let found = tokio::time::timeout(*timeout, lookup)
                    .await
                    .map_err(|_| format!("no answer within {}", seconds(*timeout)))?
                    .map_err(|e| e.to_string())?;
                let mut addresses: Vec<IpAddr> = found.map(|a| a.ip()).collect();
                addresses.dedup();
                Ok(Resolution {
                    aliases: Vec::new(),
                    addresses,
                })
            }
            Resolver::Server {
                resolver, timeout, ..
            } => {
                // The name is absolute: search domains of this machine must not apply.
                let absolute = if host.ends_with('.') {
                    host.to_owned()
                } else {
                    format!("{host}.")
                };
                let lookup = tokio::time::timeout(
                    *timeout + Duration::from_millis(200),
                    resolver.lookup_ip(absolute),
                )
                .await
                .map_err(|_| format!("no answer within {}", seconds(*timeout)))?
                .map_err(|e| e.to_string())?;
                let mut resolution = Resolution::default();
                for record in lookup.as_lookup().answers() {
                    match &record.data {
                        RData::CNAME(name) => resolution
                            .aliases
                            .push(name.0.to_string().trim_end_matches('.').to_owned()),
                        RData::A(a) => resolution.addresses.push(IpAddr::V4(a.0)),
                        RData::AAAA(aaaa) => resolution.addresses.push(IpAddr::V6(aaaa.0)),
                        _ => {}
                    }
                }
                Ok(resolution)
            }
        }
    }
}

/// `3s`, `1.5s`.
pub fn seconds(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(resolver: &Resolver, host: &str) -> Result<Resolution, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(resolver.resolve(host))
    }

    #[test]
    fn addresses_resolve_to_themselves_without_asking_anyone() {
        let resolver = Resolver::system(Duration::from_secs(1));
        let v6 = resolve(&resolver, "[fd00::1]").unwrap();
        assert_eq!(v6.addresses, ["fd00::1".parse::<IpAddr>().unwrap()]);
        assert_eq!(
            resolve(&resolver, "192.0.2.7").unwrap().addresses,
            ["192.0.2.7".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn the_system_resolver_reads_the_hosts_file() {
        let resolver = Resolver::system(Duration::from_secs(2));
        let localhost = resolve(&resolver, "localhost").unwrap();
        assert!(
            localhost.addresses.iter().all(IpAddr::is_loopback) && !localhost.addresses.is_empty(),
            "{localhost:?}"
        );
    }
}
