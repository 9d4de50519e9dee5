//! `secrets catalog`: the secret catalog the values make, offline (no cluster, no value), and
//! the `credentials.env` templates shipped with the examples, which must be what the catalog
//! prints (`-o env-template`) so that they cannot drift from it.

use std::path::Path;

use kubectl_smi::catalog::{KeySource, default_secrets};

use crate::support::cluster::SUPPLIED;
use crate::support::{example, kubectl_smi, ok, ok_output, text, write_file};

/// `kubectl-smi secrets catalog -f VALUES... <args>` with nothing that points at a cluster.
fn catalog(values: &[&Path], args: &[&str]) -> assert_cmd::Command {
    let mut cmd = kubectl_smi();
    cmd.args(["secrets", "catalog"]).args(args);
    for file in values {
        cmd.arg("-f").arg(file);
    }
    cmd.env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST");
    cmd
}

/// Each values file of the examples and the credentials template shipped beside it.
const SHIPPED: [(&str, &str); 4] = [
    ("values-aws.yaml", "credentials.env"),
    ("values-aws-irsa.yaml", "credentials.env"),
    ("values-oci.yaml", "credentials.env"),
    ("staging/values.yaml", "staging/credentials.env"),
];

#[test]
fn the_shipped_credentials_templates_are_what_the_catalog_prints() {
    for (values, template) in SHIPPED {
        let printed = ok(&mut catalog(&[&example(values)], &["-o", "env-template"]));
        let shipped = std::fs::read_to_string(example(template)).unwrap();
        assert_eq!(
            shipped, printed,
            "examples/{template} differs from `kubectl smi secrets catalog -f examples/{values} -o env-template`; regenerate it with that command"
        );
    }
}

#[test]
fn the_catalog_lists_every_secret_key_source_and_consumer_of_the_values() {
    let json = ok(&mut catalog(
        &[&example("values-aws.yaml")],
        &["-o", "json"],
    ));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["environment"], "prod");
    assert_eq!(report["namespace"], "prod");
    assert_eq!(
        report["secrets"],
        serde_json::to_value(default_secrets()).unwrap(),
        "the examples change nothing in the built-in catalog"
    );
    let targets = report["backupTargets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{report:#}");
    assert!(
        targets[0].as_str().unwrap().contains("smi-backups"),
        "{report:#}"
    );
    let yaml = ok(&mut catalog(
        &[&example("values-aws.yaml")],
        &["-o", "yaml"],
    ));
    let from_yaml: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(from_yaml, report, "yaml and json say the same");

    let text_report = ok(&mut catalog(&[&example("values-aws.yaml")], &[]));
    for secret in default_secrets() {
        assert!(
            text_report.contains(&format!("secret/{}", secret.name)),
            "{text_report}"
        );
        for key in &secret.keys {
            let line = text_report
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", key.name)))
                .unwrap_or_else(|| panic!("{} in\n{text_report}", key.name));
            match key.source {
                KeySource::Supplied => assert!(line.contains("supplied by you"), "{line}"),
                KeySource::Generated => assert!(
                    line.contains(&format!("generated: {}", key.generator.unwrap().name())),
                    "{line}"
                ),
            }
        }
        for consumer in &secret.consumers {
            assert!(text_report.contains(consumer.as_str()), "{consumer}");
        }
    }
    assert!(
        text_report
            .contains("mounted at /etc/smi/identity in: passportsvc, passportsvc-migrations"),
        "{text_report}"
    );
    assert!(
        text_report.contains("backup: file: age-encrypted files in smi-backups"),
        "{text_report}"
    );
}

#[test]
fn the_catalog_follows_the_values_changes_and_warns_without_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let without_backup = crate::support::example_text_without_secrets("values-aws.yaml");
    let values = write_file(
        dir.path(),
        "values.yaml",
        &format!(
            "{without_backup}  secrets:\n    catalog:\n      - name: smi-other-db\n        keys:\n          - {{name: POSTGRES_PASSWORD, source: supplied}}\n        consumers: [aisvc]\n"
        ),
    );
    let report = ok(&mut catalog(&[&values], &[]));
    assert!(report.contains("secret/smi-other-db"), "{report}");
    assert!(
        report.contains("backup: none configured; `secrets create` refuses to generate keys"),
        "{report}"
    );
    let template = ok(&mut catalog(&[&values], &["-o", "env-template"]));
    assert!(
        template.contains("\n#smi-postgresql/POSTGRES_PASSWORD=\n")
            && template.contains("\n#smi-other-db/POSTGRES_PASSWORD=\n"),
        "a key of two secrets is written SECRET/KEY:\n{template}"
    );
}

#[test]
fn the_template_as_shipped_supplies_nothing_and_filled_in_plans_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let values = write_file(
        dir.path(),
        "values.yaml",
        &std::fs::read_to_string(example("values-aws.yaml")).unwrap(),
    );
    let template = std::fs::read_to_string(example("credentials.env")).unwrap();
    let plan = |env_file: &Path| {
        kubectl_smi()
            .args(["secrets", "create", "--dry-run=client", "--from-env-file"])
            .arg(env_file)
            .arg("-f")
            .arg(&values)
            .current_dir(dir.path())
            .env("HOME", &home)
            .env("SMI_BACKUP_PASSPHRASE", "a passphrase of the test")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .unwrap()
    };
    // As shipped: every supplied key is reported missing (none is given empty).
    let unfilled = plan(&example("credentials.env"));
    assert_eq!(unfilled.status.code(), Some(1), "{}", text(&unfilled));
    let stderr = String::from_utf8_lossy(&unfilled.stderr);
    assert!(
        stderr.contains(&format!(
            "{} supplied credential(s) have no value",
            SUPPLIED.len()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("secrets catalog -f VALUES -o env-template"),
        "the hint names the offline template: {stderr}"
    );
    // Filled in as its comments say: every secret is planned.
    let mut filled = template.clone();
    for (key, value) in SUPPLIED {
        let line = format!("\n#{key}=\n");
        assert!(filled.contains(&line), "{key} in the template");
        filled = filled.replace(&line, &format!("\n{key}={value}\n"));
    }
    let env_file = write_file(dir.path(), "credentials.env", &filled);
    let stdout = ok_output(&plan(&env_file));
    assert_eq!(
        stdout.matches("secret/").count(),
        default_secrets().len(),
        "{stdout}"
    );
    for (_, value) in SUPPLIED {
        assert!(!stdout.contains(value), "a value in the plan: {stdout}");
    }
    assert!(
        !dir.path().join("smi-backups").exists(),
        "a plan writes no backup"
    );
}

#[test]
fn a_key_not_in_the_catalog_points_at_the_offline_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = write_file(dir.path(), "typo.env", "POSTGRES_PASWORD=x\n");
    let output = kubectl_smi()
        .args(["secrets", "create", "--dry-run=client", "--from-env-file"])
        .arg(&env_file)
        .arg("-f")
        .arg(example("values-aws.yaml"))
        .env("HOME", dir.path())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`kubectl smi secrets catalog -f VALUES` lists the catalog's keys offline"),
        "{stderr}"
    );
}

#[test]
fn bad_input_to_the_catalog_is_refused_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_file(
        dir.path(),
        "bad.yaml",
        "smi:\n  secrets:\n    backups: {}\n",
    );
    let cases: [(Vec<&Path>, Vec<&str>, i32); 3] = [
        (vec![&bad], vec![], 1),
        (vec![Path::new("/nonexistent/values.yaml")], vec![], 1),
        (vec![], vec!["-o", "env"], 2),
    ];
    for (values, args, code) in cases {
        let output = catalog(&values, &args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            text(&output)
        );
        assert!(output.stdout.is_empty(), "{}", text(&output));
    }
}
