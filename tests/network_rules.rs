//! `kubectl smi network rules`: the guide's table of step 2 for each provider, filled from
//! the example values, pinned by golden files (UPDATE_GOLDEN=1 rewrites them), and the cloud
//! rules read back into the AWS and OCI API models.

use serde::Deserialize;

use crate::support::golden::assert_golden;
use crate::support::{example, kubectl_smi, ok, write_file};

fn rules(values: &str, format: &str) -> String {
    ok(kubectl_smi()
        .args(["network", "rules", "-f"])
        .arg(example(values))
        .args(["-o", format]))
}

#[test]
fn the_aws_and_oci_tables_match_their_golden_files() {
    for (values, provider) in [("values-aws.yaml", "aws"), ("values-oci.yaml", "oci")] {
        let mut formats = vec!["text", "json", provider];
        if provider == "oci" {
            formats.push("oci-nsg");
        }
        for format in formats {
            let extension = if format == "text" { "txt" } else { "json" };
            assert_golden(
                &format!("network/{provider}-{format}.{extension}"),
                &rules(values, format),
            );
        }
    }
}

#[test]
fn the_aws_table_uses_the_aws_destination_names_and_the_oci_table_the_oci_ones() {
    let aws = rules("values-aws.yaml", "text");
    assert!(
        aws.contains("AWS MSK")
            && aws.contains("PostgreSQL or Proxy")
            && !aws.contains("ScaleGrid"),
        "{aws}"
    );
    let oci = rules("values-oci.yaml", "text");
    assert!(
        oci.contains("OCI Cache Redis")
            && oci.contains("Apache ActiveMQ")
            && !oci.contains("AWS MQ"),
        "{oci}"
    );
}

#[test]
fn the_smtp_port_comes_from_the_values() {
    let irsa = rules("values-aws-irsa.yaml", "json");
    let json: serde_json::Value = serde_json::from_str(&irsa).unwrap();
    let smtp = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == "smtp")
        .unwrap();
    assert_eq!(smtp["ports"], serde_json::json!([2525]));
    assert_eq!(smtp["endpoints"][0]["host"], "smtp.staging.internal");
}

// The AWS API's models (EC2 IpPermission, IpRange, Ipv6Range), written from the EC2 API
// reference independently of the tool's own types; unknown fields are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeSecurityGroupRequest {
    #[serde(rename = "GroupId")]
    _group_id: Option<String>,
    #[serde(rename = "IpPermissions")]
    ip_permissions: Vec<IpPermission>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct IpPermission {
    ip_protocol: String,
    from_port: i32,
    to_port: i32,
    #[serde(default)]
    ip_ranges: Vec<IpRange>,
    #[serde(default)]
    ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default)]
    prefix_list_ids: Vec<serde_json::Value>,
    #[serde(default)]
    user_id_group_pairs: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct IpRange {
    cidr_ip: String,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Ipv6Range {
    cidr_ipv6: String,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct AwsOutput {
    authorize_security_group_ingress: AuthorizeSecurityGroupRequest,
    authorize_security_group_egress: AuthorizeSecurityGroupRequest,
}

/// Security group rule descriptions: up to 255 of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*.
fn aws_description_ok(text: &str) -> bool {
    text.len() <= 255
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
}

#[test]
fn aws_rules_parse_as_ec2_ip_permissions_with_valid_descriptions() {
    let output: AwsOutput = serde_json::from_str(&rules("values-aws.yaml", "aws")).unwrap();
    let ingress = &output.authorize_security_group_ingress.ip_permissions;
    let ports: Vec<i32> = ingress.iter().map(|p| p.from_port).collect();
    assert_eq!(
        ports,
        [80, 443],
        "the internet reaches the load balancer on 80 and 443"
    );
    assert!(
        ingress
            .iter()
            .all(|p| p.ip_ranges[0].cidr_ip == "0.0.0.0/0" && p.ipv6_ranges[0].cidr_ipv6 == "::/0")
    );
    let egress = &output.authorize_security_group_egress.ip_permissions;
    let mut egress_ports: Vec<i32> = egress.iter().map(|p| p.from_port).collect();
    egress_ports.sort();
    assert_eq!(
        egress_ports,
        [443, 587, 1183, 2181, 5432, 6379, 7687, 9096, 27017, 61616]
    );
    for permission in ingress.iter().chain(egress) {
        assert_eq!(permission.ip_protocol, "tcp");
        assert_eq!(permission.from_port, permission.to_port);
        assert!(permission.prefix_list_ids.is_empty() && permission.user_id_group_pairs.is_empty());
        let descriptions = permission
            .ip_ranges
            .iter()
            .filter_map(|r| r.description.as_deref());
        let v6 = permission
            .ipv6_ranges
            .iter()
            .filter_map(|r| r.description.as_deref());
        for description in descriptions.chain(v6) {
            assert!(
                aws_description_ok(description),
                "EC2 refuses the description {description:?}"
            );
        }
    }
}

// The OCI API's models (core.EgressSecurityRule, IngressSecurityRule, AddSecurityRuleDetails,
// TcpOptions, PortRange), from the OCI API reference.
/// UpdateSecurityListDetails: both rule lists are optional (one not given is left as it is).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SecurityList {
    #[serde(default)]
    ingress_security_rules: Vec<IngressSecurityRule>,
    #[serde(default)]
    egress_security_rules: Vec<EgressSecurityRule>,
}

/// The OCI outputs without --target: one request body per target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PerTarget<T> {
    load_balancer: T,
    workers: T,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IngressSecurityRule {
    source: String,
    source_type: Option<String>,
    protocol: String,
    is_stateless: Option<bool>,
    tcp_options: Option<TcpOptions>,
    udp_options: Option<serde_json::Value>,
    icmp_options: Option<serde_json::Value>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EgressSecurityRule {
    destination: String,
    destination_type: Option<String>,
    protocol: String,
    is_stateless: Option<bool>,
    tcp_options: Option<TcpOptions>,
    udp_options: Option<serde_json::Value>,
    icmp_options: Option<serde_json::Value>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TcpOptions {
    destination_port_range: Option<PortRange>,
    source_port_range: Option<PortRange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PortRange {
    min: u16,
    max: u16,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddNetworkSecurityGroupSecurityRulesDetails {
    security_rules: Vec<AddSecurityRuleDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddSecurityRuleDetails {
    direction: String,
    source: Option<String>,
    source_type: Option<String>,
    destination: Option<String>,
    destination_type: Option<String>,
    protocol: String,
    is_stateless: Option<bool>,
    tcp_options: Option<TcpOptions>,
    description: Option<String>,
}

fn tcp_port(options: &Option<TcpOptions>) -> u16 {
    let range = options
        .as_ref()
        .unwrap()
        .destination_port_range
        .as_ref()
        .unwrap();
    assert_eq!(range.min, range.max);
    range.min
}

#[test]
fn oci_rules_parse_as_security_list_and_nsg_rules() {
    let lists: PerTarget<SecurityList> =
        serde_json::from_str(&rules("values-oci.yaml", "oci")).unwrap();
    assert!(
        lists.load_balancer.egress_security_rules.is_empty()
            && lists.workers.ingress_security_rules.is_empty(),
        "the load balancer's list gets ingress only, the workers' egress only"
    );
    for rule in &lists.load_balancer.ingress_security_rules {
        assert_eq!(
            (rule.protocol.as_str(), rule.source_type.as_deref()),
            ("6", Some("CIDR_BLOCK"))
        );
        assert!(rule.source == "0.0.0.0/0" || rule.source == "::/0");
        assert!(matches!(tcp_port(&rule.tcp_options), 80 | 443));
        assert!(
            rule.udp_options.is_none()
                && rule.icmp_options.is_none()
                && rule.is_stateless == Some(false)
        );
        assert!(
            rule.description
                .as_deref()
                .is_some_and(|d| d.contains("Load Balancer"))
        );
    }
    let mut egress: Vec<u16> = lists
        .workers
        .egress_security_rules
        .iter()
        .map(|r| tcp_port(&r.tcp_options))
        .collect();
    egress.sort();
    assert_eq!(
        egress,
        [443, 587, 1183, 2181, 5432, 6379, 7687, 9096, 27017, 61616]
    );
    for rule in &lists.workers.egress_security_rules {
        assert_eq!(
            (rule.protocol.as_str(), rule.destination_type.as_deref()),
            ("6", Some("CIDR_BLOCK"))
        );
        assert!(
            rule.description
                .as_deref()
                .is_some_and(|d| d.len() <= 255 && d.starts_with("smi prod: "))
        );
        assert!(
            rule.tcp_options
                .as_ref()
                .unwrap()
                .source_port_range
                .is_none()
        );
        assert_eq!(rule.destination, "0.0.0.0/0");
        assert!(
            rule.udp_options.is_none()
                && rule.icmp_options.is_none()
                && rule.is_stateless == Some(false)
        );
    }
    let nsgs: PerTarget<AddNetworkSecurityGroupSecurityRulesDetails> =
        serde_json::from_str(&rules("values-oci.yaml", "oci-nsg")).unwrap();
    assert_eq!(
        nsgs.load_balancer.security_rules.len(),
        lists.load_balancer.ingress_security_rules.len(),
        "one NSG rule per security list rule"
    );
    assert_eq!(
        nsgs.workers.security_rules.len(),
        lists.workers.egress_security_rules.len(),
        "one NSG rule per security list rule"
    );
    for rule in &nsgs.load_balancer.security_rules {
        assert_eq!(rule.direction, "INGRESS");
        assert!(rule.source.is_some() && rule.destination.is_none());
    }
    for rule in &nsgs.workers.security_rules {
        assert_eq!(rule.direction, "EGRESS");
        assert!(rule.destination.is_some() && rule.source_type.is_none());
    }
    for rule in nsgs
        .load_balancer
        .security_rules
        .iter()
        .chain(&nsgs.workers.security_rules)
    {
        assert_eq!(rule.protocol, "6");
        assert!(
            rule.is_stateless == Some(false)
                && rule.description.is_some()
                && rule.tcp_options.is_some()
        );
        assert!(rule.source_type.is_some() || rule.destination_type.is_some());
    }
}

#[test]
fn cidrs_in_the_values_narrow_the_egress_rules() {
    let dir = tempfile::tempdir().unwrap();
    let values = std::fs::read_to_string(example("values-oci.yaml")).unwrap().replace(
        "postgresql: {host: dtp-prod.postgresql.eu-frankfurt-1.oci.oraclecloud.com, port: 5432}",
        "postgresql: {host: dtp-prod.postgresql.eu-frankfurt-1.oci.oraclecloud.com, port: 5432, cidrs: [10.0.16.0/20, 'fd00::/64']}",
    );
    let path = write_file(dir.path(), "values.yaml", &values);
    let stdout = ok(kubectl_smi()
        .args(["network", "rules", "-o", "oci", "--target", "workers", "-f"])
        .arg(&path));
    let list: SecurityList = serde_json::from_str(&stdout).unwrap();
    let postgres: Vec<&str> = list
        .egress_security_rules
        .iter()
        .filter(|r| tcp_port(&r.tcp_options) == 5432)
        .map(|r| r.destination.as_str())
        .collect();
    assert_eq!(postgres, ["10.0.16.0/20", "fd00::/64"]);
}

#[test]
fn the_text_table_shows_the_cidrs_of_each_rule_and_what_the_default_egress_rule_means() {
    let dir = tempfile::tempdir().unwrap();
    let values = std::fs::read_to_string(example("values-oci.yaml")).unwrap().replace(
        "postgresql: {host: dtp-prod.postgresql.eu-frankfurt-1.oci.oraclecloud.com, port: 5432}",
        "postgresql: {host: dtp-prod.postgresql.eu-frankfurt-1.oci.oraclecloud.com, port: 5432, cidrs: [10.0.16.0/20, 'fd00::/64']}",
    );
    let path = write_file(dir.path(), "values.yaml", &values);
    let text = ok(kubectl_smi().args(["network", "rules", "-f"]).arg(&path));
    let header = text.lines().find(|l| l.starts_with("SOURCE")).unwrap();
    let column = header.find("CIDRS").expect("a CIDRS column");
    let cidrs_at = |row: &str| {
        row.get(column..)
            .unwrap_or("")
            .split(' ')
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let lines: Vec<&str> = text.lines().collect();
    let postgres = lines
        .iter()
        .position(|l| l.contains(":5432"))
        .expect("the PostgreSQL row");
    assert_eq!(cidrs_at(lines[postgres]), "10.0.16.0/20", "{text}");
    assert_eq!(cidrs_at(lines[postgres + 1]), "fd00::/64", "{text}");
    let internet = lines.iter().find(|l| l.starts_with("Internet")).unwrap();
    assert_eq!(cidrs_at(internet), "0.0.0.0/0", "{text}");
    assert!(
        text.contains("a VCN's default security list allows all egress")
            && text.contains("restrict\nnothing"),
        "{text}"
    );
    let aws = rules("values-aws.yaml", "text");
    assert!(
        aws.contains("a security group starts with an allow-all egress rule")
            && aws.contains("aws ec2 revoke-security-group-egress --group-id <nodes group>"),
        "{aws}"
    );
}

/// The AWS example with its two bootstrap brokers written as one string, as `aws kafka
/// get-bootstrap-brokers` prints them (`written` is the YAML after `bootstrap: `).
fn msk_values(written: &str) -> String {
    let list = "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n";
    let original = std::fs::read_to_string(example("values-aws.yaml")).unwrap();
    assert!(original.contains(list));
    original.replacen(list, &format!("      bootstrap: {written}\n"), 1)
}

#[test]
fn an_msk_bootstrap_string_fills_the_table_as_the_list_does() {
    let dir = tempfile::tempdir().unwrap();
    for written in [
        "b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096,b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096",
        "\"b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096 , b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\"",
    ] {
        let path = write_file(dir.path(), "values.yaml", &msk_values(written));
        for format in ["json", "aws", "text"] {
            let msk = ok(kubectl_smi()
                .args(["network", "rules", "-o", format, "-f"])
                .arg(&path));
            assert_eq!(
                msk,
                rules("values-aws.yaml", format),
                "{written} -o {format}"
            );
        }
    }
}

#[test]
fn bad_endpoints_are_refused_with_their_values_path() {
    let cases = [
        (
            "- b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096",
            "- b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com",
            ":45:11: smi.endpoints.kafka.bootstrap[0]: found \"b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com\"; expected a host:port address",
        ),
        (
            "- z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181",
            "- z-1:70000",
            ":48:11: smi.endpoints.kafka.zookeeper[0]: found \"z-1:70000\"; expected a host:port address",
        ),
        (
            "redis: {host: master.dtp-prod.abc123.use1.cache.amazonaws.com, port: 6379}",
            "redis: {host: r, port: 6379, cidrs: [10.0.0.0/40]}",
            ":42:42: smi.endpoints.redis.cidrs[0]: found \"10.0.0.0/40\"; expected a network in CIDR notation",
        ),
    ];
    let cases = cases.into_iter().chain([(
        "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n",
        "      bootstrap: b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096, b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096,\n",
        ":44:133: smi.endpoints.kafka.bootstrap[2]: found an empty item after the last comma (a trailing comma)",
    )]);
    for (from, to, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read_to_string(example("values-aws.yaml")).unwrap();
        assert!(original.contains(from), "{from}");
        let path = write_file(dir.path(), "values.yaml", &original.replacen(from, to, 1));
        let out = kubectl_smi()
            .args(["network", "rules", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(message),
            "expected {message:?} in:\n{stderr}"
        );
        assert!(stderr.contains("hint:"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn cloud_rules_of_the_other_provider_are_refused() {
    let out = kubectl_smi()
        .args(["network", "rules", "-o", "oci", "-f"])
        .arg(example("values-aws.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the values are for aws, so `-o oci` does not apply"),
        "{stderr}"
    );
}

/// The CIDRs a cloud rule body lets in from (INGRESS) or sends to (EGRESS), by direction.
fn directions(body: &serde_json::Value) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    for rule in body["ingressSecurityRules"]
        .as_array()
        .into_iter()
        .flatten()
    {
        found.push(("INGRESS", text(&rule["source"])));
    }
    for rule in body["egressSecurityRules"].as_array().into_iter().flatten() {
        found.push(("EGRESS", text(&rule["destination"])));
    }
    for rule in body["securityRules"].as_array().into_iter().flatten() {
        match rule["direction"].as_str() {
            Some("INGRESS") => found.push(("INGRESS", text(&rule["source"]))),
            _ => found.push(("EGRESS", text(&rule["destination"]))),
        }
    }
    for permission in body["IpPermissions"].as_array().into_iter().flatten() {
        for range in permission["IpRanges"].as_array().into_iter().flatten() {
            found.push(("IpPermissions", text(&range["CidrIp"])));
        }
        for range in permission["Ipv6Ranges"].as_array().into_iter().flatten() {
            found.push(("IpPermissions", text(&range["CidrIpv6"])));
        }
    }
    found
}

#[test]
fn no_cloud_output_puts_internet_ingress_where_the_workers_rules_go() {
    let cases = [
        (
            "values-aws.yaml",
            "aws",
            [
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
            ],
        ),
        ("values-oci.yaml", "oci", ["loadBalancer", "workers"]),
        ("values-oci.yaml", "oci-nsg", ["loadBalancer", "workers"]),
    ];
    for (values, format, [load_balancer_key, workers_key]) in cases {
        let whole: serde_json::Value = serde_json::from_str(&rules(values, format)).unwrap();
        let object = whole.as_object().unwrap();
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            [load_balancer_key, workers_key],
            "-o {format}: the whole output is keyed by target, so it is no request body of its own"
        );
        for (target, key) in [
            ("load-balancer", load_balancer_key),
            ("workers", workers_key),
        ] {
            let stdout = ok(kubectl_smi()
                .args(["network", "rules", "-o", format, "--target", target, "-f"])
                .arg(example(values)));
            let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(
                body, whole[key],
                "-o {format} --target {target} is that target's half"
            );
            let found = directions(&body);
            assert!(!found.is_empty(), "-o {format} --target {target} has rules");
            for (direction, cidr) in found {
                if target == "workers" {
                    assert_ne!(
                        direction, "INGRESS",
                        "-o {format}: the workers get no ingress rule"
                    );
                } else {
                    assert_ne!(
                        direction, "EGRESS",
                        "-o {format}: the load balancer gets no egress rule"
                    );
                    assert!(
                        cidr == "0.0.0.0/0" || cidr == "::/0",
                        "-o {format}: the load balancer's rules are the internet's ({cidr})"
                    );
                }
            }
        }
    }
    // `nodes` names the workers too (EKS says node group, OKE worker nodes).
    let nodes = ok(kubectl_smi()
        .args(["network", "rules", "-o", "aws", "--target", "nodes", "-f"])
        .arg(example("values-aws.yaml")));
    let nodes: serde_json::Value = serde_json::from_str(&nodes).unwrap();
    let whole: serde_json::Value = serde_json::from_str(&rules("values-aws.yaml", "aws")).unwrap();
    assert_eq!(nodes, whole["AuthorizeSecurityGroupEgress"]);
}

#[test]
fn a_target_without_a_cloud_format_is_a_usage_error() {
    for format in ["text", "json"] {
        let out = kubectl_smi()
            .args([
                "network", "rules", "-o", format, "--target", "workers", "-f",
            ])
            .arg(example("values-oci.yaml"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("use it with -o aws, oci or oci-nsg"),
            "{stderr}"
        );
    }
}
