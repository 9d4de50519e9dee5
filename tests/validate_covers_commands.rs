//! `validate` reports every values problem any command would report: for a table of bad
//! values, every command that reads values runs offline (as far as it gets without a cluster
//! or a cloud), and whenever one refuses the values, `validate` reports the same problem, at
//! the same file, line and column, naming the commands that need the value.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::cluster::SUPPLIED;
use crate::support::{closed_port, example, kubectl_smi, text, write_file};

/// A command that reads values, as run here: its arguments after `kubectl-smi` (the values
/// files follow), and whether it reads manifests on stdin.
struct Command {
    name: &'static str,
    args: &'static [&'static str],
    stdin: bool,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "render",
        args: &["render"],
        stdin: true,
    },
    Command {
        name: "gitops flux",
        args: &["gitops", "flux"],
        stdin: true,
    },
    Command {
        name: "gitops argocd",
        args: &[
            "gitops",
            "argocd",
            "--repo-url",
            "https://git.example.com/x.git",
        ],
        stdin: false,
    },
    Command {
        name: "network rules",
        args: &["network", "rules", "-o", "json"],
        stdin: false,
    },
    Command {
        name: "policies",
        args: &["policies", "-o", "json"],
        stdin: false,
    },
    Command {
        name: "policies check",
        args: &["policies", "check"],
        stdin: false,
    },
    Command {
        name: "prometheus servicemonitor",
        args: &["prometheus", "servicemonitor"],
        stdin: false,
    },
    Command {
        name: "preflight",
        args: &[
            "preflight",
            "--skip",
            "dns",
            "--skip",
            "network",
            "--skip",
            "cluster",
        ],
        stdin: false,
    },
    Command {
        name: "policies delete",
        args: &["policies", "delete"],
        stdin: false,
    },
    Command {
        // With every supplied credential (see `run`), so that it gets as far as the keys
        // it generates, and their backup.
        name: "secrets create",
        args: &["secrets", "create", "--dry-run=client"],
        stdin: false,
    },
];

/// Bad values: an example, a second values file over it, and the commands expected to refuse
/// them (`*` for every command).
struct Case {
    name: &'static str,
    example: &'static str,
    overlay: &'static str,
    refused_by: &'static [&'static str],
    /// Files written next to the second values file: (name, text).
    files: &'static [(&'static str, &'static str)],
}

/// An `oidcIssuer` long enough for every IRSA trust policy to pass IAM's default 2048
/// characters (the issuer is written three times in each).
const LONG_ISSUER: &str = concat!(
    "smi:\n  cloud:\n    aws:\n      oidcIssuer: https://oidc.eks.eu-west-1.amazonaws.com/id/",
    "EXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71",
    "EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E5",
    "3DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539",
    "D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAM",
    "PLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAM",
    "PLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLEEXAMPLED539D4633E53DE1",
    "B71EXAMPLEEXAMPLED539D4633E53DE1B71EXAMPLE\n",
);

const CASES: &[Case] = &[
    Case {
        name: "aws without an account id",
        example: "values-aws.yaml",
        overlay: "smi:\n  cloud:\n    aws:\n      accountId: null\n",
        refused_by: &["render", "gitops flux"],
        files: &[],
    },
    Case {
        name: "a Deny rule with the kubernetes engine",
        example: "values-aws.yaml",
        overlay: "smi:\n  networkPolicy:\n    engine: kubernetes\n    extraEgress:\n      - {action: Deny, protocol: TCP, nets: [8.8.8.8/32], ports: [53]}\n",
        refused_by: &["render", "gitops flux"],
        files: &[],
    },
    Case {
        name: "a private network allowed with the kubernetes engine",
        example: "values-oci.yaml",
        overlay: "smi:\n  networkPolicy:\n    engine: kubernetes\n    extraEgress:\n      - {protocol: TCP, nets: [10.1.0.0/16], ports: [443]}\n",
        refused_by: &["render", "gitops flux"],
        files: &[],
    },
    Case {
        name: "irsa without an OIDC issuer",
        example: "values-aws-irsa.yaml",
        overlay: "smi:\n  cloud:\n    aws:\n      oidcIssuer: null\n",
        refused_by: &["policies", "policies check", "policies delete"],
        files: &[],
    },
    Case {
        name: "an inline overlay the render cannot read",
        example: "values-aws.yaml",
        overlay: "smi:\n  overlays:\n    patches:\n      - {target: {kind: Service}, patches: []}\n",
        refused_by: &["render", "gitops flux"],
        files: &[],
    },
    Case {
        name: "a partition not of the region",
        example: "values-aws.yaml",
        overlay: "smi:\n  cloud:\n    aws:\n      partition: aws-cn\n",
        refused_by: &["*"],
        files: &[],
    },
    Case {
        name: "ports without a protocol",
        example: "values-aws.yaml",
        overlay: "smi:\n  networkPolicy:\n    extraEgress:\n      - {nets: [0.0.0.0/0], ports: [443]}\n",
        refused_by: &["*"],
        files: &[],
    },
    Case {
        name: "no backup target for the keys secrets create generates",
        example: "values-aws.yaml",
        overlay: "smi:\n  secrets:\n    backup: null\n",
        refused_by: &["secrets create"],
        files: &[],
    },
    Case {
        name: "an OIDC issuer that makes the trust policies longer than IAM's quota",
        example: "values-aws-irsa.yaml",
        overlay: LONG_ISSUER,
        refused_by: &["policies"],
        files: &[],
    },
    Case {
        name: "so many KMS keys that the bucket policies pass IAM's limit",
        example: "values-aws.yaml",
        overlay: "smi:\n  cloud:\n    aws:\n      kmsKeyArns: KMS_KEY_ARNS_80\n",
        refused_by: &["policies"],
        files: &[],
    },
    Case {
        name: "an overlay directory with a file the render cannot read",
        example: "values-aws.yaml",
        overlay: "smi:\n  overlays:\n    directories: [overlays]\n",
        refused_by: &["render", "gitops flux"],
        files: &[(
            "overlays/broken.yaml",
            "target: {kind: Service}\npatch: [\n",
        )],
    },
    Case {
        name: "an overlay directory that does not exist",
        example: "values-aws.yaml",
        overlay: "smi:\n  overlays:\n    directories: [no-such-directory]\n",
        refused_by: &["render", "gitops flux"],
        files: &[],
    },
];

/// Stands in a case's overlay for eighty KMS key ARNs: each bucket policy lists them all,
/// which passes IAM's 6144 characters.
const KMS_80: &str = "KMS_KEY_ARNS_80";

fn kms_keys() -> String {
    let keys: Vec<String> = (0..80)
        .map(|n| format!("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-{n:012}"))
        .collect();
    format!("[{}]", keys.join(", "))
}

/// The problem lines (`file:line:column: ...`) of a command's output.
fn problem_lines(text: &str, files: &[PathBuf]) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| {
            files.iter().any(|f| {
                line.strip_prefix(&format!("{}:", f.display()))
                    .and_then(|rest| rest.split_once(':'))
                    .is_some_and(|(l, rest)| {
                        l.parse::<usize>().is_ok()
                            && rest
                                .split_once(':')
                                .is_some_and(|(c, _)| c.parse::<usize>().is_ok())
                    })
            })
        })
        .map(str::to_owned)
        .collect()
}

fn run(command: &Command, files: &[PathBuf], home: &Path, nowhere: &str) -> Output {
    let mut cmd = kubectl_smi();
    cmd.args(command.args);
    if command.name == "secrets create" {
        let credentials: String = SUPPLIED.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let path = write_file(home, "credentials.env", &credentials);
        cmd.arg("--from-env-file")
            .arg(path)
            .env("SMI_BACKUP_PASSPHRASE", "a passphrase for the tests");
    }
    for file in files {
        cmd.arg("-f").arg(file);
    }
    // Offline: no cluster, no AWS (any call fails at once).
    cmd.env("HOME", home)
        .env("AWS_ENDPOINT_URL", nowhere)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "example")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("KUBERNETES_SERVICE_HOST");
    if command.stdin {
        let manifests = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
        cmd.write_stdin(manifests);
    }
    cmd.output().unwrap()
}

/// Whether `output` refuses the values: a failure where the same command with good values
/// (`baseline`: the example and an empty second file) gets further or fails otherwise, and
/// not because it reached for the cloud (as far as a command goes offline).
fn refuses(output: &Output, baseline: &Output) -> bool {
    !output.status.success()
        && (baseline.status.success() || output.stderr != baseline.stderr)
        && !String::from_utf8_lossy(&output.stderr).contains("error: cannot reach AWS")
}

#[test]
fn validate_reports_every_values_problem_any_command_reports() {
    let validate = Command {
        name: "validate",
        args: &["validate"],
        stdin: false,
    };
    let nowhere = format!("http://127.0.0.1:{}", closed_port([127, 0, 0, 1].into()));
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let files = vec![
            example(case.example),
            write_file(dir.path(), "bad.yaml", "{}\n"),
        ];
        let baselines: Vec<Output> = COMMANDS
            .iter()
            .map(|c| run(c, &files, &home, &nowhere))
            .collect();
        write_file(
            dir.path(),
            "bad.yaml",
            &case.overlay.replace(KMS_80, &kms_keys()),
        );
        for (name, text) in case.files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let checked = run(&validate, &files, &home, &nowhere);
        assert_eq!(
            checked.status.code(),
            Some(1),
            "{}: validate: {}",
            case.name,
            text(&checked)
        );
        let reported = problem_lines(&String::from_utf8_lossy(&checked.stdout), &files);
        let mut refused_by = BTreeSet::new();
        for (command, baseline) in COMMANDS.iter().zip(&baselines) {
            let output = run(command, &files, &home, &nowhere);
            if !refuses(&output, baseline) {
                continue;
            }
            refused_by.insert(command.name);
            let problems = problem_lines(&String::from_utf8_lossy(&output.stderr), &files);
            if problems.is_empty() {
                failures.push(format!(
                    "{}: {} refuses the values without a problem at file:line:column: {}",
                    case.name,
                    command.name,
                    text(&output)
                ));
            }
            for problem in &problems {
                if !reported.contains(problem) {
                    failures.push(format!(
                        "{}: {} reports a problem validate does not:\n  {problem}\nvalidate:\n{}",
                        case.name,
                        command.name,
                        text(&checked)
                    ));
                }
                let first_word = command.name.split(' ').next().unwrap_or_default();
                if case.refused_by != ["*"]
                    && !problem.contains(&format!("`kubectl smi {first_word}"))
                {
                    failures.push(format!(
                        "{}: the problem does not name {}, which needs the value:\n  {problem}",
                        case.name, command.name
                    ));
                }
            }
        }
        let expected: BTreeSet<&str> = if case.refused_by == ["*"] {
            COMMANDS.iter().map(|c| c.name).collect()
        } else {
            case.refused_by.iter().copied().collect()
        };
        if refused_by != expected {
            failures.push(format!(
                "{}: refused by {refused_by:?}, expected {expected:?}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
