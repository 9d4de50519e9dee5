//! Bad input to `secrets create`: a clear message naming what and where, exit code 1 (2 for
//! usage), and nothing created: no write reaches the API server, no backup is written.

use crate::support::cluster::{self, Cluster, SUPPLIED};
use crate::support::{ok_output, text};

/// The operator's env file with `change` applied to its text.
fn env_with(cluster: &Cluster, name: &str, change: impl FnOnce(String) -> String) -> String {
    let text: String = SUPPLIED.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let path = cluster.dir.path().join(name);
    std::fs::write(&path, change(text)).unwrap();
    path.display().to_string()
}

fn assert_refused(cluster: &Cluster, args: &[&str], code: i32, expected: &[&str]) {
    let output = cluster.smi(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\n{}",
        text(&output)
    );
    for fragment in expected {
        assert!(
            stderr.contains(fragment),
            "{args:?}: expected {fragment:?} in\n{stderr}"
        );
    }
    assert!(output.stdout.is_empty(), "{args:?}: {}", text(&output));
    let supplied = SUPPLIED
        .iter()
        .map(|(k, v)| ((String::new(), (*k).to_owned()), v.as_bytes().to_vec()))
        .collect();
    cluster::assert_no_values(&output, &supplied);
    assert!(
        cluster.writes().is_empty(),
        "{args:?}: something was written: {:?}",
        cluster.writes()
    );
    assert!(
        cluster.backup_files().is_empty(),
        "{args:?}: a backup was written"
    );
    assert!(
        cluster.api.get("namespaces", "", "prod").is_none(),
        "{args:?}: the namespace was created"
    );
}

#[test]
fn an_unreadable_env_file_is_named() {
    let cluster = Cluster::new();
    let missing = cluster.dir.path().join("nope.env");
    assert_refused(
        &cluster,
        &["create", "--from-env-file", missing.to_str().unwrap()],
        1,
        &["cannot read", "nope.env", "No such file"],
    );
    let directory = cluster.dir.path().display().to_string();
    assert_refused(
        &cluster,
        &["create", "--from-env-file", &directory],
        1,
        &["cannot read", "hint: check the path"],
    );
}

#[test]
fn bad_env_files_are_refused_with_file_and_line() {
    let cluster = Cluster::new();
    // (file name, how its text is spoiled, what the message says)
    type Case = (&'static str, fn(String) -> String, &'static [&'static str]);
    let cases: [Case; 5] = [
        (
            "duplicate.env",
            |t| format!("{t}POSTGRES_USER=again\n"),
            &[
                "key smi-postgresql/POSTGRES_USER is given twice",
                "duplicate.env:1 and at",
                "duplicate.env:14",
            ],
        ),
        (
            "badkey.env",
            |t| format!("{t}BAD KEY=x\n"),
            &[
                "badkey.env:14: key \"BAD KEY\" is not a valid Secret key",
                "letters, digits",
            ],
        ),
        (
            "dotdot.env",
            |t| format!("{t}..hidden=x\n"),
            &["dotdot.env:14: key \"..hidden\" is not a valid Secret key"],
        ),
        (
            "big.env",
            |t| format!("{t}NEO4J_PASSWORD={}\n", "x".repeat(1024 * 1024 + 1)),
            &[
                "big.env:14: the value of NEO4J_PASSWORD is 1048577 bytes",
                "at most 1 MiB",
            ],
        ),
        (
            "typo.env",
            |t| format!("{t}POSTGRES_PASWORD=x\n"),
            &[
                "typo.env:14: key POSTGRES_PASWORD is not in the secret catalog (did you mean POSTGRES_PASSWORD?)",
            ],
        ),
    ];
    for (name, change, expected) in cases {
        let path = env_with(&cluster, name, change);
        assert_refused(&cluster, &["create", "--from-env-file", &path], 1, expected);
    }
    let path = cluster.dir.path().join("latin1.env");
    std::fs::write(&path, b"NEO4J_PASSWORD=caf\xe9\n").unwrap();
    assert_refused(
        &cluster,
        &["create", "--from-env-file", path.to_str().unwrap()],
        1,
        &["latin1.env:1: the line is not UTF-8", "--from-file"],
    );
}

#[test]
fn an_empty_supplied_value_is_refused_naming_the_key_and_where_before_anything_is_written() {
    let cluster = Cluster::new();
    let env = env_with(&cluster, "empty.env", |t| {
        t.replace("NEO4J_PASSWORD=neo4j-pass-Xx7Lk4Fs\n", "NEO4J_PASSWORD=\n")
    });
    assert_refused(
        &cluster,
        &["create", "--from-env-file", &env],
        1,
        &[
            "empty.env:11: the value of NEO4J_PASSWORD is empty",
            "hint: write the value after '='",
        ],
    );
    // An empty --from-file file is no value either.
    let partial = env_with(&cluster, "partial.env", |t| {
        t.replace("NEO4J_PASSWORD=neo4j-pass-Xx7Lk4Fs\n", "")
    });
    let empty = cluster.dir.path().join("neo4j.txt");
    std::fs::write(&empty, "").unwrap();
    let from_file = format!("NEO4J_PASSWORD={}", empty.display());
    assert_refused(
        &cluster,
        &[
            "create",
            "--from-env-file",
            &partial,
            "--from-file",
            &from_file,
        ],
        1,
        &["neo4j.txt: the value of NEO4J_PASSWORD is empty"],
    );
    // A bare KEY line takes the environment variable: set but empty, it is refused too.
    let bare = env_with(&cluster, "bare.env", |t| {
        t.replace("NEO4J_PASSWORD=neo4j-pass-Xx7Lk4Fs\n", "NEO4J_PASSWORD\n")
    });
    let output = cluster
        .smi(&["create", "--from-env-file", &bare])
        .env("NEO4J_PASSWORD", "")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("bare.env:11: the value of NEO4J_PASSWORD is empty"),
        "{}",
        text(&output)
    );
    assert!(cluster.writes().is_empty(), "{:?}", cluster.writes());
}

#[test]
fn the_same_key_in_two_sources_is_refused() {
    let cluster = Cluster::new();
    let env = cluster.env_file.display().to_string();
    let file = cluster.dir.path().join("neo4j.txt");
    std::fs::write(&file, "other").unwrap();
    let from_file = format!("NEO4J_PASSWORD={}", file.display());
    assert_refused(
        &cluster,
        &["create", "--from-env-file", &env, "--from-file", &from_file],
        1,
        &[
            "smi-neo4j/NEO4J_PASSWORD is given twice",
            "credentials.env:11",
            "neo4j.txt",
        ],
    );
}

#[test]
fn from_file_refuses_bad_keys_huge_files_and_bad_syntax() {
    let cluster = Cluster::new();
    let env = env_with(&cluster, "partial.env", |t| {
        t.replace("NEO4J_PASSWORD=neo4j-pass-Xx7Lk4Fs\n", "")
    });
    let big = cluster.dir.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 1024 * 1024 + 10]).unwrap();
    let small = cluster.dir.path().join("small.txt");
    std::fs::write(&small, "v").unwrap();
    let cases = [
        (
            format!("NEO4J_PASSWORD={}", big.display()),
            vec![
                "big.bin: the value of NEO4J_PASSWORD is 1048586 bytes",
                "at most 1 MiB",
            ],
        ),
        (
            format!("bad/key={}", small.display()),
            vec!["small.txt: key bad/key is not in the secret catalog"],
        ),
        (
            format!("sp ace={}", small.display()),
            vec!["key \"sp ace\" is not a valid Secret key"],
        ),
        (
            "NEO4J_PASSWORD".to_owned(),
            vec!["--from-file \"NEO4J_PASSWORD\" is not KEY=PATH"],
        ),
        (
            format!(
                "NEO4J_PASSWORD={}",
                cluster.dir.path().join("absent").display()
            ),
            vec!["cannot read", "absent"],
        ),
    ];
    for (argument, expected) in cases {
        let args = ["create", "--from-env-file", &env, "--from-file", &argument];
        let expected: Vec<&str> = expected.iter().map(|s| &**s).collect();
        assert_refused(&cluster, &args, 1, &expected);
    }
}

#[test]
fn missing_credentials_are_listed_in_one_message_and_nothing_is_created() {
    let cluster = Cluster::new();
    let env = env_with(&cluster, "partial.env", |t| {
        t.lines()
            .filter(|l| {
                !l.starts_with("REDIS")
                    && !l.starts_with("SMTP")
                    && !l.starts_with("NEO4J_USERNAME")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    });
    assert_refused(
        &cluster,
        &["create", "--from-env-file", &env],
        1,
        &[
            "nothing was changed, because:\n  4 supplied credential(s) have no value:\n    smi-redis/REDIS_PASSWORD\n    smi-neo4j/NEO4J_USERNAME\n    smi-smtp/SMTP_USERNAME\n    smi-smtp/SMTP_PASSWORD\n",
            "hint: give the missing values in an env file",
        ],
    );
    assert_refused(
        &cluster,
        &["create"],
        1,
        &["13 supplied credential(s) have no value"],
    );
}

#[test]
fn keys_are_not_generated_without_a_backup_target_unless_asked() {
    let mut cluster = Cluster::new();
    cluster.values.truncate(1);
    let env = cluster.env_file.display().to_string();
    assert_refused(
        &cluster,
        &["create", "--from-env-file", &env],
        1,
        &[
            "5 key(s) would be generated (smi-data-encryption/DATA_ENCRYPTION_KEY,",
            "no backup target is configured",
            "hint: configure smi.secrets.backup",
            "--no-backup",
        ],
    );
    let output = cluster
        .smi(&["create", "--from-env-file", &env, "--no-backup"])
        .output()
        .unwrap();
    ok_output(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: --no-backup: smi-data-encryption/DATA_ENCRYPTION_KEY"),
        "{stderr}"
    );
}

#[test]
fn rotating_an_unknown_or_ambiguous_key_is_refused() {
    let cluster = Cluster::new();
    let env = cluster.env_file.display().to_string();
    assert_refused(
        &cluster,
        &["create", "--from-env-file", &env, "--rotate", "DATA_KEY"],
        1,
        &["--rotate DATA_KEY: no such key in the secret catalog"],
    );
    assert_refused(
        &cluster,
        &[
            "create",
            "--from-env-file",
            &env,
            "--rotate",
            "smi-session/NOPE",
        ],
        1,
        &["--rotate smi-session/NOPE"],
    );
}

#[test]
fn a_namespace_holding_another_installation_is_refused() {
    let cluster = Cluster::new();
    cluster
        .api
        .insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "labels": {"smi.dtplatform.io/environment": "staging"}}}))
        .unwrap();
    let env = cluster.env_file.display().to_string();
    let output = cluster
        .smi(&["create", "--from-env-file", &env])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("namespace prod already holds the platform installation \"staging\" (namespace label smi.dtplatform.io/environment=staging); one platform per namespace"), "{stderr}");
    assert!(cluster.writes().is_empty());
}

#[test]
fn an_unlabelled_namespace_with_another_installations_secrets_is_refused() {
    let cluster = Cluster::new();
    cluster.api.insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}})).unwrap();
    cluster
        .api
        .insert(serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "smi-redis", "namespace": "prod", "labels": {"smi.dtplatform.io/environment": "qa"}}, "data": {}}))
        .unwrap();
    let env = cluster.env_file.display().to_string();
    let output = cluster
        .smi(&["create", "--from-env-file", &env])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("(secret smi-redis is labelled smi.dtplatform.io/environment=qa)"),
        "{stderr}"
    );
    assert!(cluster.writes().is_empty());
}

#[test]
fn system_namespaces_are_refused() {
    let cluster = Cluster::new();
    let env = cluster.env_file.display().to_string();
    for namespace in ["kube-system", "default"] {
        let output = cluster
            .smi(&["create", "--from-env-file", &env, "-n", namespace])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("namespace {namespace} is not for applications")),
            "{stderr}"
        );
    }
    assert!(cluster.writes().is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let cluster = Cluster::new();
    for args in [
        vec!["create", "--dry-run=maybe"],
        vec!["create", "-o", "xml"],
        vec!["create", "--show-secrets"],
    ] {
        let output = cluster.smi(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    }
    assert!(cluster.writes().is_empty());
}

#[test]
fn credentials_can_come_on_standard_input() {
    let cluster = Cluster::new();
    let env = std::fs::read_to_string(&cluster.env_file).unwrap();
    let output = cluster
        .smi(&["create", "--from-env-file", "-"])
        .write_stdin(env)
        .output()
        .unwrap();
    ok_output(&output);
    let keys = cluster.keys();
    assert_eq!(
        keys[&("smi-redis".to_owned(), "REDIS_PASSWORD".to_owned())],
        b"redis-pass-Hh4Zt9Ly"
    );
    cluster::assert_no_values(&output, &keys);
}
