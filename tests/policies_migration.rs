//! IRSA to EKS Pod Identity with `kubectl smi policies`, in the order the AWS SDKs need:
//! `--apply --migrate-trust` (both trusts, associations created), the values switch to
//! podIdentity, and `--apply` removes the OIDC statements only once no running pod of the
//! namespace has the IRSA environment, read from the API server double. AWS side: moto's
//! server (STS, IAM) and the EKS stub.

use std::path::{Path, PathBuf};

use fake_apiserver::FakeApiServer;
use serde_json::{Value, json};

use crate::support::aws::{EksStub, Moto, aws_env, iam_client};
use crate::support::{example, kubectl_smi, runtime, write_file};

const ACCOUNT: &str = "210987654321";
const ISSUER: &str = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const NAMESPACE: &str = "dtp-irsa";

struct Setup {
    moto: Moto,
    eks: EksStub,
    api: FakeApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Setup {
    fn run(&self, extra: &[&Path], args: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = kubectl_smi();
        aws_env(&mut cmd, &self.moto, &self.eks);
        cmd.arg("policies")
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("-f")
            .arg(example("values-aws-irsa.yaml"));
        for file in extra {
            cmd.arg("-f").arg(file);
        }
        cmd.env("HOME", self.dir.path()).assert()
    }

    fn pod_identity_values(&self) -> PathBuf {
        write_file(
            self.dir.path(),
            "pod-identity.yaml",
            "smi:\n  cloud:\n    aws:\n      identity: podIdentity\n",
        )
    }

    fn trust(&self, role: &str) -> Value {
        let iam = iam_client(&self.moto.url);
        runtime().block_on(async {
            let got = iam.get_role().role_name(role).send().await.unwrap();
            kubectl_smi::policies::aws::observe::decode_document(
                got.role().unwrap().assume_role_policy_document().unwrap(),
            )
        })
    }

    fn pod(&self, name: &str, env: &[(&str, &str)], phase: &str) {
        let env: Vec<Value> = env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        self.api
            .handle()
            .insert(json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {"serviceAccountName": "filesvc", "containers": [
                    {"name": "app", "image": "registry.example-domain.com/filesvc:1", "env": env}]},
                "status": {"phase": phase}
            }))
            .unwrap();
    }
}

fn setup() -> Option<Setup> {
    let moto = Moto::start(&[("MOTO_ACCOUNT_ID", ACCOUNT)])?;
    let eks = EksStub::start("dtp-staging");
    let iam = iam_client(&moto.url);
    runtime().block_on(async {
        iam.create_open_id_connect_provider()
            .url(format!("https://{ISSUER}"))
            .client_id_list("sts.amazonaws.com")
            .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
            .send()
            .await
            .unwrap();
    });
    let api = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.write_kubeconfig(&dir.path().join("kubeconfig"));
    api.handle()
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .unwrap();
    Some(Setup {
        moto,
        eks,
        api,
        dir,
        kubeconfig,
    })
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

fn actions(trust: &Value) -> Vec<String> {
    let mut out: Vec<String> = trust["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::Array(list) => list
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect(),
            one => vec![one.as_str().unwrap().to_owned()],
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_oidc_statement_goes_only_when_no_running_pod_still_has_the_irsa_environment() {
    let Some(s) = setup() else { return };
    s.run(&[], &["--apply"]).success();
    assert_eq!(
        actions(&s.trust("dtp-staging-filesvc")),
        ["sts:AssumeRoleWithWebIdentity"]
    );

    // (a) both trusts, and the associations.
    let migrated = stdout(&s.run(&[], &["--apply", "--migrate-trust"]).success());
    assert_eq!(
        migrated
            .lines()
            .filter(|l| l.starts_with("replace the trust policy of role "))
            .count(),
        18,
        "{migrated}"
    );
    assert_eq!(s.eks.associations().len(), 18);
    assert_eq!(
        actions(&s.trust("dtp-staging-filesvc")),
        [
            "sts:AssumeRole",
            "sts:AssumeRoleWithWebIdentity",
            "sts:TagSession"
        ]
    );
    let check = stdout(&s.run(&[], &["check"]).code(1));
    assert!(
        check.contains(
            "role dtp-staging-filesvc: IRSA to Pod Identity migration in progress: trusts both"
        ),
        "{check}"
    );
    let again = stdout(&s.run(&[], &["--apply", "--migrate-trust"]).success());
    assert!(again.starts_with("nothing to change"), "{again}");

    // (b) the values say podIdentity; one pod still runs with the IRSA environment, one
    // that finished and one rolled pod without it do not count.
    let pod_identity = s.pod_identity_values();
    s.pod(
        "filesvc-old",
        &[
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::210987654321:role/dtp-staging-filesvc",
            ),
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
            ),
        ],
        "Running",
    );
    s.pod(
        "filesvc-job",
        &[("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token")],
        "Succeeded",
    );
    s.pod("filesvc-new", &[("LOG_LEVEL", "info")], "Running");

    // (c) refused while the old pod runs; the trust keeps its OIDC statement.
    let check = stdout(&s.run(&[&pod_identity], &["check"]).code(1));
    assert!(check.contains("migration in progress"), "{check}");
    let held = s.run(&[&pod_identity], &["--apply"]).code(1);
    let err = stderr(&held);
    assert!(
        err.contains("the OIDC (IRSA) statement stays in the trust policy of 18 role(s): running pods of namespace dtp-irsa still have the IRSA environment: filesvc-old"),
        "{err}"
    );
    assert!(err.contains("kubectl rollout restart"), "{err}");
    assert_eq!(stdout(&held), "nothing else to change\n");
    assert!(!err.contains("filesvc-job") && !err.contains("filesvc-new"));
    assert!(
        actions(&s.trust("dtp-staging-filesvc"))
            .contains(&"sts:AssumeRoleWithWebIdentity".to_owned())
    );

    s.api
        .handle()
        .delete("pods", NAMESPACE, "filesvc-old")
        .unwrap();
    let finished = stdout(&s.run(&[&pod_identity], &["--apply"]).success());
    assert!(
        finished.contains("remove the IRSA (OIDC) statement from the trust policy of role dtp-staging-filesvc: done\n"),
        "{finished}"
    );
    assert_eq!(
        actions(&s.trust("dtp-staging-filesvc")),
        ["sts:AssumeRole", "sts:TagSession"]
    );
    assert!(stdout(&s.run(&[&pod_identity], &["check"]).success()).starts_with("no differences"));
}

#[test]
fn migration_steps_out_of_order_or_without_the_cluster_change_nothing() {
    let Some(s) = setup() else { return };
    let pod_identity = s.pod_identity_values();
    let out = s
        .run(&[&pod_identity], &["--apply", "--migrate-trust"])
        .code(2);
    assert!(
        stderr(&out).contains("--migrate-trust is the first step"),
        "{}",
        stderr(&out)
    );

    s.run(&[], &["--apply", "--migrate-trust"]).success();
    let before = s.trust("dtp-staging-aisvc");
    let unreachable = write_file(
        s.dir.path(),
        "nowhere",
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
    );
    let mut cmd = kubectl_smi();
    aws_env(&mut cmd, &s.moto, &s.eks);
    let out = cmd
        .args(["policies", "--apply", "--kubeconfig"])
        .arg(&unreachable)
        .arg("-f")
        .arg(example("values-aws-irsa.yaml"))
        .arg("-f")
        .arg(&pod_identity)
        .env("HOME", s.dir.path())
        .assert()
        .code(1);
    assert!(
        stderr(&out)
            .contains("cannot check the cluster's pods for the IRSA to Pod Identity migration"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "", "nothing was changed");
    assert_eq!(s.trust("dtp-staging-aisvc"), before);
}
