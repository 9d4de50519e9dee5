//! `kubectl smi network rules --apply / --delete / --dry-run` against moto's EC2 (which
//! implements security groups and their rules): the rules `-o aws` prints are the rules
//! `--apply` authorizes, identical rules are left alone, `--delete` revokes exactly the rules
//! carrying the environment's description prefix.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::aws::{Moto, ThrottlingProxy, isolate};
use crate::support::{example, kubectl_smi, ok, runtime, write_file};

fn ec2_client(url: &str) -> aws_sdk_ec2::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .http_client(http)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

/// A VPC with two security groups: (nodes, load balancer).
fn groups(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    runtime().block_on(async {
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.0.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
        let mut ids = Vec::new();
        for name in ["nodes", "alb"] {
            let sg = ec2
                .create_security_group()
                .group_name(name)
                .description(name)
                .vpc_id(&vpc)
                .send()
                .await
                .unwrap();
            ids.push(sg.group_id().unwrap().to_owned());
        }
        (ids[0].clone(), ids[1].clone())
    })
}

/// (direction, port, cidr, description) of every rule of `group`.
fn rules_of(ec2: &aws_sdk_ec2::Client, group: &str) -> BTreeSet<(String, i32, String, String)> {
    runtime().block_on(async {
        let out = ec2
            .describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(group)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.security_group_rules()
            .iter()
            .map(|r| {
                (
                    if r.is_egress().unwrap() {
                        "egress"
                    } else {
                        "ingress"
                    }
                    .to_owned(),
                    r.from_port().unwrap(),
                    r.cidr_ipv4()
                        .or(r.cidr_ipv6())
                        .unwrap_or_default()
                        .to_owned(),
                    r.description().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    })
}

/// (port, cidr, description) of the `-o aws --target TARGET` output.
fn printed(target: &str) -> BTreeSet<(i32, String, String)> {
    let json: Value = serde_json::from_str(&ok(kubectl_smi()
        .args(["network", "rules", "-o", "aws", "--target", target, "-f"])
        .arg(example("values-aws.yaml"))))
    .unwrap();
    let mut out = BTreeSet::new();
    for p in json["IpPermissions"].as_array().unwrap() {
        let port = p["FromPort"].as_i64().unwrap() as i32;
        for r in p["IpRanges"].as_array().into_iter().flatten() {
            out.insert((
                port,
                r["CidrIp"].as_str().unwrap().to_owned(),
                r["Description"].as_str().unwrap().to_owned(),
            ));
        }
        for r in p["Ipv6Ranges"].as_array().into_iter().flatten() {
            out.insert((
                port,
                r["CidrIpv6"].as_str().unwrap().to_owned(),
                r["Description"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

fn nodes_values(dir: &Path, nodes: &str) -> PathBuf {
    write_file(
        dir,
        "groups.yaml",
        &format!("smi:\n  cloud:\n    aws:\n      securityGroups:\n        nodes: {nodes}\n"),
    )
}

fn run(moto: &Moto, extra: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = kubectl_smi();
    moto.env(&mut cmd);
    cmd.args(["network", "rules"])
        .args(args)
        .arg("-f")
        .arg(example("values-aws.yaml"))
        .arg("-f")
        .arg(extra)
        .assert()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn apply_authorizes_what_o_aws_prints_on_the_nodes_group_and_a_second_apply_changes_nothing() {
    let Some(moto) = Moto::start(&[]) else { return };
    let ec2 = ec2_client(&moto.url);
    let (nodes, _) = groups(&ec2);
    let tmp = tempfile::tempdir().unwrap();
    let extra = nodes_values(tmp.path(), &nodes);
    let before = rules_of(&ec2, &nodes);

    let plan = stdout(&run(&moto, &extra, &["--dry-run"]).success());
    assert!(plan.starts_with("plan: "), "{plan}");
    assert_eq!(rules_of(&ec2, &nodes), before, "a dry run changes nothing");

    let applied = run(&moto, &extra, &["--apply"]).success();
    let text = stdout(&applied);
    assert!(text.contains("authorized "), "{text}");
    assert!(
        stderr(&applied).contains("internet ingress rule(s) printed but not applied"),
        "{}",
        stderr(&applied)
    );
    assert!(
        stderr(&applied).contains("service.beta.kubernetes.io/aws-load-balancer-security-groups")
    );
    let now: BTreeSet<(i32, String, String)> = rules_of(&ec2, &nodes)
        .difference(&before)
        .map(|(direction, port, cidr, description)| {
            assert_eq!(direction, "egress");
            (*port, cidr.clone(), description.clone())
        })
        .collect();
    assert_eq!(
        now,
        printed("workers"),
        "--apply authorizes what -o aws prints"
    );
    assert!(now.iter().all(|(_, _, d)| d.starts_with("smi prod: ")));

    let again = stdout(&run(&moto, &extra, &["--apply"]).success());
    assert!(
        again.starts_with("nothing to change\nalready present, left alone ("),
        "{again}"
    );
}

#[test]
fn ingress_goes_only_on_the_load_balancer_group_the_user_names() {
    let Some(moto) = Moto::start(&[]) else { return };
    let ec2 = ec2_client(&moto.url);
    let (nodes, alb) = groups(&ec2);
    let tmp = tempfile::tempdir().unwrap();
    let extra = nodes_values(tmp.path(), &nodes);
    let out = run(
        &moto,
        &extra,
        &["--apply", "--load-balancer-security-group", &alb],
    )
    .success();
    assert!(!stderr(&out).contains("not applied"), "{}", stderr(&out));
    let ingress: BTreeSet<(i32, String, String)> = rules_of(&ec2, &alb)
        .into_iter()
        .filter(|r| r.0 == "ingress")
        .map(|(_, port, cidr, d)| (port, cidr, d))
        .collect();
    assert_eq!(ingress, printed("load-balancer"));
    assert!(ingress.iter().all(|(port, _, _)| [80, 443].contains(port)));
    assert!(
        rules_of(&ec2, &nodes).iter().all(|r| r.0 == "egress"),
        "the nodes' group opens nothing to the internet"
    );
}

#[test]
fn delete_revokes_exactly_the_rules_with_the_environments_prefix() {
    let Some(moto) = Moto::start(&[]) else { return };
    let ec2 = ec2_client(&moto.url);
    let (nodes, _) = groups(&ec2);
    runtime().block_on(async {
        ec2.authorize_security_group_egress()
            .group_id(&nodes)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(8443)
                    .to_port(8443)
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("10.9.0.0/16")
                            .description("smi prod2: another environment")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let before = rules_of(&ec2, &nodes);
    let tmp = tempfile::tempdir().unwrap();
    let extra = nodes_values(tmp.path(), &nodes);
    run(&moto, &extra, &["--apply"]).success();
    assert!(rules_of(&ec2, &nodes).len() > before.len());

    let plan = stdout(&run(&moto, &extra, &["--delete", "--dry-run"]).success());
    assert!(plan.contains("  revoke sgr-"), "{plan}");
    // --delete alone plans too, as `policies delete` does: revoking needs --apply.
    let applied = rules_of(&ec2, &nodes);
    let planned = stdout(&run(&moto, &extra, &["--delete"]).success());
    assert!(
        planned.contains("  revoke sgr-")
            && planned.ends_with("to revoke them: the same command with --apply\n"),
        "{planned}"
    );
    assert_eq!(
        rules_of(&ec2, &nodes),
        applied,
        "--delete alone changes nothing"
    );
    let deleted = stdout(&run(&moto, &extra, &["--delete", "--apply"]).success());
    assert!(deleted.contains("revoked "), "{deleted}");
    assert_eq!(
        rules_of(&ec2, &nodes),
        before,
        "the default rule and another environment's rule stay"
    );
    let again = stdout(&run(&moto, &extra, &["--delete", "--apply"]).success());
    assert_eq!(again, "nothing to change\n");
}

#[test]
fn bad_groups_and_providers_are_refused_before_any_change() {
    let Some(moto) = Moto::start(&[]) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let missing = nodes_values(tmp.path(), "sg-0123456789abcdef0");
    let out = run(&moto, &missing, &["--apply"]).code(1);
    assert!(
        stderr(&out).contains("security group sg-0123456789abcdef0 does not exist"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");

    let none = write_file(tmp.path(), "none.yaml", "smi: {}\n");
    let out = run(&moto, &none, &["--apply"]).code(1);
    assert!(
        stderr(&out).contains("no security group for the worker nodes"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--nodes-security-group"));

    let out = run(
        &moto,
        &none,
        &["--apply", "--nodes-security-group", "my-nodes"],
    )
    .code(2);
    assert!(
        stderr(&out).contains("is not an EC2 security group id"),
        "{}",
        stderr(&out)
    );

    // --delete --apply without a group is refused like --apply alone, before any call.
    let out = run(&moto, &none, &["--apply", "--delete"]).code(1);
    assert!(
        stderr(&out).contains("no security group for the worker nodes"),
        "{}",
        stderr(&out)
    );

    let bad_schema = write_file(
        tmp.path(),
        "bad.yaml",
        "smi:\n  cloud:\n    aws:\n      securityGroups:\n        nodes: nodes-group\n",
    );
    let out = run(&moto, &bad_schema, &["--apply"]).code(1);
    assert!(
        stderr(&out).contains("smi.cloud.aws.securityGroups.nodes"),
        "{}",
        stderr(&out)
    );

    let mut cmd = kubectl_smi();
    isolate(&mut cmd);
    let out = cmd
        .args(["network", "rules", "--apply", "-f"])
        .arg(example("values-oci.yaml"))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("work on AWS security groups"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn throttling_is_retried_and_a_failure_part_way_is_finished_by_a_second_run() {
    let Some(moto) = Moto::start(&[]) else { return };
    let ec2 = ec2_client(&moto.url);
    let (nodes, alb) = groups(&ec2);
    let tmp = tempfile::tempdir().unwrap();
    let extra = nodes_values(tmp.path(), &nodes);
    let through = |proxy: &ThrottlingProxy, args: &[&str]| {
        let mut cmd = kubectl_smi();
        moto.env(&mut cmd);
        cmd.env("AWS_ENDPOINT_URL_EC2", &proxy.url)
            .args(["network", "rules", "--load-balancer-security-group", &alb])
            .args(args)
            .arg("-f")
            .arg(example("values-aws.yaml"))
            .arg("-f")
            .arg(&extra)
            .assert()
    };
    // Three throttled attempts outlast the SDK's retries: the ingress call went through,
    // the egress call did not.
    let proxy = ThrottlingProxy::start_ec2(&moto.url, "AuthorizeSecurityGroupEgress", 3);
    let failed = through(&proxy, &["--apply"]).code(1);
    assert_eq!(proxy.throttled(), 3);
    let err = stderr(&failed);
    assert!(
        err.contains("stopped: AWS EC2 AuthorizeSecurityGroupEgress failed: RequestLimitExceeded"),
        "{err}"
    );
    assert!(err.contains("  not done ("), "{err}");
    assert!(
        err.contains(&format!("authorize {alb} ingress tcp/80")),
        "{err}"
    );
    assert!(
        rules_of(&ec2, &nodes)
            .iter()
            .all(|r| !r.3.starts_with("smi prod: "))
    );
    assert!(
        rules_of(&ec2, &alb)
            .iter()
            .any(|r| r.3.starts_with("smi prod: "))
    );

    // Two: absorbed by the retries; the second run finishes what is missing.
    let proxy = ThrottlingProxy::start_ec2(&moto.url, "AuthorizeSecurityGroupEgress", 2);
    let finished = stdout(&through(&proxy, &["--apply"]).success());
    assert_eq!(proxy.throttled(), 2);
    assert!(
        finished.contains(&format!("authorize {nodes} egress tcp/5432")),
        "{finished}"
    );
    assert!(
        !finished.contains(&format!("authorize {alb} ingress")),
        "{finished}"
    );
    assert_eq!(
        rules_of(&ec2, &nodes)
            .iter()
            .filter(|r| r.3.starts_with("smi prod: "))
            .count(),
        printed("workers").len()
    );
}

#[test]
fn apply_and_dry_run_name_the_nodes_allow_all_egress_rule_and_never_revoke_it() {
    let Some(moto) = Moto::start(&[]) else { return };
    let ec2 = ec2_client(&moto.url);
    let (nodes, _) = groups(&ec2);
    let tmp = tempfile::tempdir().unwrap();
    let extra = nodes_values(tmp.path(), &nodes);
    // Every new security group has the allow-all egress rule.
    let allow_all: Vec<String> = runtime().block_on(async {
        let out = ec2
            .describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(&nodes)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.security_group_rules()
            .iter()
            .filter(|r| {
                r.is_egress() == Some(true)
                    && r.ip_protocol() == Some("-1")
                    && r.cidr_ipv4() == Some("0.0.0.0/0")
            })
            .map(|r| r.security_group_rule_id().unwrap().to_owned())
            .collect()
    });
    assert_eq!(
        allow_all.len(),
        1,
        "moto gives a new group its allow-all egress rule"
    );
    let id = &allow_all[0];
    let command = format!(
        "aws ec2 revoke-security-group-egress --group-id {nodes} --security-group-rule-ids {id}"
    );
    for args in [&["--dry-run"][..], &["--apply"][..]] {
        let out = run(&moto, &extra, args).success();
        let (text, warnings) = (stdout(&out), stderr(&out));
        assert!(
            warnings.contains(&format!(
                "warning: the nodes' security group {nodes} has the allow-all egress rule {id} (all protocols to 0.0.0.0/0): while it is there the egress rules restrict nothing"
            )) && warnings.contains(&command),
            "{args:?}: {warnings}"
        );
        assert!(
            text.contains("allow-all egress, left in place") && text.contains(&command),
            "{args:?}: {text}"
        );
    }
    assert!(
        rules_of(&ec2, &nodes).contains(&(
            "egress".to_owned(),
            -1,
            "0.0.0.0/0".to_owned(),
            String::new()
        )),
        "kubectl-smi never revokes it"
    );
    let json: Value = serde_json::from_str(&stdout(
        &run(&moto, &extra, &["--dry-run", "-o", "json"]).success(),
    ))
    .unwrap();
    assert_eq!(json["plan"]["allowAllEgress"][0]["ruleId"], id.as_str());
    assert_eq!(json["plan"]["allowAllEgress"][0]["revokeCommand"], command);
    // Revoked by the operator, it is no longer reported.
    runtime().block_on(async {
        ec2.revoke_security_group_egress()
            .group_id(&nodes)
            .security_group_rule_ids(id)
            .send()
            .await
            .unwrap();
    });
    let out = run(&moto, &extra, &["--dry-run"]).success();
    assert!(!stderr(&out).contains("allow-all"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("allow-all"), "{}", stdout(&out));
}
