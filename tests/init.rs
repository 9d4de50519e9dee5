//! `init aws|oci`: the values skeleton. Every placeholder is refused by `validate` (with its
//! place) until it is filled; once filled the values validate, render the example stream,
//! and give the policies and network rules offline.

use std::path::Path;

use kubectl_smi::values::placeholders;

use crate::support::{example, kubectl_smi, ok, text, write_file};

/// What an operator writes for each placeholder (the environment is the example stream's,
/// `prod`, which the stream was rendered for: see examples/staging for another one).
fn fill(placeholder: &str) -> Option<String> {
    let value = match placeholder {
        "environment name, e.g. staging" => "prod",
        "web applications host, e.g. app.staging.example.com" => "app.example-domain.com",
        "REST API host, e.g. api.staging.example.com" => "api.example-domain.com",
        "identity service host, e.g. id.staging.example.com" => "id.example-domain.com",
        "AWS region, e.g. us-east-1" => "us-east-1",
        "AWS account id, 12 digits" => "123456789012",
        "EKS cluster name" => "dtp-prod",
        "IAM role name prefix, e.g. dtp-staging-" => "dtp-prod-",
        "calico or kubernetes" => "calico",
        "sg-... of the worker nodes" => "sg-0123456789abcdef0",
        "sg-... attached to the load balancer" => "sg-0fedcba9876543210",
        "OCI region identifier, e.g. eu-frankfurt-1" => "eu-frankfurt-1",
        "compartment OCID of the cluster, ocid1.compartment.oc1.." => {
            "ocid1.compartment.oc1..aaaaaaaa3j4zzeqtk2cotfoak2qh6bn5ba3jgoe4hxubv7elvycrzjb5e7fa"
        }
        "cluster OCID, ocid1.cluster.oc1." => {
            "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaqd6cmfnt3szakqlcwf3ck2n2djgwkldfkvdkzphqtyzm7pbr2gwq"
        }
        other => {
            if let Some(purpose) = other
                .strip_prefix("S3 bucket for ")
                .or_else(|| other.strip_prefix("Object Storage bucket for "))
            {
                return Some(format!("dtp-prod-{}", purpose.to_lowercase()));
            }
            if other.starts_with("Kafka broker host:port") {
                return Some("b-1.kafka.example.internal:9096".to_owned());
            }
            let system = other.strip_suffix(" host")?;
            return Some(format!("{}.example.internal", system.to_lowercase()));
        }
    };
    Some(value.to_owned())
}

fn skeleton(provider: &str) -> String {
    ok(kubectl_smi().args(["init", provider]))
}

fn filled(skeleton: &str) -> String {
    let mut out = skeleton.to_owned();
    for placeholder in placeholders(skeleton) {
        let value = fill(placeholder)
            .unwrap_or_else(|| panic!("the test has no value for the placeholder {placeholder:?}"));
        out = out.replacen(&format!("\"<{placeholder}>\""), &format!("\"{value}\""), 1);
    }
    out
}

fn smi(args: &[&str], values: &Path) -> assert_cmd::Command {
    let mut cmd = kubectl_smi();
    cmd.args(args)
        .arg("-f")
        .arg(values)
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

#[test]
fn validate_names_every_placeholder_left_in_the_skeleton() {
    let dir = tempfile::tempdir().unwrap();
    for provider in ["aws", "oci"] {
        let text_ = skeleton(provider);
        let count = placeholders(&text_).len();
        assert!(count >= 15, "{provider}: {count} placeholders");
        let values = write_file(dir.path(), &format!("{provider}.yaml"), &text_);
        let output = smi(&["validate"], &values).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        for placeholder in placeholders(&text_) {
            assert!(
                stdout.contains(&format!("found \"<{placeholder}>\"")),
                "{provider}: validate does not name {placeholder:?}:\n{stdout}"
            );
        }
        // Half filled: the rest is still named, and nothing else.
        let placeholders_ = placeholders(&text_);
        let first = placeholders_[0];
        let half = text_.replacen(
            &format!("\"<{first}>\""),
            &format!("\"{}\"", fill(first).unwrap()),
            1,
        );
        let values = write_file(dir.path(), &format!("{provider}-half.yaml"), &half);
        let output = smi(&["validate"], &values).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(stdout.matches("found \"<").count(), count - 1, "{stdout}");
    }
}

#[test]
fn a_filled_skeleton_validates_renders_and_gives_policies_and_network_rules() {
    let dir = tempfile::tempdir().unwrap();
    let stream = std::fs::read(example("rendered-helm3.yaml")).unwrap();
    for provider in ["aws", "oci"] {
        let values = write_file(
            dir.path(),
            &format!("{provider}.yaml"),
            &filled(&skeleton(provider)),
        );
        let valid = ok(&mut smi(&["validate"], &values));
        assert!(
            valid.contains(&format!("valid (provider {provider}")),
            "{valid}"
        );
        let rendered = ok(smi(&["render"], &values).write_stdin(stream.clone()));
        assert!(
            rendered.contains("kind: NetworkPolicy")
                || rendered.contains("kind: GlobalNetworkPolicy"),
            "{provider}: the render injected the Script Worker policy"
        );
        let policies = ok(&mut smi(&["policies"], &values));
        assert!(policies.contains("dtp-prod-kafka"), "{policies}");
        let rules = ok(&mut smi(&["network", "rules"], &values));
        assert!(rules.contains("postgresql.example.internal"), "{rules}");
        let catalog = ok(&mut smi(&["secrets", "catalog"], &values));
        assert!(
            catalog.contains("backup: file: age-encrypted files in smi-backups"),
            "{catalog}"
        );
    }
}

#[test]
fn the_commented_security_groups_validate_once_uncommented_and_filled() {
    let skeleton = skeleton("aws");
    // The `# securityGroups:` line and the two commented lines under it.
    let mut under = 0;
    let uncommented: String = skeleton
        .lines()
        .map(|line| {
            let body = line.trim_start();
            let indent = &line[..line.len() - body.len()];
            if body == "# securityGroups:" {
                under = 3;
            }
            match body.strip_prefix("# ") {
                Some(rest) if under > 0 => {
                    under -= 1;
                    format!("{indent}{rest}\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect();
    assert!(
        uncommented.contains("securityGroups:\n        nodes: \"<"),
        "{uncommented}"
    );
    let dir = tempfile::tempdir().unwrap();
    let values = write_file(dir.path(), "aws.yaml", &filled(&uncommented));
    let valid = ok(&mut smi(&["validate"], &values));
    assert!(valid.contains("valid (provider aws"), "{valid}");
    let plan = smi(&["network", "rules", "--apply", "--dry-run"], &values)
        .output()
        .unwrap();
    // The group ids are read from the values: the run gets as far as asking EC2 (no
    // credentials here), not to a missing-group error.
    assert!(
        !String::from_utf8_lossy(&plan.stderr).contains("securityGroups.nodes"),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
}

#[test]
fn init_without_a_known_provider_is_a_usage_error() {
    for args in [vec!["init"], vec!["init", "gcp"]] {
        let output = kubectl_smi().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(output.stdout.is_empty());
    }
}
