//! `kubectl smi policies` output, with no network: golden files for every example and
//! format (UPDATE_GOLDEN=1 rewrites them), and the documents compared with the guide's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubectl_smi::policies::oci::{Variables, statements};
use serde_json::Value;

use crate::support::golden::{assert_file, updating};
use crate::support::{example, guide, kubectl_smi, ok, repo};

const EXAMPLES: [&str; 3] = ["values-aws.yaml", "values-aws-irsa.yaml", "values-oci.yaml"];
const FORMATS: [(&str, &str); 4] = [
    ("text", "txt"),
    ("json", "json"),
    ("terraform", "tf"),
    ("script", "sh"),
];

fn golden_dir(values: &str) -> PathBuf {
    repo()
        .join("tests/golden/policies")
        .join(values.trim_end_matches(".yaml"))
}

fn generate(values: &str, format: &str) -> String {
    ok(kubectl_smi()
        .args(["policies", "-o", format, "-f"])
        .arg(example(values)))
}

#[test]
fn every_example_in_every_format_matches_its_golden_file() {
    for values in EXAMPLES {
        for (format, extension) in FORMATS {
            let output = generate(values, format);
            assert_eq!(
                output,
                generate(values, format),
                "{values} -o {format} is deterministic"
            );
            if format == "script" {
                let mut sh = std::process::Command::new("sh")
                    .arg("-n")
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .expect("sh runs");
                std::io::Write::write_all(sh.stdin.as_mut().unwrap(), output.as_bytes()).unwrap();
                drop(sh.stdin.take());
                assert!(
                    sh.wait().unwrap().success(),
                    "{values}: the script is valid sh"
                );
            }
            assert_file(
                &golden_dir(values).join(format!("policies.{extension}")),
                &output,
            );
        }
    }
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn dir_output_writes_one_file_per_document_with_stable_names() {
    for values in EXAMPLES {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("policies");
        for _ in 0..2 {
            kubectl_smi()
                .arg("policies")
                .arg("-o")
                .arg(format!("dir={}", out.display()))
                .arg("-f")
                .arg(example(values))
                .assert()
                .success()
                .stdout("");
        }
        let written = read_dir(&out);
        let golden = golden_dir(values).join("dir");
        if updating() {
            let _ = std::fs::remove_dir_all(&golden);
            std::fs::create_dir_all(&golden).unwrap();
            for (name, content) in &written {
                std::fs::write(golden.join(name), content).unwrap();
            }
            continue;
        }
        assert_eq!(
            written,
            read_dir(&golden),
            "{values}: dir= output (UPDATE_GOLDEN=1 rewrites it)"
        );
    }
}

/// The fenced blocks of the guide with the given info string, in order.
fn fenced_blocks(text: &str, info: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, l) if l == format!("```{info}") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn generated_json(values: &str) -> Value {
    serde_json::from_str(&generate(values, "json")).unwrap()
}

#[test]
fn aws_documents_equal_the_guide_with_the_bucket_arns_substituted() {
    let Some(guide) = guide() else { return };
    let blocks = fenced_blocks(&guide, "json");
    assert_eq!(
        blocks.len(),
        2,
        "the guide has a trust policy and a bucket policy"
    );
    let trust: Value = serde_json::from_str(&blocks[0]).unwrap();

    // values-aws-irsa.yaml has no KMS keys: each bucket policy is exactly the guide's.
    let irsa = generated_json("values-aws-irsa.yaml");
    for policy in irsa["policies"].as_array().unwrap() {
        let arn = format!("arn:aws:s3:::{}", policy["bucketName"].as_str().unwrap());
        let expected: Value =
            serde_json::from_str(&blocks[1].replace("${BUCKET_ARN}", &arn)).unwrap();
        assert_eq!(policy["document"], expected, "{arn}");
    }

    // values-aws.yaml (pod identity) adds the KMS statement and uses the guide's trust policy.
    let aws = generated_json("values-aws.yaml");
    for policy in aws["policies"].as_array().unwrap() {
        let arn = format!("arn:aws:s3:::{}", policy["bucketName"].as_str().unwrap());
        let expected: Value =
            serde_json::from_str(&blocks[1].replace("${BUCKET_ARN}", &arn)).unwrap();
        let mut document = policy["document"].clone();
        let statements = document["Statement"].as_array_mut().unwrap();
        let kms = statements.pop().unwrap();
        assert_eq!(kms["Sid"], "EncryptionKeys");
        assert_eq!(
            kms["Resource"],
            serde_json::json!([
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            ])
        );
        assert_eq!(document, expected, "{arn}");
    }
    for role in aws["roles"].as_array().unwrap() {
        assert_eq!(role["trustPolicy"], trust, "{}", role["name"]);
    }
}

#[test]
fn the_filesvc_role_gets_the_kafka_and_filesvc_policies() {
    let aws = generated_json("values-aws.yaml");
    let role = aws["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serviceAccount"] == "filesvc")
        .unwrap();
    assert_eq!(role["name"], "dtp-prod-filesvc");
    assert_eq!(
        role["policyArns"],
        serde_json::json!([
            "arn:aws:iam::123456789012:policy/dtp-prod-kafka-bucket",
            "arn:aws:iam::123456789012:policy/dtp-prod-filesvc-bucket"
        ])
    );
    let association = aws["podIdentityAssociations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["serviceAccount"] == "filesvc")
        .unwrap();
    assert_eq!(
        association,
        &serde_json::json!({"clusterName": "dtp-prod", "namespace": "prod", "serviceAccount": "filesvc", "roleArn": "arn:aws:iam::123456789012:role/dtp-prod-filesvc"})
    );
}

#[test]
fn irsa_roles_trust_only_their_own_service_account() {
    let irsa = generated_json("values-aws-irsa.yaml");
    let issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let role = irsa["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serviceAccount"] == "scriptmanager")
        .unwrap();
    let statement = &role["trustPolicy"]["Statement"][0];
    assert_eq!(
        statement["Principal"]["Federated"],
        format!("arn:aws:iam::210987654321:oidc-provider/{issuer}")
    );
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        statement["Condition"]["StringEquals"],
        serde_json::json!({
            format!("{issuer}:sub"): "system:serviceaccount:dtp-irsa:scriptmanager",
            format!("{issuer}:aud"): "sts.amazonaws.com"
        })
    );
    assert_eq!(irsa["podIdentityAssociations"], serde_json::json!([]));
}

#[test]
fn oci_statements_for_one_service_account_and_bucket_equal_the_guides_three_lines() {
    let Some(guide) = guide() else { return };
    let oci_section = guide
        .split("### OCI")
        .nth(1)
        .expect("the guide has an OCI section");
    let block = fenced_blocks(oci_section, "")
        .into_iter()
        .next()
        .expect("the three statements");
    let compartment =
        "ocid1.compartment.oc1..aaaaaaaa3j4zzeqtk2cotfoak2qh6bn5ba3jgoe4hxubv7elvycrzjb5e7fa";
    let cluster = "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaqd6cmfnt3szakqlcwf3ck2n2djgwkldfkvdkzphqtyzm7pbr2gwq";
    let expected: Vec<String> = block
        .lines()
        .map(|l| {
            l.replace("${COMPARTMENT_ID}", compartment)
                .replace("${BUCKET_NAME}", "dtp-prod-filesvc")
                .replace("${NAMESPACE_NAME}", "dtp")
                .replace("${SERVICE_ACCOUNT_NAME}", "filesvc")
                .replace("${KUBERNETES_CLUSTER_ID}", cluster)
        })
        .collect();
    assert_eq!(expected.len(), 3);
    let generated = statements(Variables {
        compartment_id: compartment,
        bucket_name: "dtp-prod-filesvc",
        namespace_name: "dtp",
        service_account_name: "filesvc",
        kubernetes_cluster_id: cluster,
    });
    assert_eq!(generated.to_vec(), expected);

    // And the binary writes each of them, for values-oci.yaml, exactly once.
    let oci = generated_json("values-oci.yaml");
    let all: Vec<&str> = oci["policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["statements"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    for line in &expected {
        assert_eq!(all.iter().filter(|s| *s == line).count(), 1, "{line}");
    }
    assert!(
        oci["policies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["statements"].as_array().unwrap().len() <= 50)
    );
}

/// A stand-in `oci` CLI: records its arguments, and answers `iam policy list` with the id
/// in $FAKE_POLICY_ID (the real CLI applies the query; `null` when nothing matches).
const FAKE_OCI: &str = r#"#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_OCI_LOG"
case "$*" in
  "iam policy list"*) printf '%s\n' "$FAKE_POLICY_ID" ;;
esac
"#;

#[test]
fn the_oci_script_deletes_at_teardown_only_the_policies_kubectl_smi_generated() {
    let script = generate("values-oci.yaml", "script");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let oci = bin.join("oci");
    std::fs::write(&oci, FAKE_OCI).unwrap();
    std::fs::set_permissions(&oci, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script_path = dir.path().join("policies.sh");
    std::fs::write(&script_path, &script).unwrap();
    let run = |policy_id: &str| {
        let log = dir.path().join(format!("log-{policy_id}"));
        let out = std::process::Command::new("sh")
            .arg(&script_path)
            .arg("delete")
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("FAKE_OCI_LOG", &log)
            .env("FAKE_POLICY_ID", policy_id)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        (
            std::fs::read_to_string(&log).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (calls, _) = run("ocid1.policy.oc1..ours");
    let lines: Vec<&str> = calls.lines().collect();
    assert!(
        lines[0].starts_with("iam policy list --all --compartment-id ocid1.compartment."),
        "{calls}"
    );
    assert!(
        lines[0].contains("&& contains(description, 'kubectl-smi')"),
        "only kubectl-smi's own policies match: {calls}"
    );
    assert_eq!(
        lines[1],
        "iam policy delete --force --policy-id ocid1.policy.oc1..ours"
    );
    assert!(
        !calls.contains("create") && !calls.contains("update"),
        "delete creates nothing: {calls}"
    );
    let (calls, stderr) = run("null");
    assert!(!calls.contains("delete"), "{calls}");
    assert!(
        stderr.contains("none generated by kubectl-smi found; nothing to delete"),
        "{stderr}"
    );
}

/// The `resource` blocks of a Terraform text of the given type, each as its text.
fn resources<'a>(text: &'a str, kind: &str) -> Vec<&'a str> {
    let opening = format!("resource \"{kind}\" ");
    text.match_indices(&opening)
        .map(|(start, _)| {
            let end = text[start..].find("\n}\n").expect("a block ends") + start;
            &text[start..end]
        })
        .collect()
}

#[test]
fn terraform_output_pins_the_values_region_on_regional_resources_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let moved = dir.path().join("region.yaml");
    std::fs::write(
        &moved,
        "smi:\n  cloud:\n    aws:\n      region: ap-southeast-2\n",
    )
    .unwrap();
    let text = ok(kubectl_smi()
        .args(["policies", "-o", "terraform", "-f"])
        .arg(example("values-aws.yaml"))
        .arg("-f")
        .arg(&moved));
    let associations = resources(&text, "aws_eks_pod_identity_association");
    assert!(!associations.is_empty(), "{text}");
    for block in &associations {
        assert!(
            block.contains("\n  region          = \"ap-southeast-2\"\n"),
            "every association names the values' region: {block}"
        );
    }
    for kind in ["aws_iam_role", "aws_iam_policy"] {
        for block in resources(&text, kind) {
            assert!(!block.contains("region"), "IAM is global: {block}");
        }
    }
    // The provider the region argument needs is said, commented out (a live terraform
    // block would clash with the configuration's own).
    assert!(
        text.contains("# Needs hashicorp/aws >= 6.0")
            && text.contains("#     aws = { source = \"hashicorp/aws\", version = \">= 6.0\" }\n")
            && text.contains("#   region = \"ap-southeast-2\"\n"),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("terraform {") || l.starts_with("provider ")),
        "no live terraform or provider block: {text}"
    );
    // IRSA has no regional resource: no region argument, no version floor.
    let irsa = generate("values-aws-irsa.yaml", "terraform");
    assert!(resources(&irsa, "aws_eks_pod_identity_association").is_empty());
    assert!(
        !irsa.contains(">= 6.0") && irsa.contains("depend on no region"),
        "{irsa}"
    );
    // OCI: IAM policies are written in the home region, which the values do not give.
    let oci = generate("values-oci.yaml", "terraform");
    assert!(
        oci.contains("home region")
            && oci.contains("(eu-frankfurt-1)")
            && oci.contains("#     oci = { source = \"oracle/oci\" }"),
        "{oci}"
    );
    if !crate::support::available(
        "terraform",
        &["version"],
        "terraform is not installed: the -o terraform outputs are not parsed",
    ) {
        return;
    }
    for (name, hcl) in [("aws", &text), ("irsa", &irsa), ("oci", &oci)] {
        // `terraform fmt` parses the configuration (exit 2 on a syntax error) with no
        // provider to download; uncommented, the provider notes parse too.
        for candidate in [
            hcl.clone(),
            hcl.lines()
                .map(|l| {
                    l.strip_prefix("# ")
                        .filter(|rest| {
                            [
                                "terraform {",
                                "  required_providers",
                                "    ",
                                "  }",
                                "}",
                                "provider ",
                                "  region",
                            ]
                            .iter()
                            .any(|p| rest.starts_with(p))
                        })
                        .unwrap_or(l)
                        .to_owned()
                        + "\n"
                })
                .collect::<String>(),
        ] {
            let mut child = std::process::Command::new("terraform")
                .args(["fmt", "-"])
                .env("TF_CLI_CONFIG_FILE", "/dev/null")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), candidate.as_bytes()).unwrap();
            drop(child.stdin.take());
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{name}: terraform cannot parse it: {}\n{candidate}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
