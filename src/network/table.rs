//! The filled connectivity table as text, in the guide's columns plus the networks the cloud
//! rules open and the endpoints, then what the rules do not do on their own.

use super::ConnectivityRule;
use crate::catalog::NETWORK_TABLE_NOTE;
use crate::values::Provider;

/// The rules as an aligned text table (source, destination, ports, CIDRs, endpoints,
/// description) under a heading naming the cloud and `environment`, followed by the guide's
/// note and what the default egress rules of the provider mean for them.
pub fn rules_table(provider: Provider, environment: &str, rules: &[ConnectivityRule]) -> String {
    let cloud = match provider {
        Provider::Aws => "Amazon Web Services",
        Provider::Oci => "Oracle Cloud Infrastructure",
    };
    let header = [
        "SOURCE",
        "DESTINATION",
        "PORT",
        "CIDRS",
        "ENDPOINTS",
        "DESCRIPTION",
    ];
    let mut rows: Vec<[String; 6]> = Vec::new();
    for rule in rules {
        let ports = rule
            .ports
            .iter()
            .map(|p| format!("{p}/tcp"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut endpoints: Vec<String> = rule.endpoints.iter().map(|e| e.address()).collect();
        endpoints.dedup();
        if endpoints.is_empty() {
            endpoints.push("-".to_owned());
        }
        let lines = endpoints.len().max(rule.cidrs.len());
        for i in 0..lines {
            let first = i == 0;
            let cell = |s: &str| if first { s.to_owned() } else { String::new() };
            rows.push([
                cell(rule.source.title()),
                cell(rule.destination),
                cell(&ports),
                rule.cidrs.get(i).cloned().unwrap_or_default(),
                endpoints.get(i).cloned().unwrap_or_default(),
                cell(rule.description),
            ]);
        }
    }
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        format!("{}\n", text.trim_end())
    };
    let mut out = format!(
        "Network connectivity rules for {cloud}, environment {environment} (step 2 of the guide)\n\n"
    );
    out.push_str(&line(header));
    for row in &rows {
        out.push_str(&line([
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[5],
        ]));
    }
    out.push_str(&format!("\n{NETWORK_TABLE_NOTE}\n"));
    out.push_str(
        "CIDRS are the networks the cloud rules (-o aws, oci, oci-nsg) open: the source of the\nInternet rows (ingress to the load balancer), the destination of the others (egress from\nthe worker nodes). smi.endpoints.<system>.cidrs narrows a system's rows to its networks;\nwithout it they allow any address (0.0.0.0/0) on their ports.\n",
    );
    out.push('\n');
    out.push_str(default_egress_note(provider));
    out
}

/// Why the egress rules restrict nothing on their own: the provider's default allow-all
/// egress, and how to find and remove it.
pub fn default_egress_note(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => {
            "Egress: a security group starts with an allow-all egress rule (all protocols to\n0.0.0.0/0, and to ::/0 in a dual-stack VPC), and the groups EKS creates for nodes keep\nit. While the nodes' group has it, the egress rules above restrict nothing: they only\nadd to it. To restrict, apply the rules, then revoke the allow-all rule (`network rules\n--apply` or --dry-run names it; kubectl-smi never revokes it):\n  aws ec2 revoke-security-group-egress --group-id <nodes group> \\\n    --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'\nand the same with Ipv6Ranges=[{CidrIpv6=::/0}] where it exists. Check first what else\nthe nodes reach (the EKS API, ECR, the VPC's DNS resolver): every such destination then\nneeds an egress rule of its own.\n"
        }
        Provider::Oci => {
            "Egress: a VCN's default security list allows all egress (all protocols to 0.0.0.0/0),\nand OCI allows a packet if any security list of the subnet or any NSG of the VNIC\nallows it. While the workers' subnet has such a list, the egress rules above restrict\nnothing: they only add to it. To restrict, remove the allow-all egress rule from the\nworkers' subnet's security lists (the console, or `oci network security-list update\n--egress-security-rules` with the rules to keep) once the rules are in place. Check\nfirst what else the nodes reach (the Kubernetes API, the OCI registry, the Oracle\nServices Network): every such destination then needs an egress rule of its own.\n"
        }
    }
}
