//! kubectl's flags over a kubeconfig, as the `kube::Config` the commands get.

use std::path::Path;
use std::time::Duration;

use kubectl_smi::cluster::{ClusterOptions, ResolvedConfig, resolve};

use crate::support::{runtime, write_file};

const KUBECONFIG: &str = r#"apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster:
    server: https://prod.example.com:6443
    certificate-authority-data: bm90IGEgcmVhbCBDQQ==
contexts:
- name: prod
  context: {cluster: prod, user: admin, namespace: dtp}
users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, dtp-prod]
"#;

fn resolved(options: ClusterOptions) -> Result<ResolvedConfig, String> {
    runtime()
        .block_on(resolve(&options))
        .map_err(|e| e.to_string())
}

fn with_file(dir: &Path, options: ClusterOptions) -> Result<ResolvedConfig, String> {
    resolved(ClusterOptions {
        kubeconfig: Some(write_file(dir, "config", KUBECONFIG)),
        ..options
    })
}

#[test]
fn the_current_context_gives_server_namespace_and_exec_login() {
    let dir = tempfile::tempdir().unwrap();
    let config = with_file(dir.path(), ClusterOptions::default()).unwrap();
    assert_eq!(
        config.config.cluster_url.to_string(),
        "https://prod.example.com:6443/"
    );
    assert_eq!(config.context.as_deref(), Some("prod"));
    assert_eq!(config.context_namespace.as_deref(), Some("dtp"));
    assert!(config.config.auth_info.exec.is_some());
    assert!(config.config.root_cert.is_some());
}

#[test]
fn a_token_replaces_the_other_ways_of_logging_in() {
    let dir = tempfile::tempdir().unwrap();
    let config = with_file(
        dir.path(),
        ClusterOptions {
            token: Some("t0ken".into()),
            impersonate: Some("ops".into()),
            impersonate_groups: vec!["sre".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let auth = &config.config.auth_info;
    assert!(auth.exec.is_none());
    assert!(auth.token.is_some());
    assert_eq!(auth.impersonate.as_deref(), Some("ops"));
    assert_eq!(
        auth.impersonate_groups.as_deref(),
        Some(&["sre".to_owned()][..])
    );
}

#[test]
fn insecure_skip_tls_verify_drops_the_ca_as_kubectl_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = with_file(
        dir.path(),
        ClusterOptions {
            insecure_skip_tls_verify: true,
            server: Some("https://10.0.0.1:6443".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(config.config.accept_invalid_certs);
    assert!(config.config.root_cert.is_none());
    assert_eq!(
        config.config.cluster_url.to_string(),
        "https://10.0.0.1:6443/"
    );
}

#[test]
fn a_certificate_authority_file_is_read_and_a_missing_one_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = with_file(
        dir.path(),
        ClusterOptions {
            certificate_authority: Some(dir.path().join("ca.pem")),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.contains("ca.pem"), "{err}");
}

#[test]
fn the_request_timeout_bounds_each_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = with_file(
        dir.path(),
        ClusterOptions {
            request_timeout: Some("45s".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(config.config.read_timeout, Some(Duration::from_secs(45)));
    assert_eq!(config.config.write_timeout, Some(Duration::from_secs(45)));
    let config = with_file(
        dir.path(),
        ClusterOptions {
            request_timeout: Some("0".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(config.config.read_timeout, None, "0 waits forever");
}

#[test]
fn user_and_cluster_flags_pick_other_entries() {
    let dir = tempfile::tempdir().unwrap();
    let err = with_file(
        dir.path(),
        ClusterOptions {
            cluster: Some("staging".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err, "cluster \"staging\" is not in the kubeconfig");
    let err = with_file(
        dir.path(),
        ClusterOptions {
            user: Some("nobody".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err, "user \"nobody\" is not in the kubeconfig");
    let config = with_file(
        dir.path(),
        ClusterOptions {
            user: Some("someone-else".into()),
            token: Some("t".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        config.config.auth_info.exec.is_none(),
        "the named user, made from the flags"
    );
}
