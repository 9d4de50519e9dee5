//! Bad input to `kubectl smi policies`: a clear message, exit code 1 (2 for usage), nothing
//! on stdout and nothing half-written to `-o dir=`.

use std::net::Ipv4Addr;

use crate::support::aws;
use crate::support::{closed_port, example, kubectl_smi, write_file};

struct Case {
    name: &'static str,
    example: &'static str,
    /// An extra values file merged after the example.
    overlay: &'static str,
    args: Vec<String>,
    /// Environment beyond the isolated one (no credentials, no metadata service).
    env: Vec<(&'static str, String)>,
    code: i32,
    fragments: Vec<String>,
}

fn case(
    name: &'static str,
    example: &'static str,
    overlay: &'static str,
    fragments: &[&str],
) -> Case {
    Case {
        name,
        example,
        overlay,
        args: Vec::new(),
        env: Vec::new(),
        code: 1,
        fragments: fragments.iter().map(|f| f.to_string()).collect(),
    }
}

/// Customer KMS keys enough to push every bucket policy over IAM's 6,144 characters.
fn many_kms_keys(count: usize) -> String {
    let mut text = "smi:\n  cloud:\n    aws:\n      kmsKeyArns:\n".to_owned();
    for n in 0..count {
        text.push_str(&format!(
            "        - arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-{n:012}\n"
        ));
    }
    text
}

fn cases() -> Vec<Case> {
    let kms = Box::leak(many_kms_keys(80).into_boxed_str());
    let port = closed_port(Ipv4Addr::LOCALHOST);
    let dummy_credentials = vec![
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
    ];
    let no_account = "smi:\n  cloud:\n    aws:\n      accountId: null\n";
    vec![
        case(
            "80 customer KMS keys",
            "values-aws.yaml",
            kms,
            &[
                "policy dtp-prod-kafka-bucket: the policy document is",
                "characters, over IAM's limit of 6144 (smi.cloud.aws.kmsKeyArns lists 80 keys)",
                "hint: shorten the value named",
            ],
        ),
        Case {
            args: vec!["--trust-policy-quota".into(), "8192".into()],
            code: 2,
            ..case(
                "trust policy quota beyond what AWS allows",
                "values-aws.yaml",
                "",
                &["the role trust policy length quota is 2048 to 4096 characters"],
            )
        },
        case(
            "missing bucket",
            "values-aws.yaml",
            "smi:\n  cloud:\n    aws:\n      buckets:\n        workflowsvc: null\n",
            &[
                "smi.cloud.aws.buckets.workflowsvc",
                "found no `workflowsvc` key",
            ],
        ),
        case(
            "empty bucket",
            "values-aws.yaml",
            "smi:\n  cloud:\n    aws:\n      buckets:\n        workflowsvc: ''\n",
            &[
                "smi.cloud.aws.buckets.workflowsvc: found \"\"",
                "an S3 bucket name",
            ],
        ),
        case(
            "bucket name S3 refuses",
            "values-aws.yaml",
            "smi:\n  cloud:\n    aws:\n      buckets:\n        kafka: Kafka_Bucket\n",
            &[
                "smi.cloud.aws.buckets.kafka",
                "3-63 characters: lowercase letters",
                "Kafka_Bucket",
            ],
        ),
        case(
            "malformed account id in values",
            "values-aws.yaml",
            "smi:\n  cloud:\n    aws:\n      accountId: '12345678901a'\n",
            &[
                "smi.cloud.aws.accountId",
                "an AWS account id: exactly 12 digits",
                "12345678901a",
            ],
        ),
        Case {
            args: vec!["--account-id".into(), "12345".into()],
            ..case(
                "malformed account id flag",
                "values-aws.yaml",
                "",
                &["--account-id: an AWS account id is exactly 12 digits"],
            )
        },
        Case {
            args: vec!["--partition".into(), "aws-mars".into()],
            ..case(
                "unknown partition",
                "values-aws.yaml",
                "",
                &["--partition: not an AWS partition"],
            )
        },
        case(
            "IRSA without the OIDC issuer",
            "values-aws-irsa.yaml",
            "smi:\n  cloud:\n    aws:\n      oidcIssuer: null\n",
            &[
                "the cluster's OIDC issuer is unknown",
                "--oidc-issuer",
                "aws eks describe-cluster",
            ],
        ),
        case(
            "OCI bucket name with a quote",
            "values-oci.yaml",
            "smi:\n  cloud:\n    oci:\n      buckets:\n        kafka: \"x' or 'y\"\n",
            &[
                "smi.cloud.oci.buckets.kafka",
                "an OCI Object Storage bucket name",
            ],
        ),
        case(
            "OCI compartment that is not an OCID",
            "values-oci.yaml",
            "smi:\n  cloud:\n    oci:\n      compartmentId: my-compartment\n",
            &["smi.cloud.oci.compartmentId", "a compartment OCID"],
        ),
        case(
            "provider section missing",
            "values-aws.yaml",
            "smi:\n  cloud:\n    aws: null\n",
            &[
                "smi.cloud.aws: found no `aws` key",
                "(when `provider` is `aws`)",
            ],
        ),
        Case {
            env: [
                dummy_credentials.clone(),
                vec![("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))],
            ]
            .concat(),
            ..case(
                "STS unreachable",
                "values-aws.yaml",
                no_account,
                &[
                    &format!("cannot reach AWS STS at http://127.0.0.1:{port}"),
                    "pass --account-id (and --partition) to generate without calling AWS",
                ],
            )
        },
        case(
            "credentials missing",
            "values-aws.yaml",
            no_account,
            &[
                "no AWS credentials found",
                "pass --account-id to generate without calling AWS",
            ],
        ),
        Case {
            args: vec!["-o".into(), "yaml".into()],
            code: 2,
            ..case(
                "unknown output format",
                "values-aws.yaml",
                "",
                &["unknown output format `yaml`"],
            )
        },
        Case {
            args: vec!["--apply".into()],
            code: 2,
            ..case(
                "apply on OCI",
                "values-oci.yaml",
                "",
                &["work on AWS; for OCI apply the output of -o terraform or -o script"],
            )
        },
    ]
}

#[test]
fn bad_input_gives_a_clear_message_and_writes_nothing() {
    for case in cases() {
        let tmp = tempfile::tempdir().unwrap();
        let overlay = write_file(tmp.path(), "overlay.yaml", case.overlay);
        let dir = tmp.path().join("out");
        let dir_arg = format!("dir={}", dir.display());
        let outputs: Vec<Vec<&str>> = if case.code == 1 {
            vec![vec![], vec!["-o", &dir_arg]]
        } else {
            vec![vec![]]
        };
        for output in outputs {
            let mut cmd = kubectl_smi();
            aws::isolate(&mut cmd);
            for (k, v) in &case.env {
                cmd.env(k, v);
            }
            let out = cmd
                .arg("policies")
                .arg("-f")
                .arg(example(case.example))
                .arg("-f")
                .arg(&overlay)
                .args(&case.args)
                .args(&output)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(case.code),
                "{}: {stderr}",
                case.name
            );
            for fragment in &case.fragments {
                assert!(
                    stderr.contains(fragment.as_str()),
                    "{}: expected {fragment:?} in:\n{stderr}",
                    case.name
                );
            }
            assert!(
                out.stdout.is_empty(),
                "{}: stdout {:?}",
                case.name,
                String::from_utf8_lossy(&out.stdout)
            );
            assert!(
                !dir.exists(),
                "{}: {} was written",
                case.name,
                dir.display()
            );
            let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(
                leftovers,
                vec![std::ffi::OsString::from("overlay.yaml")],
                "{}",
                case.name
            );
        }
    }
}

#[test]
fn too_many_kms_keys_are_refused_in_every_format_and_a_few_less_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let over = write_file(tmp.path(), "over.yaml", &many_kms_keys(80));
    let under = write_file(tmp.path(), "under.yaml", &many_kms_keys(60));
    // `--apply` refuses before any AWS call: no credentials are configured here.
    for format in ["text", "json", "terraform", "script", "--apply"] {
        let run = |overlay: &std::path::Path| {
            let mut cmd = kubectl_smi();
            aws::isolate(&mut cmd);
            let args = match format {
                "--apply" => vec!["policies", "--apply", "--account-id", "123456789012"],
                _ => vec!["policies", "-o", format],
            };
            cmd.args(args)
                .arg("-f")
                .arg(example("values-aws.yaml"))
                .arg("-f")
                .arg(overlay)
                .output()
                .unwrap()
        };
        let refused = run(&over);
        assert_eq!(refused.status.code(), Some(1), "{format}");
        assert!(refused.stdout.is_empty(), "{format}");
        assert!(
            String::from_utf8_lossy(&refused.stderr)
                .contains("smi.cloud.aws.kmsKeyArns lists 80 keys"),
            "{format}"
        );
        let fits = run(&under);
        let stderr = String::from_utf8_lossy(&fits.stderr);
        if format == "--apply" {
            assert!(stderr.contains("no AWS credentials found"), "{stderr}");
        } else {
            assert_eq!(fits.status.code(), Some(0), "{format}: {stderr}");
        }
    }
}
