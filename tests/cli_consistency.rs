//! One command line: the same `--dry-run` forms where they make sense, flags that only go
//! with another refused without it, help that lists what is accepted, flags held to the
//! values' rules, and overrides that say so.

use std::process::Output;

use crate::support::{closed_port, example, kubectl_smi, ok, text};

fn policies(args: &[&str]) -> Output {
    kubectl_smi()
        .arg("policies")
        .arg("-f")
        .arg(example("values-aws.yaml"))
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn policies_dry_run_takes_the_forms_secrets_takes() {
    // `none` is no dry run: without --apply, the policies are printed as without the flag.
    let none = policies(&["--dry-run=none", "-o", "json"]);
    let plain = policies(&["-o", "json"]);
    assert!(none.status.success(), "{}", text(&none));
    assert_eq!(none.stdout, plain.stdout);
    // `client` and bare are the plan, which asks AWS: offline both get as far as STS.
    let nowhere = format!("http://127.0.0.1:{}", closed_port([127, 0, 0, 1].into()));
    for form in ["--dry-run", "--dry-run=client"] {
        let out = kubectl_smi()
            .args(["policies", "-f"])
            .arg(example("values-aws.yaml"))
            .arg(form)
            .env("AWS_ENDPOINT_URL", &nowhere)
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "example")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{form}: {}", text(&out));
        assert!(
            stderr(&out).contains("cannot reach AWS STS"),
            "{form}: {}",
            text(&out)
        );
        // The account id is in the values: the hint does not offer --account-id.
        assert!(
            !stderr(&out).contains("pass --account-id")
                && stderr(&out).contains("even when the account id is known"),
            "{form}: {}",
            text(&out)
        );
    }
    let server = policies(&["--dry-run=server"]);
    assert_eq!(server.status.code(), Some(2), "{}", text(&server));
    assert!(
        stderr(&server).contains("no server-side dry run"),
        "{}",
        text(&server)
    );
    assert!(server.stdout.is_empty());
    let bad = policies(&["--dry-run=maybe"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        stderr(&bad).contains("[possible values: none, client]"),
        "only the modes policies offers are listed: {}",
        text(&bad)
    );
    // The help lists what the command accepts, as for -o: no `server` (IAM has none).
    for command in [&["policies"][..], &["network", "rules"]] {
        let help = ok(kubectl_smi().args(command).arg("--help"));
        let dry_run = help
            .split("      --dry-run [<MODE>]")
            .nth(1)
            .unwrap()
            .split("\n      --")
            .next()
            .unwrap();
        assert!(
            dry_run.contains("- client") && !dry_run.contains("- server"),
            "{command:?} --help: {dry_run}"
        );
    }
    let secrets_help = ok(kubectl_smi().args(["secrets", "create", "--help"]));
    assert!(
        secrets_help.contains("- server"),
        "secrets create offers server"
    );
}

#[test]
fn policies_force_without_apply_is_a_usage_error() {
    for args in [
        &["--force"][..],
        &["--force", "--dry-run"],
        &["--force", "check"],
    ] {
        let out = policies(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            stderr(&out).contains("--force goes with --apply"),
            "{}",
            text(&out)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn policies_check_and_delete_help_list_only_text_and_json() {
    for sub in ["check", "delete"] {
        let out = kubectl_smi()
            .args(["policies", sub, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = help
            .lines()
            .skip_while(|l| !l.contains("--output"))
            .take(2)
            .collect::<String>();
        assert!(line.contains("text, json"), "{sub}: {help}");
        for refused in ["terraform", "script", "dir="] {
            assert!(
                !help.contains(refused),
                "{sub} --help lists {refused}: {help}"
            );
        }
        let out = policies(&[sub, "-o", "terraform"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    }
}

#[test]
fn a_partition_flag_follows_the_values_rule() {
    let out = policies(&["--partition", "aws-cn", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out)
            .contains("--partition: not the partition of the values' region us-east-1 (`aws`)"),
        "{}",
        text(&out)
    );
    assert!(out.stdout.is_empty());
    // The partition of the region is accepted, as in the values.
    let out = policies(&["--partition", "aws", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn an_account_id_flag_over_the_values_account_says_so() {
    let out = policies(&["--account-id", "111111111111", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains(
            "--account-id 111111111111 overrides the values' smi.cloud.aws.accountId (123456789012)"
        ),
        "{}",
        text(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("111111111111"));
    // The same account: nothing to say.
    let out = policies(&["--account-id", "123456789012", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!stderr(&out).contains("overrides"), "{}", text(&out));
}

#[test]
fn network_rules_dry_run_takes_the_same_forms() {
    let run = |args: &[&str]| {
        kubectl_smi()
            .args(["network", "rules", "-f"])
            .arg(example("values-aws.yaml"))
            .args(args)
            .output()
            .unwrap()
    };
    let none = run(&["--dry-run=none", "-o", "json"]);
    assert!(none.status.success(), "{}", text(&none));
    assert_eq!(none.stdout, run(&["-o", "json"]).stdout);
    let server = run(&["--dry-run=server"]);
    assert_eq!(server.status.code(), Some(2), "{}", text(&server));
    assert!(
        stderr(&server).contains("--dry-run=server is not offered"),
        "{}",
        text(&server)
    );
    assert!(server.stdout.is_empty());
}
