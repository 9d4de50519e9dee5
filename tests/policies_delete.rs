//! `kubectl smi policies delete` and the ownership tags `--apply` puts on what it makes,
//! against moto's server (STS, IAM), the EKS stub (pod identity associations, whose deletion
//! is eventually consistent) and a proxy in front of moto that answers throttling errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::aws::{EksStub, Moto, ThrottlingProxy, aws_env, iam_client};
use crate::support::{example, kubectl_smi, runtime, write_file};

const ACCOUNT: &str = "111122223333";
const CLUSTER_TAG: &str = "smi.dtplatform.io/cluster/dtp-prod";

fn values(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "account.yaml",
        &format!("smi:\n  cloud:\n    aws:\n      accountId: \"{ACCOUNT}\"\n"),
    )
}

/// Runs `kubectl smi policies ARGS` for the example values against the emulators; `iam`
/// overrides the IAM endpoint (the throttling proxy).
fn run(
    moto: &Moto,
    eks: &EksStub,
    iam: Option<&str>,
    extra: &Path,
    args: &[&str],
) -> assert_cmd::assert::Assert {
    let mut cmd = kubectl_smi();
    aws_env(&mut cmd, moto, eks);
    if let Some(url) = iam {
        cmd.env("AWS_ENDPOINT_URL_IAM", url);
    }
    cmd.arg("policies")
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

struct Setup {
    moto: Moto,
    eks: EksStub,
    _dir: tempfile::TempDir,
    extra: PathBuf,
}

fn applied() -> Option<Setup> {
    let moto = Moto::start(&[("MOTO_ACCOUNT_ID", ACCOUNT)])?;
    let eks = EksStub::start("dtp-prod");
    let dir = tempfile::tempdir().unwrap();
    let extra = values(dir.path());
    run(&moto, &eks, None, &extra, &["--apply"]).success();
    Some(Setup {
        moto,
        eks,
        _dir: dir,
        extra,
    })
}

fn role_names(iam: &aws_sdk_iam::Client) -> Vec<String> {
    runtime().block_on(async {
        let listed = iam.list_roles().send().await.unwrap();
        listed
            .roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect()
    })
}

fn policy_names(iam: &aws_sdk_iam::Client) -> Vec<String> {
    runtime().block_on(async {
        let listed = iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .unwrap();
        listed
            .policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_owned))
            .collect()
    })
}

fn role_tags(iam: &aws_sdk_iam::Client, role: &str) -> BTreeMap<String, String> {
    runtime().block_on(async {
        let got = iam.get_role().role_name(role).send().await.unwrap();
        got.role()
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    })
}

#[test]
fn apply_tags_roles_policies_and_associations_with_the_environment_and_cluster() {
    let Some(s) = applied() else { return };
    let iam = iam_client(&s.moto.url);
    let tags = role_tags(&iam, "dtp-prod-filesvc");
    assert_eq!(tags["smi.dtplatform.io/managed-by"], "kubectl-smi");
    assert_eq!(tags["smi.dtplatform.io/environment"], "prod");
    assert_eq!(
        tags[CLUSTER_TAG], "prod",
        "the cluster's tag names the namespace"
    );
    let policy_tags = runtime().block_on(async {
        let got = iam
            .get_policy()
            .policy_arn(format!(
                "arn:aws:iam::{ACCOUNT}:policy/dtp-prod-kafka-bucket"
            ))
            .send()
            .await
            .unwrap();
        got.policy().unwrap().tags().len()
    });
    assert_eq!(policy_tags, 3);
    for association in s.eks.associations() {
        assert_eq!(
            association.tags.get(CLUSTER_TAG).map(String::as_str),
            Some("prod")
        );
    }
}

#[test]
fn delete_plans_then_removes_everything_and_a_second_run_finds_nothing() {
    let Some(s) = applied() else { return };
    let iam = iam_client(&s.moto.url);
    let plan = stdout(&run(&s.moto, &s.eks, None, &s.extra, &["delete"]).success());
    assert!(
        plan.starts_with("plan: 73 removal(s) (nothing changed; --apply removes them)\n"),
        "{plan}"
    );
    let planned: Vec<&str> = plan.lines().skip(1).map(str::trim).collect();
    assert_eq!(
        planned[0],
        format!(
            "delete pod identity association prod/aisvc ({})",
            s.eks.associations()[0].id
        )
    );
    assert!(planned.contains(&"detach policy dtp-prod-kafka-bucket from role dtp-prod-filesvc"));
    assert_eq!(
        planned.last(),
        Some(&"delete policy dtp-prod-workflowsvc-bucket")
    );
    assert_eq!(role_names(&iam).len(), 18, "the plan changes nothing");
    let json: serde_json::Value = serde_json::from_str(&stdout(
        &run(&s.moto, &s.eks, None, &s.extra, &["delete", "-o", "json"]).success(),
    ))
    .unwrap();
    assert_eq!(json["apply"], false);
    assert_eq!(json["plan"]["removals"].as_array().unwrap().len(), 73);
    assert_eq!(json["plan"]["removals"][0]["action"], "delete-association");
    let usage = run(
        &s.moto,
        &s.eks,
        None,
        &s.extra,
        &["delete", "-o", "terraform"],
    )
    .code(2);
    assert!(
        stderr(&usage).contains("[possible values: text, json]"),
        "{}",
        stderr(&usage)
    );
    assert_eq!(s.eks.associations().len(), 18);

    let out = run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).success();
    let text = stdout(&out);
    let done: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_suffix(": done"))
        .collect();
    assert_eq!(done, planned, "removed in the planned order");
    assert!(text.ends_with("removed 73 item(s)\n"), "{text}");
    assert!(role_names(&iam).is_empty());
    assert!(policy_names(&iam).is_empty());
    assert!(s.eks.associations().is_empty());

    let again = run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).success();
    assert_eq!(stdout(&again), "nothing left to delete\n");
}

#[test]
fn resources_without_the_tags_are_never_touched_even_with_force() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let iam = iam_client(&moto.url);
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    runtime().block_on(async {
        iam.create_role()
            .role_name("dtp-prod-aisvc")
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .send()
            .await
            .unwrap();
        iam.create_policy()
            .policy_name("dtp-prod-kafka-bucket")
            .policy_document(document)
            .send()
            .await
            .unwrap();
    });
    let id = eks.preload(
        "prod",
        "filesvc",
        &format!("arn:aws:iam::{ACCOUNT}:role/hand-made"),
    );
    let dir = tempfile::tempdir().unwrap();
    let extra = values(dir.path());
    let out = run(&moto, &eks, None, &extra, &["delete", "--apply", "--force"]).success();
    assert_eq!(
        stdout(&out),
        "nothing left to delete\n\
         left (3):\n  \
         association prod/filesvc: not ours (no smi.dtplatform.io/managed-by tag), left alone\n  \
         role dtp-prod-aisvc: not ours (no smi.dtplatform.io/managed-by tag), left alone\n  \
         policy dtp-prod-kafka-bucket: not ours (no smi.dtplatform.io/managed-by tag), left alone\n"
    );
    assert_eq!(role_names(&iam), ["dtp-prod-aisvc"]);
    assert_eq!(policy_names(&iam), ["dtp-prod-kafka-bucket"]);
    assert_eq!(eks.associations()[0].id, id);
    assert!(
        eks.requests().iter().all(|r| r.method == "GET"),
        "no EKS call changed anything"
    );
}

#[test]
fn a_role_another_cluster_uses_is_left_and_loses_only_this_clusters_tag() {
    let Some(s) = applied() else { return };
    let iam = iam_client(&s.moto.url);
    runtime().block_on(async {
        iam.tag_role()
            .role_name("dtp-prod-filesvc")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("smi.dtplatform.io/cluster/dtp-blue")
                    .value("prod")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let out = run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).success();
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "remove tag {CLUSTER_TAG} from role dtp-prod-filesvc: done\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("  role dtp-prod-filesvc: still used by cluster(s) dtp-blue, left\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  policy dtp-prod-filesvc-bucket: still attached to role(s) dtp-prod-filesvc that stay; left\n"
        ),
        "{text}"
    );
    assert_eq!(role_names(&iam), ["dtp-prod-filesvc"]);
    let mut policies = policy_names(&iam);
    policies.sort();
    assert_eq!(
        policies,
        ["dtp-prod-filesvc-bucket", "dtp-prod-kafka-bucket"]
    );
    let tags = role_tags(&iam, "dtp-prod-filesvc");
    assert!(!tags.contains_key(CLUSTER_TAG), "{tags:?}");
    assert!(tags.contains_key("smi.dtplatform.io/cluster/dtp-blue"));
    assert!(
        s.eks.associations().is_empty(),
        "this cluster's associations go"
    );
}

#[test]
fn foreign_attachments_keep_a_role_until_force_removes_them_and_says_so() {
    let Some(s) = applied() else { return };
    let iam = iam_client(&s.moto.url);
    let foreign = runtime().block_on(async {
        let created = iam
            .create_policy()
            .policy_name("hand-made")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#)
            .send()
            .await
            .unwrap();
        let arn = created.policy().unwrap().arn().unwrap().to_owned();
        iam.attach_role_policy()
            .role_name("dtp-prod-aisvc")
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name("dtp-prod-aisvc")
            .policy_name("inline")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:*","Resource":"*"}]}"#)
            .send()
            .await
            .unwrap();
        iam.create_instance_profile()
            .instance_profile_name("nodes")
            .send()
            .await
            .unwrap();
        iam.add_role_to_instance_profile()
            .instance_profile_name("nodes")
            .role_name("dtp-prod-aisvc")
            .send()
            .await
            .unwrap();
        arn
    });
    let kept = run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).code(1);
    let text = stdout(&kept);
    assert!(
        text.contains(&format!(
            "  role dtp-prod-aisvc: has remove role dtp-prod-aisvc from instance profile nodes (--force), \
             delete inline policy inline of role dtp-prod-aisvc (--force), \
             detach policy {foreign} from role dtp-prod-aisvc (--force); left (--force removes them and the role)\n"
        )),
        "{text}"
    );
    assert!(
        stderr(&kept).contains("--apply --force"),
        "{}",
        stderr(&kept)
    );
    assert_eq!(role_names(&iam), ["dtp-prod-aisvc"]);

    let forced = stdout(
        &run(
            &s.moto,
            &s.eks,
            None,
            &s.extra,
            &["delete", "--apply", "--force"],
        )
        .success(),
    );
    assert!(
        forced.contains(&format!(
            "detach policy {foreign} from role dtp-prod-aisvc (--force): done\n"
        )),
        "{forced}"
    );
    assert!(
        forced.contains("delete role dtp-prod-aisvc: done\n"),
        "{forced}"
    );
    assert!(role_names(&iam).is_empty());
    assert_eq!(
        policy_names(&iam),
        ["hand-made"],
        "the foreign policy itself stays"
    );
}

#[test]
fn throttling_is_retried_and_a_failure_part_way_is_finished_by_a_second_run() {
    let Some(s) = applied() else { return };
    let iam = iam_client(&s.moto.url);
    // Two throttled attempts: the SDK's retries absorb them.
    let proxy = ThrottlingProxy::start(&s.moto.url, "DetachRolePolicy", 2);
    run(&s.moto, &s.eks, Some(&proxy.url), &s.extra, &["delete"]).success();
    assert_eq!(proxy.throttled(), 0, "planning detaches nothing");
    // Three: the first DeleteRole fails, after the associations and aisvc's detachments.
    let proxy = ThrottlingProxy::start(&s.moto.url, "DeleteRole", 3);
    let failed = run(
        &s.moto,
        &s.eks,
        Some(&proxy.url),
        &s.extra,
        &["delete", "--apply"],
    )
    .code(1);
    assert_eq!(proxy.throttled(), 3);
    let err = stderr(&failed);
    assert!(
        err.contains("--apply stopped: AWS IAM DeleteRole failed: Throttling: Rate exceeded"),
        "{err}"
    );
    assert!(err.contains("  done (19):\n"), "{err}");
    assert!(
        err.contains("  not done (54):\n    delete role dtp-prod-aisvc\n"),
        "{err}"
    );
    assert_eq!(role_names(&iam).len(), 18);
    assert!(s.eks.associations().is_empty());

    let finished = stdout(
        &run(
            &s.moto,
            &s.eks,
            Some(&proxy.url),
            &s.extra,
            &["delete", "--apply"],
        )
        .success(),
    );
    assert!(finished.ends_with("removed 54 item(s)\n"), "{finished}");
    assert!(role_names(&iam).is_empty());

    let proxy = ThrottlingProxy::start(&s.moto.url, "GetRole", 2);
    let again = run(
        &s.moto,
        &s.eks,
        Some(&proxy.url),
        &s.extra,
        &["delete", "--apply"],
    )
    .success();
    assert_eq!(stdout(&again), "nothing left to delete\n");
    assert_eq!(proxy.throttled(), 2, "throttled reads are retried too");
}

#[test]
fn associations_still_being_deleted_are_reported_not_errors() {
    let Some(s) = applied() else { return };
    s.eks.linger_deletions();
    run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).success();
    let again = stdout(&run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).success());
    assert!(
        again.starts_with("nothing left to delete\nleft (18):\n"),
        "{again}"
    );
    assert!(again.contains("  association prod/filesvc: a-"), "{again}");
    assert!(again.contains("is being deleted (EKS removes associations eventually)"));
    s.eks.settle();
    let settled = stdout(&run(&s.moto, &s.eks, None, &s.extra, &["delete", "--apply"]).success());
    assert_eq!(settled, "nothing left to delete\n");
}

#[test]
fn a_foreign_role_is_taken_over_only_with_force_and_reported_as_such() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        iam.create_role()
            .role_name("dtp-prod-aisvc")
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .send()
            .await
            .unwrap();
    });
    let other = eks.preload(
        "prod",
        "filesvc",
        &format!("arn:aws:iam::{ACCOUNT}:role/hand-made"),
    );
    let dir = tempfile::tempdir().unwrap();
    let extra = values(dir.path());
    let refused = run(&moto, &eks, None, &extra, &["--apply"]).code(1);
    let err = stderr(&refused);
    assert!(
        err.contains("2 existing resource(s) were not created by kubectl-smi (no smi.dtplatform.io/managed-by tag) and were left alone: role dtp-prod-aisvc, association prod/filesvc"),
        "{err}"
    );
    assert!(role_tags(&iam, "dtp-prod-aisvc").is_empty(), "left alone");
    let check = stdout(&run(&moto, &eks, None, &extra, &["check"]).code(1));
    assert!(
        check.contains(
            "role dtp-prod-aisvc: not managed by kubectl-smi: no smi.dtplatform.io/managed-by tag"
        ),
        "{check}"
    );

    let forced = stdout(&run(&moto, &eks, None, &extra, &["--apply", "--force"]).success());
    assert!(
        forced.contains(&format!(
            "take over (not created by kubectl-smi): tag role dtp-prod-aisvc ({CLUSTER_TAG}, smi.dtplatform.io/environment, smi.dtplatform.io/managed-by): done\n"
        )),
        "{forced}"
    );
    assert!(forced.contains("replace the trust policy of role dtp-prod-aisvc: done\n"));
    assert!(forced.contains(&format!(
        "update pod identity association prod/filesvc ({other}) -> role dtp-prod-filesvc: done\n"
    )));
    assert!(forced.contains(
        "take over (not created by kubectl-smi): tag pod identity association prod/filesvc"
    ));
    assert_eq!(role_tags(&iam, "dtp-prod-aisvc")[CLUSTER_TAG], "prod");
    let filesvc = eks
        .associations()
        .into_iter()
        .find(|a| a.service_account == "filesvc")
        .unwrap();
    assert_eq!(filesvc.tags["smi.dtplatform.io/managed-by"], "kubectl-smi");
    assert!(
        stdout(&run(&moto, &eks, None, &extra, &["check"]).success()).starts_with("no differences")
    );
}

#[test]
fn a_retired_clusters_roles_go_even_when_eks_no_longer_knows_the_cluster() {
    let Some(s) = applied() else { return };
    // The cluster was deleted, and its associations with it: EKS answers 404 for it.
    let gone = EksStub::start("another-cluster");
    let out = run(&s.moto, &gone, None, &s.extra, &["delete", "--apply"]).success();
    assert!(
        stderr(&out).contains(
            "EKS has no cluster dtp-prod in us-east-1: its pod identity associations went with it"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).ends_with("removed 55 item(s)\n"),
        "{}",
        stdout(&out)
    );
    assert!(role_names(&iam_client(&s.moto.url)).is_empty());

    // --apply on a cluster EKS does not know is an error naming it, not a silent success.
    let refused = run(&s.moto, &gone, None, &s.extra, &["--apply"]).code(1);
    assert!(
        stderr(&refused).contains("EKS has no cluster dtp-prod in us-east-1"),
        "{}",
        stderr(&refused)
    );
}
