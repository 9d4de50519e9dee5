//! `kubectl smi policies` against AWS on loopback: moto's server answers STS and IAM; EKS
//! pod identity associations are NOT implemented by moto (its server answers 404), so those
//! calls go to a request-level stub of the EKS REST API (tests/support/aws.rs).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::aws::{EksStub, Moto, aws_env, iam_client};
use crate::support::{example, kubectl_smi, runtime, write_file};

const MOTO_ACCOUNT: &str = "111122223333";

/// values-aws.yaml without its accountId, so that STS has to tell it.
fn values_without_account(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "no-account.yaml",
        "smi:\n  cloud:\n    aws:\n      accountId: null\n",
    )
}

fn policies(moto: &Moto, eks: &EksStub, extra: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = kubectl_smi();
    aws_env(&mut cmd, moto, eks);
    cmd.arg("policies")
        .arg("-f")
        .arg(example("values-aws.yaml"))
        .arg("-f")
        .arg(extra)
        .args(args)
        .assert()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn sts_gives_the_account_used_in_the_arns() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let out = policies(
        &moto,
        &eks,
        &values_without_account(tmp.path()),
        &["-o", "json"],
    )
    .success();
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["accountId"], MOTO_ACCOUNT);
    assert_eq!(json["partition"], "aws");
    assert_eq!(
        json["roles"][0]["arn"],
        format!("arn:aws:iam::{MOTO_ACCOUNT}:role/dtp-prod-aisvc")
    );
    assert_eq!(
        json["policies"][0]["arn"],
        format!("arn:aws:iam::{MOTO_ACCOUNT}:policy/dtp-prod-kafka-bucket")
    );
    assert!(eks.requests().is_empty(), "generating does not call EKS");
}

#[test]
fn apply_creates_what_the_plan_says_and_a_second_apply_changes_nothing() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let extra = values_without_account(tmp.path());

    let plan = stdout(&policies(&moto, &eks, &extra, &["--apply", "--dry-run"]).success());
    assert!(
        plan.starts_with("plan: 73 change(s) (dry run, nothing changed)\n"),
        "{plan}"
    );
    let planned: Vec<&str> = plan.lines().skip(1).map(str::trim).collect();
    assert!(planned.contains(&"create role dtp-prod-filesvc"), "{plan}");
    assert!(
        planned.contains(&"attach policy dtp-prod-filesvc-bucket to role dtp-prod-filesvc"),
        "{plan}"
    );
    assert!(
        planned.contains(&"create pod identity association prod/filesvc -> role dtp-prod-filesvc"),
        "{plan}"
    );

    let applied = stdout(&policies(&moto, &eks, &extra, &["--apply"]).success());
    let done: Vec<&str> = applied
        .lines()
        .filter_map(|l| l.strip_suffix(": done"))
        .collect();
    assert_eq!(
        done, planned,
        "every planned change is printed as it is made"
    );
    assert!(applied.ends_with("applied 73 change(s)\n"), "{applied}");

    // Read back with the SDK: what the plan said exists.
    let json: Value = serde_json::from_str(&stdout(
        &policies(&moto, &eks, &extra, &["-o", "json"]).success(),
    ))
    .unwrap();
    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        for policy in json["policies"].as_array().unwrap() {
            let arn = policy["arn"].as_str().unwrap();
            let got = iam
                .get_policy()
                .policy_arn(arn)
                .send()
                .await
                .expect("policy exists");
            let version = got
                .policy()
                .and_then(|p| p.default_version_id())
                .unwrap()
                .to_owned();
            let doc = iam
                .get_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
                .await
                .unwrap();
            let text = doc.policy_version().and_then(|v| v.document()).unwrap();
            let read = kubectl_smi::policies::aws::observe::decode_document(text);
            assert_eq!(read, policy["document"], "{arn}");
        }
        for role in json["roles"].as_array().unwrap() {
            let name = role["name"].as_str().unwrap();
            let got = iam
                .get_role()
                .role_name(name)
                .send()
                .await
                .expect("role exists");
            let trust = got
                .role()
                .and_then(|r| r.assume_role_policy_document())
                .unwrap();
            assert_eq!(
                kubectl_smi::policies::aws::observe::decode_document(trust),
                role["trustPolicy"]
            );
            let attached = iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .unwrap();
            let mut arns: Vec<&str> = attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
                .collect();
            arns.sort();
            let mut expected: Vec<&str> = role["policyArns"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            expected.sort();
            assert_eq!(arns, expected, "{name}");
        }
    });
    let associations = eks.associations();
    assert_eq!(associations.len(), 18);
    let filesvc = associations
        .iter()
        .find(|a| a.service_account == "filesvc")
        .unwrap();
    assert_eq!(filesvc.namespace, "prod");
    assert_eq!(
        filesvc.role_arn,
        format!("arn:aws:iam::{MOTO_ACCOUNT}:role/dtp-prod-filesvc")
    );

    let creates_before = eks.requests().iter().filter(|r| r.method == "POST").count();
    let again = stdout(&policies(&moto, &eks, &extra, &["--apply"]).success());
    assert_eq!(
        again,
        "nothing to change: 5 policies, 18 roles, 32 attachments and 18 pod identity associations are as the values require\n"
    );
    assert_eq!(
        eks.requests().iter().filter(|r| r.method == "POST").count(),
        creates_before
    );

    let check = stdout(&policies(&moto, &eks, &extra, &["check"]).success());
    assert!(check.starts_with("no differences"), "{check}");
}

#[test]
fn check_reports_a_role_deleted_behind_its_back_and_apply_brings_it_back() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let extra = values_without_account(tmp.path());
    policies(&moto, &eks, &extra, &["--apply"]).success();

    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        for bucket in ["kafka", "filesvc"] {
            iam.detach_role_policy()
                .role_name("dtp-prod-filesvc")
                .policy_arn(format!("arn:aws:iam::{MOTO_ACCOUNT}:policy/dtp-prod-{bucket}-bucket"))
                .send()
                .await
                .unwrap();
        }
        iam.delete_role().role_name("dtp-prod-filesvc").send().await.unwrap();
        iam.put_role_policy()
            .role_name("dtp-prod-aisvc")
            .policy_name("everything")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .send()
            .await
            .unwrap();
    });

    let check = policies(&moto, &eks, &extra, &["check"]).code(1);
    let text = stdout(&check);
    assert!(
        text.contains("role dtp-prod-filesvc: missing role: for service account prod/filesvc\n"),
        "{text}"
    );
    assert!(
        text.contains("role dtp-prod-aisvc: extra permissions: inline policy everything\n"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&check.get_output().stderr).into_owned();
    assert!(stderr.contains("2 difference(s)"), "{stderr}");

    let json: Value = serde_json::from_str(&stdout(
        &policies(&moto, &eks, &extra, &["check", "-o", "json"]).code(1),
    ))
    .unwrap();
    let kinds: Vec<(&str, &str)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("extra-permissions", "role dtp-prod-aisvc"),
            ("missing-role", "role dtp-prod-filesvc")
        ]
    );

    let fixed = stdout(&policies(&moto, &eks, &extra, &["--apply"]).success());
    assert_eq!(
        fixed,
        "create role dtp-prod-filesvc: done\n\
         attach policy dtp-prod-kafka-bucket to role dtp-prod-filesvc: done\n\
         attach policy dtp-prod-filesvc-bucket to role dtp-prod-filesvc: done\n\
         applied 3 change(s)\n"
    );
}

#[test]
fn an_association_to_another_role_is_taken_over_with_force_not_created_twice() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let id = eks.preload(
        "prod",
        "filesvc",
        "arn:aws:iam::111122223333:role/hand-made",
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = stdout(
        &policies(
            &moto,
            &eks,
            &values_without_account(tmp.path()),
            &["--apply", "--force"],
        )
        .success(),
    );
    assert!(
        out.contains(&format!(
            "update pod identity association prod/filesvc ({id}) -> role dtp-prod-filesvc: done"
        )),
        "{out}"
    );
    let associations = eks.associations();
    assert_eq!(associations.len(), 18);
    let filesvc: Vec<_> = associations
        .iter()
        .filter(|a| a.service_account == "filesvc")
        .collect();
    assert_eq!(filesvc.len(), 1);
    assert_eq!(
        filesvc[0].role_arn,
        format!("arn:aws:iam::{MOTO_ACCOUNT}:role/dtp-prod-filesvc")
    );
}

#[test]
fn a_role_with_another_trust_policy_is_reported_and_replaced_only_with_force() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let foreign = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;
    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        iam.create_role()
            .role_name("dtp-prod-aisvc")
            .assume_role_policy_document(foreign)
            .send()
            .await
            .unwrap();
    });
    let tmp = tempfile::tempdir().unwrap();
    let extra = values_without_account(tmp.path());
    let refused = policies(&moto, &eks, &extra, &["--apply"]).code(1);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        stderr.contains("role dtp-prod-aisvc exists but was not created by kubectl-smi"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!stdout(&refused).contains("replace the trust policy"));
    let trust = runtime().block_on(async {
        let got = iam
            .get_role()
            .role_name("dtp-prod-aisvc")
            .send()
            .await
            .unwrap();
        kubectl_smi::policies::aws::observe::decode_document(
            got.role().unwrap().assume_role_policy_document().unwrap(),
        )
    });
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::999999999999:root"
    );

    let forced = stdout(&policies(&moto, &eks, &extra, &["--apply", "--force"]).success());
    assert_eq!(
        forced,
        "take over (not created by kubectl-smi): tag role dtp-prod-aisvc (smi.dtplatform.io/cluster/dtp-prod, smi.dtplatform.io/environment, smi.dtplatform.io/managed-by): done\n\
         replace the trust policy of role dtp-prod-aisvc: done\n\
         attach policy dtp-prod-kafka-bucket to role dtp-prod-aisvc: done\n\
         applied 3 change(s)\n"
    );
}

#[test]
fn a_changed_policy_gets_a_new_version_and_the_oldest_goes_at_five() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let extra = values_without_account(tmp.path());
    policies(&moto, &eks, &extra, &["--apply"]).success();
    let arn = format!("arn:aws:iam::{MOTO_ACCOUNT}:policy/dtp-prod-kafka-bucket");
    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        for n in 2..=5 {
            let doc = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Old{n}","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}"#
            );
            iam.create_policy_version().policy_arn(&arn).policy_document(doc).set_as_default(true).send().await.unwrap();
        }
    });
    let out = stdout(&policies(&moto, &eks, &extra, &["--apply"]).success());
    assert_eq!(
        out,
        "update policy dtp-prod-kafka-bucket (new default version; deletes the oldest version v1): done\napplied 1 change(s)\n"
    );
    let versions = runtime().block_on(async {
        let listed = iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
        let mut ids: Vec<String> = listed
            .versions()
            .iter()
            .filter_map(|v| v.version_id())
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    });
    assert_eq!(versions, ["v2", "v3", "v4", "v5", "v6"]);
    assert!(
        stdout(&policies(&moto, &eks, &extra, &["check"]).success()).starts_with("no differences")
    );
}

#[test]
fn access_denied_from_iam_is_a_clear_error_without_the_secret() {
    // moto enforces IAM permissions once INITIAL_NO_AUTH_ACTION_COUNT actions have run:
    // the first two calls make a user without permissions and its access key.
    let Some(moto) = Moto::start(&[
        ("MOTO_ACCOUNT_ID", MOTO_ACCOUNT),
        ("INITIAL_NO_AUTH_ACTION_COUNT", "2"),
    ]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let iam = iam_client(&moto.url);
    let (key, secret) = runtime().block_on(async {
        iam.create_user().user_name("ci").send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name("ci")
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        (
            key.access_key_id().to_owned(),
            key.secret_access_key().to_owned(),
        )
    });
    let mut cmd = kubectl_smi();
    aws_env(&mut cmd, &moto, &eks);
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .args(["policies", "--apply", "-f"])
        .arg(example("values-aws.yaml"))
        .args(["--account-id", MOTO_ACCOUNT])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("access denied: IAM GetPolicy refused"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: use credentials allowed to"),
        "{stderr}"
    );
    assert!(!stderr.contains(&secret), "no secret in the output");
}

#[test]
fn a_failure_part_way_lists_what_was_done_and_a_rerun_finishes() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let extra = values_without_account(tmp.path());
    eks.deny_writes();
    let out = policies(&moto, &eks, &extra, &["--apply"]).code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("access denied: EKS CreatePodIdentityAssociation refused"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  done (55):\n    create policy dtp-prod-kafka-bucket\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  not done (18):\n    create pod identity association prod/aisvc -> role dtp-prod-aisvc\n"),
        "{stderr}"
    );
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.ends_with(": done"))
            .count(),
        55
    );

    eks.allow();
    let rerun = stdout(&policies(&moto, &eks, &extra, &["--apply"]).success());
    assert!(rerun.ends_with("applied 18 change(s)\n"), "{rerun}");
    assert!(
        rerun
            .lines()
            .all(|l| l.starts_with("create pod identity association") || l.starts_with("applied")),
        "{rerun}"
    );
}

#[test]
fn access_denied_from_eks_is_reported_before_any_change() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let extra = values_without_account(tmp.path());
    eks.deny();
    let out = policies(&moto, &eks, &extra, &["--apply"]).code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("access denied: EKS ListPodIdentityAssociations refused"),
        "{stderr}"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn irsa_roles_need_the_clusters_oidc_provider_and_no_pod_identity_association() {
    let account = "210987654321";
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", account)]) else {
        return;
    };
    let eks = EksStub::start("dtp-staging");
    let irsa = |args: &[&str]| {
        let mut cmd = kubectl_smi();
        aws_env(&mut cmd, &moto, &eks);
        cmd.arg("policies")
            .arg("-f")
            .arg(example("values-aws-irsa.yaml"))
            .args(args)
            .assert()
    };
    let issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let refused = irsa(&["--apply"]).code(1);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "IAM OIDC provider arn:aws:iam::{account}:oidc-provider/{issuer} does not exist"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("eksctl utils associate-iam-oidc-provider"),
        "{stderr}"
    );
    assert_eq!(stdout(&refused), "", "nothing was changed");
    let check = stdout(&irsa(&["check"]).code(1));
    assert!(
        check.starts_with(&format!(
            "oidc-provider {}: missing OIDC provider",
            "EXAMPLED539D4633E53DE1B71EXAMPLE"
        )),
        "{check}"
    );

    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        iam.create_open_id_connect_provider()
            .url(format!("https://{issuer}"))
            .client_id_list("sts.amazonaws.com")
            .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
            .send()
            .await
            .unwrap();
    });
    let applied = stdout(&irsa(&["--apply"]).success());
    assert!(applied.ends_with("applied 55 change(s)\n"), "{applied}");
    assert!(eks.requests().is_empty(), "IRSA needs no EKS call");
    assert!(stdout(&irsa(&["check"]).success()).starts_with("no differences"));
}

#[test]
fn apply_refuses_credentials_of_another_account() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let mut cmd = kubectl_smi();
    aws_env(&mut cmd, &moto, &eks);
    let out = cmd
        .args(["policies", "--apply", "-f"])
        .arg(example("values-aws.yaml"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the AWS credentials are for account 111122223333 (arn:aws:sts::111122223333:user/moto) but the values name account 123456789012"),
        "{stderr}"
    );
}

#[test]
fn check_reports_documents_over_iams_size_limits() {
    let Some(moto) = Moto::start(&[("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)]) else {
        return;
    };
    let eks = EksStub::start("dtp-prod");
    let tmp = tempfile::tempdir().unwrap();
    let mut overlay =
        "smi:\n  cloud:\n    aws:\n      accountId: null\n      kmsKeyArns:\n".to_owned();
    for n in 0..80 {
        overlay.push_str(&format!(
            "        - arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-{n:012}\n"
        ));
    }
    let extra = write_file(tmp.path(), "kms.yaml", &overlay);
    let out = stdout(&policies(&moto, &eks, &extra, &["check"]).code(1));
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "policy dtp-prod-kafka-bucket: exceeds an IAM limit: the policy document is "
        ),
        "{out}"
    );
    assert!(
        first.ends_with(
            "characters, over IAM's limit of 6144 (smi.cloud.aws.kmsKeyArns lists 80 keys)"
        ),
        "{out}"
    );
    assert_eq!(out.matches("exceeds an IAM limit").count(), 5, "{out}");
    let before = eks.requests().len();
    let refused = policies(&moto, &eks, &extra, &["--apply"]).code(1);
    assert_eq!(stdout(&refused), "", "nothing is created");
    assert_eq!(
        eks.requests().len(),
        before,
        "--apply refuses before any call"
    );
}
