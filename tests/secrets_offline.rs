//! `secrets create --dry-run=client` with no cluster configured (no kubeconfig by kubectl's
//! rules, no --server, not in a pod): every input is checked, every missing credential
//! listed, and the plan printed for an empty namespace, labelled as such. A cluster that is
//! configured but unreachable or broken stays an error, and so does any other mode.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::cluster::{SUPPLIED, assert_no_values, assert_no_values_in};
use crate::support::{closed_port, example, kubectl_smi, ok_output, text, write_file};

const NOTE: &str =
    "no cluster configured: planned against an empty namespace (nothing read, nothing sent)";

/// An operator's machine without cluster access: an empty home, the example values with an
/// age-encrypted backup directory, and an env file of every supplied credential.
struct Offline {
    dir: tempfile::TempDir,
    home: PathBuf,
    values: Vec<PathBuf>,
    env_file: PathBuf,
}

impl Offline {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let recipient = age::x25519::Identity::generate().to_public();
        let backup = write_file(
            dir.path(),
            "backup.yaml",
            &format!(
                "smi:\n  secrets:\n    backup:\n      file:\n        directory: backups\n        recipients: [\"{recipient}\"]\n"
            ),
        );
        let env: String = SUPPLIED.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let env_file = write_file(dir.path(), "credentials.env", &env);
        Offline {
            values: vec![example("values-aws.yaml"), backup],
            home,
            env_file,
            dir,
        }
    }

    /// `kubectl-smi secrets <args> -f VALUES...` with nothing that points at a cluster.
    fn smi(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = kubectl_smi();
        cmd.arg("secrets").args(args);
        for values in &self.values {
            cmd.arg("-f").arg(values);
        }
        cmd.current_dir(self.dir.path())
            .env("HOME", &self.home)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .env_remove("SMI_BACKUP_PASSPHRASE");
        cmd
    }

    /// `secrets create --from-env-file ENV --dry-run=client` and `extra`.
    fn plan(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "create",
            "--from-env-file",
            self.env_file.to_str().unwrap(),
            "--dry-run=client",
        ];
        args.extend_from_slice(extra);
        self.smi(&args).output().unwrap()
    }

    fn assert_nothing_written(&self) {
        assert!(
            !self.dir.path().join("backups").exists(),
            "a plan writes no backup"
        );
    }
}

fn supplied() -> BTreeMap<(String, String), Vec<u8>> {
    SUPPLIED
        .iter()
        .map(|(k, v)| ((String::new(), (*k).to_owned()), v.as_bytes().to_vec()))
        .collect()
}

/// The stderr of a run that must exit 1 with nothing on stdout.
fn refused(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{}", text(output));
    assert!(output.stdout.is_empty(), "{}", text(output));
    assert_no_values(output, &supplied());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn without_a_cluster_a_client_dry_run_plans_every_secret_for_an_empty_namespace() {
    let offline = Offline::new();
    let output = offline.plan(&[]);
    let stdout = ok_output(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            NOTE,
            "namespace/prod created (dry run)",
            "secret/smi-postgresql created (dry run) (POSTGRES_USER supplied, POSTGRES_PASSWORD supplied)",
        ],
        "{stdout}"
    );
    assert_eq!(
        lines.len(),
        12,
        "the note, the namespace, ten secrets:\n{stdout}"
    );
    for line in [
        "secret/smi-data-encryption created (dry run) (DATA_ENCRYPTION_KEY generated, FILE_ENCRYPTION_KEY generated)",
        "secret/smi-identity-signing created (dry run) (signing-key.pem generated, signing-key.pub.pem derived, signing-cert.pem derived)",
    ] {
        assert!(lines.contains(&line), "{line:?} in\n{stdout}");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("would first be backed up to file"),
        "{stderr}"
    );
    assert_no_values(&output, &supplied());
    offline.assert_nothing_written();
}

#[test]
fn kubeconfig_naming_only_files_that_do_not_exist_is_no_cluster_either() {
    let offline = Offline::new();
    let empty = tempfile::tempdir().unwrap();
    let missing =
        std::env::join_paths([empty.path().join("config"), empty.path().join("b")]).unwrap();
    let mut args = vec![
        "create",
        "--from-env-file",
        offline.env_file.to_str().unwrap(),
    ];
    let output = offline
        .smi(&[&args[..], &["--dry-run=client"]].concat())
        .env("KUBECONFIG", &missing)
        .output()
        .unwrap();
    assert!(ok_output(&output).starts_with(&format!("{NOTE}\n")));
    // Without --dry-run=client it is the error it always was, now named as kubectl names it.
    args.push("--dry-run=server");
    let stderr = refused(
        &offline
            .smi(&args)
            .env("KUBECONFIG", &missing)
            .output()
            .unwrap(),
    );
    assert!(stderr.contains("no cluster to talk to"), "{stderr}");
}

#[test]
fn offline_objects_are_redacted_and_generated_keys_are_never_shown() {
    let offline = Offline::new();
    let output = offline.plan(&["-o", "yaml"]);
    let yaml = ok_output(&output);
    assert_eq!(yaml.matches("\n---\n").count() + 1, 11, "{yaml}");
    assert!(
        yaml.contains("  POSTGRES_PASSWORD: '<redacted: 16 bytes>'")
            || yaml.contains("  POSTGRES_PASSWORD: \"<redacted: 16 bytes>\""),
        "{yaml}"
    );
    assert!(
        yaml.contains("DATA_ENCRYPTION_KEY: \"<generated when applied: 44 bytes>\"")
            || yaml.contains("DATA_ENCRYPTION_KEY: '<generated when applied: 44 bytes>'"),
        "{yaml}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(&format!("{NOTE}\n")), "{stderr}");
    assert!(
        stderr.contains("secret/smi-session created (dry run)"),
        "{stderr}"
    );
    assert_no_values(&output, &supplied());

    let output = offline.plan(&["-o", "json", "--show-secrets"]);
    let list: serde_json::Value = serde_json::from_slice(ok_output(&output).as_bytes()).unwrap();
    let data = |name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["metadata"]["name"] == name)
            .unwrap()["data"]
            .clone()
    };
    assert_eq!(
        data("smi-redis")["REDIS_PASSWORD"],
        "cmVkaXMtcGFzcy1IaDRadDlMeQ==",
        "a supplied value is shown, as asked"
    );
    assert_eq!(
        data("smi-session")["CSRF_SECRET"],
        "<generated when applied: 86 bytes>"
    );
    for key in ["signing-key.pem", "signing-key.pub.pem", "signing-cert.pem"] {
        let shown = data("smi-identity-signing")[key]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            shown.starts_with("<generated when applied: "),
            "{key}: {shown}"
        );
    }
    assert_no_values_in(&String::from_utf8_lossy(&output.stderr), &supplied());
    offline.assert_nothing_written();
}

#[test]
fn every_missing_credential_is_listed_offline() {
    let offline = Offline::new();
    let partial = write_file(
        offline.dir.path(),
        "partial.env",
        &SUPPLIED[..3]
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect::<String>(),
    );
    let output = offline
        .smi(&[
            "create",
            "--from-env-file",
            partial.to_str().unwrap(),
            "--dry-run=client",
        ])
        .output()
        .unwrap();
    let stderr = refused(&output);
    assert!(stderr.starts_with(&format!("{NOTE}\n")), "{stderr}");
    assert!(
        stderr.contains("10 supplied credential(s) have no value:"),
        "{stderr}"
    );
    for (key, _) in &SUPPLIED[3..] {
        assert!(stderr.contains(&format!("/{key}\n")), "{key} in\n{stderr}");
    }
    offline.assert_nothing_written();
}

#[test]
fn bad_inputs_are_reported_offline() {
    let offline = Offline::new();
    let dir = offline.dir.path();
    let env = std::fs::read_to_string(&offline.env_file).unwrap();
    let typo = write_file(dir, "typo.env", &format!("{env}POSTGRES_PASWORD=x\n"));
    let bad_key = write_file(dir, "badkey.env", &format!("{env}BAD KEY=x\n"));
    let bad_values = write_file(
        dir,
        "bad-values.yaml",
        "smi:\n  secrets:\n    backups: {}\n",
    );
    let passphrase = write_file(
        dir,
        "passphrase.yaml",
        "smi:\n  secrets:\n    backup:\n      file: {directory: backups}\n",
    );
    let no_backup = [crate::support::example_without_secrets("values-aws.yaml")];
    let with = |extra: &Path| vec![example("values-aws.yaml"), extra.to_path_buf()];
    // (values files, arguments, environment, what the message says)
    type Case<'a> = (Vec<PathBuf>, Vec<&'a str>, Option<&'a str>, &'a [&'a str]);
    let env_arg = offline.env_file.to_str().unwrap();
    let cases: Vec<Case> = vec![
        (
            offline.values.clone(),
            vec!["--from-env-file", typo.to_str().unwrap()],
            None,
            &[
                "typo.env:14: key POSTGRES_PASWORD is not in the secret catalog (did you mean POSTGRES_PASSWORD?)",
            ],
        ),
        (
            offline.values.clone(),
            vec!["--from-env-file", bad_key.to_str().unwrap()],
            None,
            &["badkey.env:14: key \"BAD KEY\" is not a valid Secret key"],
        ),
        (
            with(&bad_values),
            vec!["--from-env-file", env_arg],
            None,
            &[
                "bad-values.yaml:3:5: smi.secrets.backups: found the unknown key",
                "did you mean `backup`?",
            ],
        ),
        (
            offline.values.clone(),
            vec!["--from-env-file", env_arg, "--rotate", "NO_SUCH_KEY"],
            None,
            &["--rotate NO_SUCH_KEY: no such key in the secret catalog"],
        ),
        (
            offline.values.clone(),
            vec!["--from-env-file", env_arg, "-n", "kube-system"],
            None,
            &["namespace kube-system is not for applications"],
        ),
        (
            no_backup.to_vec(),
            vec!["--from-env-file", env_arg],
            None,
            &[
                "5 key(s) would be generated",
                "no backup target is configured",
            ],
        ),
        (
            with(&passphrase),
            vec!["--from-env-file", env_arg],
            None,
            &["backup (file ", "set SMI_BACKUP_PASSPHRASE"],
        ),
        (
            with(&passphrase),
            vec!["--from-env-file", env_arg],
            Some("too-short"),
            &["the passphrase is shorter than 12 characters"],
        ),
    ];
    for (values, args, passphrase, expected) in cases {
        let mut cmd = kubectl_smi();
        cmd.args(["secrets", "create", "--dry-run=client"])
            .args(&args);
        for file in &values {
            cmd.arg("-f").arg(file);
        }
        cmd.current_dir(dir)
            .env("HOME", &offline.home)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("SMI_BACKUP_PASSPHRASE");
        if let Some(passphrase) = passphrase {
            cmd.env("SMI_BACKUP_PASSPHRASE", passphrase);
        }
        let stderr = refused(&cmd.output().unwrap());
        for fragment in expected {
            assert!(
                stderr.contains(fragment),
                "{args:?}: {fragment:?} in\n{stderr}"
            );
        }
        assert!(!stderr.contains("no cluster to talk to"), "{stderr}");
    }
    offline.assert_nothing_written();
}

#[test]
fn without_a_cluster_a_server_dry_run_or_a_real_run_is_still_an_error() {
    let offline = Offline::new();
    let env = offline.env_file.to_str().unwrap();
    for mode in [&["--dry-run=server"][..], &[]] {
        let args = [&["create", "--from-env-file", env][..], mode].concat();
        let stderr = refused(&offline.smi(&args).output().unwrap());
        assert!(stderr.contains("no cluster to talk to"), "{stderr}");
        assert!(!stderr.contains(NOTE), "{stderr}");
    }
}

#[test]
fn an_unreachable_or_broken_cluster_is_still_an_error_in_a_client_dry_run() {
    let offline = Offline::new();
    let port = closed_port(std::net::Ipv4Addr::LOCALHOST);
    let dead = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters:\n- name: dead\n  cluster: {{server: 'http://127.0.0.1:{port}'}}\ncontexts:\n- name: dead\n  context: {{cluster: dead, user: nobody}}\nusers:\n- name: nobody\n  user: {{}}\n"
    );
    let kubeconfig = write_file(offline.dir.path(), "dead", &dead);
    let broken = write_file(
        offline.dir.path(),
        "broken",
        &dead.replace("current-context: dead\n", ""),
    );
    let server = format!("http://127.0.0.1:{port}");
    let cases: [(&[&str], &str); 3] = [
        (
            &["--kubeconfig", kubeconfig.to_str().unwrap()],
            "cannot reach the API server",
        ),
        (&["--server", &server], "cannot reach the API server"),
        (
            &["--kubeconfig", broken.to_str().unwrap()],
            "the kubeconfig has no current context",
        ),
    ];
    for (flags, expected) in cases {
        let output = offline.plan(flags);
        let stderr = refused(&output);
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
        assert!(!stderr.contains(NOTE), "{flags:?}: {stderr}");
    }
    // The same file found in ~/.kube/config is a configured cluster too.
    std::fs::create_dir(offline.home.join(".kube")).unwrap();
    std::fs::write(offline.home.join(".kube").join("config"), &dead).unwrap();
    let stderr = refused(&offline.plan(&[]));
    assert!(stderr.contains("cannot reach the API server"), "{stderr}");
}

#[test]
fn a_local_backup_of_the_namespace_is_read_offline_as_a_real_run_would() {
    use age::secrecy::ExposeSecret;
    use std::io::Write;

    let mut offline = Offline::new();
    let identity = age::x25519::Identity::generate();
    write_file(
        offline.dir.path(),
        "identity.txt",
        &format!("{}\n", identity.to_string().expose_secret()),
    );
    offline.values[1] = write_file(
        offline.dir.path(),
        "backup.yaml",
        &format!(
            "smi:\n  secrets:\n    backup:\n      file:\n        directory: backups\n        recipients: [\"{}\"]\n        identityFile: identity.txt\n",
            identity.to_public()
        ),
    );
    let session = "session-secret-from-backup-Qx81Lr";
    let document = serde_json::json!({
        "format": "kubectl-smi/secret-backup/v1",
        "namespace": "prod",
        "environment": "prod",
        "created": "2026-01-01T00:00:00Z",
        "secrets": {"smi-session": {"SESSION_SECRET": session}},
    });
    let recipient = identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut ciphertext = Vec::new();
    let mut writer = encryptor.wrap_output(&mut ciphertext).unwrap();
    writer.write_all(document.to_string().as_bytes()).unwrap();
    writer.finish().unwrap();
    let backups = offline.dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let file = backups.join("smi-secrets-prod-20260101T000000.000000000Z.age");
    std::fs::write(&file, ciphertext).unwrap();

    let output = offline.plan(&[]);
    let stdout = ok_output(&output);
    assert!(stdout.starts_with(&format!("{NOTE}\n")), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "missing keys restored from backup {}",
            file.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "secret/smi-session created (dry run) (SESSION_SECRET restored from backup, CSRF_SECRET generated)"
        ),
        "{stdout}"
    );
    let mut values = supplied();
    values.insert(
        (String::new(), "SESSION_SECRET".to_owned()),
        session.as_bytes().to_vec(),
    );
    assert_no_values(&output, &values);
    assert_eq!(
        std::fs::read_dir(&backups).unwrap().count(),
        1,
        "nothing written"
    );
}

#[test]
fn quoted_values_and_trailing_blanks_in_an_env_file_are_named_without_their_value() {
    let offline = Offline::new();
    let env: String = SUPPLIED
        .iter()
        .map(|(k, v)| match *k {
            "POSTGRES_PASSWORD" => format!("{k}=\"{v}\"\n"),
            "MONGODB_PASSWORD" => format!("{k}={v} \n"),
            _ => format!("{k}={v}\n"),
        })
        .collect();
    std::fs::write(&offline.env_file, env).unwrap();
    let output = offline.plan(&[]);
    ok_output(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("credentials.env:2: the value of POSTGRES_PASSWORD is written in quotes, which stay part of the value")
            && stderr.contains("credentials.env:4: the value of MONGODB_PASSWORD ends with blanks"),
        "{stderr}"
    );
    assert_no_values(&output, &supplied());
    offline.assert_nothing_written();
}
