//! `--dry-run=client|server` and `-o yaml|json`: what would be applied, values redacted
//! unless `--show-secrets`.

use crate::support::cluster::{self, Cluster, assert_no_values};
use crate::support::{self, kubectl_available, ok_output, write_file};

#[test]
fn a_client_dry_run_sends_no_write_and_prints_redacted_objects() {
    let cluster = Cluster::new();
    let output = cluster.create(&["--dry-run=client", "-o", "yaml"]);
    let yaml = ok_output(&output);
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
    assert!(
        cluster.backup_files().is_empty(),
        "a dry run writes no backup"
    );
    assert_eq!(
        yaml.matches("\n---\n").count() + 1,
        11,
        "the namespace and ten secrets:\n{yaml}"
    );
    assert!(
        yaml.starts_with("---\napiVersion: v1\nkind: Namespace\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("  POSTGRES_PASSWORD: '<redacted: 16 bytes>'")
            || yaml.contains("  POSTGRES_PASSWORD: \"<redacted: 16 bytes>\""),
        "{yaml}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "secret/smi-session created (dry run) (SESSION_SECRET generated, CSRF_SECRET generated)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("would first be backed up to file"),
        "{stderr}"
    );
    let supplied = cluster::SUPPLIED
        .iter()
        .map(|(k, v)| (("".to_owned(), (*k).to_owned()), v.as_bytes().to_vec()))
        .collect();
    assert_no_values(&output, &supplied);
    if support::python_has("yaml") {
        let parsed = std::process::Command::new("python3")
            .args(["-c", "import sys, yaml; docs = list(yaml.safe_load_all(sys.stdin)); print(len(docs), docs[1]['kind'])"])
            .stdin(std::fs::File::open(write_file(cluster.dir.path(), "out.yaml", &yaml)).unwrap())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&parsed.stdout),
            "11 Secret\n",
            "{}",
            String::from_utf8_lossy(&parsed.stderr)
        );
    }
}

#[test]
fn a_server_dry_run_asks_the_api_server_to_validate_and_stores_nothing() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    cluster.delete_key("smi-session", "CSRF_SECRET");
    let version = cluster.api.resource_version();
    let writes = cluster.writes().len();
    let output = cluster.create(&["--dry-run=server", "-o", "json"]);
    ok_output(&output);
    let sent = &cluster.writes()[writes..];
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].dry_run, "dryRun=All");
    assert_eq!(cluster.api.resource_version(), version, "nothing stored");
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][0]["metadata"]["name"], "smi-session");
    assert_eq!(
        list["items"][0]["data"]["CSRF_SECRET"],
        "<redacted: 86 bytes>"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "secret/smi-session configured (server dry run) (CSRF_SECRET restored from backup)"
        ),
        "{stderr}"
    );
    assert_no_values(&output, &cluster.keys());
}

#[test]
fn a_server_dry_run_of_a_new_namespace_says_what_the_server_could_not_check() {
    let cluster = Cluster::new();
    let output = cluster.create(&["--dry-run=server"]);
    ok_output(&output);
    let sent = cluster.writes();
    assert_eq!(sent.len(), 1, "only the namespace can be dry-run: {sent:?}");
    assert!(sent[0].dry_run && sent[0].resource == "namespaces");
    assert!(cluster.api.get("namespaces", "", "prod").is_none());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "namespace prod does not exist yet, so the API server cannot dry-run the secrets in it"
        ),
        "{stderr}"
    );
}

#[test]
fn output_shows_values_only_with_show_secrets() {
    let cluster = Cluster::new();
    let output = cluster.create(&["-o", "json", "--show-secrets"]);
    ok_output(&output);
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let redis = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == "smi-redis")
        .unwrap();
    assert_eq!(
        redis["data"]["REDIS_PASSWORD"], "cmVkaXMtcGFzcy1IaDRadDlMeQ==",
        "base64 of the supplied value, as asked"
    );
    assert!(output.stderr.iter().all(|b| *b != b'\0'));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("cmVkaXMtcGFzcy1IaDRadDlMeQ=="),
        "values go to stdout only"
    );
}

#[test]
fn a_redacted_manifest_cannot_overwrite_real_keys_when_applied_by_mistake() {
    let cluster = Cluster::new();
    ok_output(&cluster.create(&[]));
    let before = cluster.keys();
    let yaml =
        ok_output(&cluster.create(&["--rotate", "CSRF_SECRET", "--dry-run=client", "-o", "yaml"]));
    let manifest = write_file(cluster.dir.path(), "redacted.yaml", &yaml);
    if !kubectl_available() {
        return;
    }
    let applied = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .args([
            "apply",
            "--server-side",
            "--force-conflicts",
            "--validate=false",
            "-f",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        !applied.status.success(),
        "kubectl applied a redacted Secret"
    );
    assert!(
        String::from_utf8_lossy(&applied.stderr).contains("illegal base64"),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(cluster.keys(), before);
}
