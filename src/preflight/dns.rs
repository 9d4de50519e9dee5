//! Step 1: the three DNS names resolve and, when the values name the load balancer, point
//! to it (a CNAME to its name, or the same addresses, as an alias record gives).

use std::net::IpAddr;

use super::check::{Check, Group, Progress};
use super::resolver::{Resolution, Resolver};
use crate::values::Dns;

/// The checks of step 1, run concurrently.
pub async fn check_dns(dns: &Dns, resolver: &Resolver, progress: &dyn Progress) -> Vec<Check> {
    let names = [("app", &dns.app), ("api", &dns.api), ("id", &dns.id)];
    // A load balancer given as an address has nothing to resolve.
    let lb_name = dns
        .load_balancer
        .as_deref()
        .filter(|lb| lb.parse::<IpAddr>().is_err());
    progress.add(names.len() + usize::from(lb_name.is_some()));
    let load_balancer = async {
        let lb = dns.load_balancer.as_deref()?;
        let resolved = resolver.resolve(lb).await;
        let check = lb_name.map(|lb| load_balancer_check(lb, &resolved));
        if let Some(check) = &check {
            progress.finished(check);
        }
        Some((lb, resolved, check))
    };
    let lookups = async {
        let mut found = Vec::new();
        let futures = names
            .map(|(key, name)| async move { (key, name.as_str(), resolver.resolve(name).await) });
        let [a, b, c] = futures;
        let (a, b, c) = tokio::join!(a, b, c);
        found.extend([a, b, c]);
        found
    };
    let (load_balancer, lookups) = tokio::join!(load_balancer, lookups);
    let mut checks = Vec::new();
    for (key, name, resolved) in lookups {
        let lb = load_balancer
            .as_ref()
            .map(|(lb, resolved, _)| (*lb, resolved));
        let check = name_check(key, name, &resolved, lb, resolver);
        progress.finished(&check);
        checks.push(check);
    }
    if let Some((_, _, Some(check))) = load_balancer {
        checks.push(check);
    }
    checks
}

fn load_balancer_check(lb: &str, resolved: &Result<Resolution, String>) -> Check {
    let id = "dns/loadBalancer";
    let title = format!("the load balancer {lb} resolves");
    match resolved {
        Ok(r) if !r.addresses.is_empty() => Check::pass(
            id,
            Group::Dns,
            title,
            format!("to {}", addresses(&r.addresses)),
        ),
        Ok(_) => Check::fail(id, Group::Dns, title, "no address records", hint_lb()),
        Err(e) => Check::fail(id, Group::Dns, title, e.clone(), hint_lb()),
    }
}

fn hint_lb() -> &'static str {
    "check smi.dns.loadBalancer: the ingress controller's Service shows it (`kubectl get svc -A | grep LoadBalancer`)"
}

fn name_check(
    key: &str,
    name: &str,
    resolved: &Result<Resolution, String>,
    lb: Option<(&str, &Result<Resolution, String>)>,
    resolver: &Resolver,
) -> Check {
    let id = format!("dns/{key}");
    let target = lb.map_or_else(|| "the load balancer".to_owned(), |(lb, _)| lb.to_owned());
    let create = format!(
        "create a DNS record for {name} pointing to {target} (a CNAME, or an alias/A record), then wait for its TTL"
    );
    let resolution = match resolved {
        Err(e) => {
            return Check::fail(
                id,
                Group::Dns,
                format!("{name} resolves"),
                format!("{e} (asked {})", resolver.describe()),
                create,
            );
        }
        Ok(r) if r.addresses.is_empty() => {
            return Check::fail(
                id,
                Group::Dns,
                format!("{name} resolves"),
                "no address records",
                create,
            );
        }
        Ok(r) => r,
    };
    let found = describe(resolution);
    let Some((lb, lb_resolved)) = lb else {
        return Check::pass(id, Group::Dns, format!("{name} resolves"), found);
    };
    let title = format!("{name} resolves to the load balancer");
    if points_to(resolution, lb, lb_resolved.as_ref().ok()) {
        return Check::pass(id, Group::Dns, title, found);
    }
    let lb_addresses = match lb_resolved {
        Ok(r) => addresses(&r.addresses),
        Err(_) => "nothing (it does not resolve)".to_owned(),
    };
    let detail = format!("{found}, but {lb} resolves to {lb_addresses}");
    let hint = format!(
        "point {name} to {lb} (a CNAME, or an alias record); if the load balancer changed, update smi.dns.loadBalancer"
    );
    Check::fail(id, Group::Dns, title, detail, hint)
}

/// Whether the name leads to the load balancer: through a CNAME to it, or to one of its addresses.
fn points_to(name: &Resolution, lb: &str, lb_resolved: Option<&Resolution>) -> bool {
    let normalized = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    if name.aliases.iter().any(|a| normalized(a) == normalized(lb)) {
        return true;
    }
    let lb_addresses: Vec<IpAddr> = match lb.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => lb_resolved.map(|r| r.addresses.clone()).unwrap_or_default(),
    };
    name.addresses.iter().any(|a| lb_addresses.contains(a))
}

fn describe(resolution: &Resolution) -> String {
    let mut text = format!("to {}", addresses(&resolution.addresses));
    if !resolution.aliases.is_empty() {
        text.push_str(&format!(" (via {})", resolution.aliases.join(" -> ")));
    }
    text
}

fn addresses(list: &[IpAddr]) -> String {
    if list.is_empty() {
        return "no address".to_owned();
    }
    list.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(aliases: &[&str], addresses: &[&str]) -> Resolution {
        Resolution {
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn a_cname_to_the_load_balancer_points_to_it() {
        let name = resolved(&["LB.example.com."], &["192.0.2.1"]);
        assert!(points_to(&name, "lb.example.com", None));
    }

    #[test]
    fn an_alias_record_points_to_the_load_balancer_by_its_addresses() {
        let name = resolved(&[], &["192.0.2.1", "192.0.2.2"]);
        assert!(points_to(
            &name,
            "lb.example.com",
            Some(&resolved(&[], &["192.0.2.2"]))
        ));
        assert!(!points_to(
            &name,
            "lb.example.com",
            Some(&resolved(&[], &["192.0.2.9"]))
        ));
        assert!(points_to(&name, "192.0.2.1", None));
    }
}
