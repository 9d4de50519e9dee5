//! The release archives scripts/release.py makes, built from the already-built test binary:
//! the Helm plugin archive has the layout `helm plugin install` expects and post-renders in
//! the real Helm 4 engine once unpacked; the krew archive and manifest fit together; the
//! script refuses versions that disagree.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::helm4;
use crate::support::{binary, example, kubectl_smi, ok, repo, text};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn release(root: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    release_with(root, out, extra, &[])
}

fn release_with(
    root: &Path,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &Path)],
) -> std::process::Output {
    std::process::Command::new("python3")
        .envs(env.iter().copied())
        .arg(repo().join("scripts/release.py"))
        .arg("--root")
        .arg(root)
        .arg("--out")
        .arg(out)
        .arg("--binary")
        .arg(binary())
        .args(extra)
        .output()
        .expect("python3 runs scripts/release.py")
}

/// One release run from the repository, with the test binary (gzip of a debug binary takes
/// seconds: one run serves every check).
#[test]
fn the_release_archives_install_and_post_render() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let gnupg = dir.path().join("gnupg");
    let signing = signing_key(&gnupg);
    let mut extra = Vec::new();
    if signing {
        extra.extend(["--sign", SIGNER]);
    }
    let output = release_with(repo(), &dist, &extra, &[("GNUPGHOME", &gnupg)]);
    if signing {
        let _ = std::process::Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &gnupg)
            .output();
    }
    assert!(output.status.success(), "release.py: {}", text(&output));
    the_helm_plugin_archive_has_the_layout_helm_installs(&dist);
    the_krew_archive_and_manifest_fit_together(&dist);
    if signing {
        the_provenance_signs_the_archive(&dist, &gnupg);
    }
    a_post_render_through_the_unpacked_plugin_works_in_helm4(&dist);
}

const SIGNER: &str = "kubectl-smi-test@example.invalid";

/// A throw-away RSA signing key in `gnupg` (GNUPGHOME), or false with a SKIPPED line when gpg
/// is not installed.
fn signing_key(gnupg: &Path) -> bool {
    if !crate::support::available(
        "gpg",
        &["--version"],
        "gpg is not installed: the .prov is not tested",
    ) {
        return false;
    }
    std::fs::create_dir_all(gnupg).unwrap();
    std::fs::set_permissions(gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    ok(std::process::Command::new("gpg")
        .env("GNUPGHOME", gnupg)
        .args([
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
        ])
        .arg(format!("kubectl-smi test <{SIGNER}>"))
        .args(["rsa2048", "sign", "never"]));
    true
}

/// The .prov is Helm's provenance format: a clear-signed message of plugin.yaml, `...`, and
/// the archive's sha256 under `files:`, with a good signature.
fn the_provenance_signs_the_archive(dist: &Path, gnupg: &Path) {
    let name = format!("kubectl-smi-{VERSION}.tgz");
    let prov = dist.join(format!("{name}.prov"));
    let text = std::fs::read_to_string(&prov).expect("--sign writes the .prov");
    assert!(
        text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\n"),
        "{text}"
    );
    let body = text.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
    let (metadata, sums) = body
        .split_once("\n...\n")
        .expect("metadata, `...`, then the checksums");
    assert!(metadata.contains("name: kubectl-smi"), "{metadata}");
    assert!(
        metadata.contains(&format!("version: {VERSION}")),
        "{metadata}"
    );
    let expected = format!("files:\n  {name}: sha256:{}\n", sha256(&dist.join(&name)));
    assert!(sums.starts_with(&expected), "{sums}");
    let verified = std::process::Command::new("gpg")
        .env("GNUPGHOME", gnupg)
        .args(["--batch", "--verify"])
        .arg(&prov)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        crate::support::text(&verified)
    );
    // The published keyring alone verifies it, as `helm plugin install --keyring FILE` does.
    let keyring = dist.join("kubectl-smi-release-key.gpg");
    assert!(keyring.is_file(), "--sign publishes the public key");
    let only_keyring = tempfile::tempdir().unwrap();
    let Ok(verified) = std::process::Command::new("gpgv")
        .env("GNUPGHOME", only_keyring.path())
        .arg("--keyring")
        .arg(&keyring)
        .arg(&prov)
        .output()
    else {
        eprintln!("SKIPPED: gpgv is not installed: the published keyring is not checked");
        return;
    };
    assert!(
        verified.status.success(),
        "{}",
        crate::support::text(&verified)
    );
    let _ = std::process::Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", gnupg)
        .output();
}

/// An archive's entries as Python's tarfile reads them: name -> (type, mode, size).
fn entries(archive: &Path) -> std::collections::BTreeMap<String, (String, u32, u64)> {
    let script = "import json,sys,tarfile\n\
        t=tarfile.open(sys.argv[1])\n\
        print(json.dumps([[m.name,'dir' if m.isdir() else 'file' if m.isfile() else 'other',m.mode,m.size,m.uname] for m in t.getmembers()]))";
    let listing = ok(std::process::Command::new("python3")
        .args(["-c", script])
        .arg(archive));
    let rows: Vec<(String, String, u32, u64, String)> = serde_json::from_str(&listing).unwrap();
    rows.into_iter()
        .map(|(name, kind, mode, size, owner)| {
            assert_eq!(owner, "root", "{name}: archives are owned by root");
            (name, (kind, mode, size))
        })
        .collect()
}

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

fn the_helm_plugin_archive_has_the_layout_helm_installs(dist: &Path) {
    let archive = dist.join(format!("kubectl-smi-{VERSION}.tgz"));
    let found = entries(&archive);
    let size = std::fs::metadata(binary()).unwrap().len();
    let plugin_yaml = std::fs::metadata(repo().join("plugin.yaml")).unwrap().len();
    let hook = std::fs::metadata(repo().join("scripts/helm-plugin-install.sh"))
        .unwrap()
        .len();
    let dir = |name: &str| (name.to_owned(), ("dir".to_owned(), 0o755, 0));
    let file = |name: &str, mode, size| (name.to_owned(), ("file".to_owned(), mode, size));
    let expected: std::collections::BTreeMap<_, _> = [
        dir("kubectl-smi"),
        dir("kubectl-smi/bin"),
        dir("kubectl-smi/bin/linux-amd64"),
        dir("kubectl-smi/scripts"),
        file("kubectl-smi/plugin.yaml", 0o644, plugin_yaml),
        file("kubectl-smi/scripts/helm-plugin-install.sh", 0o755, hook),
        file("kubectl-smi/bin/linux-amd64/kubectl-smi", 0o755, size),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        found, expected,
        "one kubectl-smi/ folder (Helm 4 finds plugin.yaml one folder down), executables 0755"
    );

    let unpacked = tempfile::tempdir().unwrap();
    ok(std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(unpacked.path()));
    let plugin_dir = unpacked.path().join("kubectl-smi");
    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(plugin_dir.join("plugin.yaml")).unwrap())
            .expect("plugin.yaml parses");
    assert_eq!(manifest["name"], "kubectl-smi");
    assert_eq!(manifest["type"], "postrenderer/v1");
    assert_eq!(
        manifest["version"], VERSION,
        "the archive's plugin.yaml names the release's version"
    );
    let shipped = plugin_dir.join("bin/linux-amd64/kubectl-smi");
    assert_eq!(
        std::fs::read(&shipped).unwrap(),
        std::fs::read(binary()).unwrap(),
        "the binary given"
    );
    let version = ok(std::process::Command::new(&shipped).arg("version"));
    assert!(version.contains(VERSION), "{version}");
}

fn the_krew_archive_and_manifest_fit_together(dist: &Path) {
    let tag = format!("v{VERSION}");
    let archive = dist.join(format!("kubectl-smi_{tag}_linux_amd64.tar.gz"));
    let found = entries(&archive);
    let size = std::fs::metadata(binary()).unwrap().len();
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        [("kubectl-smi".to_owned(), ("file".to_owned(), 0o755, size))],
        "krew's `bin: kubectl-smi` at the archive's top"
    );
    let sha = sha256(&archive);
    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dist.join("smi.yaml")).unwrap())
            .expect("the rendered krew manifest parses");
    assert_eq!(manifest["spec"]["version"], tag);
    let platforms = manifest["spec"]["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 1, "only the platform built: {platforms:?}");
    assert_eq!(
        platforms[0]["selector"]["matchLabels"],
        json!({"os": "linux", "arch": "amd64"})
    );
    assert_eq!(platforms[0]["sha256"], sha.as_str());
    assert!(platforms[0]["uri"].as_str().unwrap().ends_with(&format!(
        "/releases/download/{tag}/kubectl-smi_{tag}_linux_amd64.tar.gz"
    )));
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert!(
        sums.contains(&format!("{sha}  kubectl-smi_{tag}_linux_amd64.tar.gz\n")),
        "{sums}"
    );
    let plugin = dist.join(format!("kubectl-smi-{VERSION}.tgz"));
    assert!(sums.contains(&format!("{}  kubectl-smi-{VERSION}.tgz\n", sha256(&plugin))));
}

fn a_post_render_through_the_unpacked_plugin_works_in_helm4(dist: &Path) {
    if !helm4::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    // What `helm plugin install <url>/kubectl-smi-<version>.tgz` does: unpack, then run the
    // install hook. No kubectl-smi on PATH and no cargo: the shipped binary must serve.
    ok(std::process::Command::new("tar")
        .arg("-xzf")
        .arg(dist.join(format!("kubectl-smi-{VERSION}.tgz")))
        .arg("-C")
        .arg(&plugins));
    let plugin_dir = plugins.join("kubectl-smi");
    let said = helm4::run_install_hook(&plugin_dir, "/usr/bin:/bin");
    assert!(
        said.contains("using the release binary for linux-amd64"),
        "{said}"
    );
    let command = helm4::platform_command(&plugin_dir);
    assert_eq!(
        std::fs::canonicalize(&command).unwrap(),
        std::fs::canonicalize(plugin_dir.join("bin/linux-amd64/kubectl-smi")).unwrap()
    );

    let env = helm4::isolated_env(&dir.path().join("env"));
    let values = example("values-aws.yaml");
    let requests = [
        json!({"op": "install", "chart": example("chart"), "values_files": [values],
            "post_renderer": "kubectl-smi",
            "post_renderer_args": [format!("--values={}", values.display())],
            "helm_plugins": plugins}),
        json!({"op": "template", "chart": example("chart"), "values_files": [values]}),
    ];
    let answers = helm4::run(&requests, &helm4::env_refs(&env));
    assert_eq!(answers[0]["ok"], true, "Helm refused: {}", answers[0]);
    assert_eq!(answers[1]["ok"], true, "{}", answers[1]);
    let stored = helm4::documents(answers[0]["manifest"].as_str().unwrap());
    let plain = helm4::documents(answers[1]["manifest"].as_str().unwrap());
    let kinds = |docs: &[Value]| -> std::collections::BTreeSet<String> {
        docs.iter()
            .map(|d| d["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let added: Vec<String> = kinds(&stored).difference(&kinds(&plain)).cloned().collect();
    assert_eq!(
        added,
        ["NetworkPolicy", "ServiceMonitor"],
        "what kubectl-smi adds for the AWS example"
    );
    // The same as the binary itself makes of the chart's output, as YAML values.
    let alone = kubectl_smi()
        .args(["render", "-f"])
        .arg(&values)
        .write_stdin(answers[1]["manifest"].as_str().unwrap())
        .output()
        .unwrap();
    let alone = helm4::documents(&crate::support::ok_output(&alone));
    assert_eq!(stored.len(), alone.len());
}

/// A copy of the files the release script reads, with `edit` applied to one of them.
fn root_with(dir: &Path, file: &str, find: &str, replace: &str) -> PathBuf {
    let root = dir.join("root");
    for relative in [
        "Cargo.toml",
        "plugin.yaml",
        "krew/smi.yaml",
        "scripts/helm-plugin-install.sh",
    ] {
        let target = root.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let mut content = std::fs::read_to_string(repo().join(relative)).unwrap();
        if relative == file {
            assert_eq!(content.matches(find).count(), 1, "{file}: {find}");
            content = content.replacen(find, replace, 1);
        }
        std::fs::write(target, content).unwrap();
    }
    root
}

#[test]
fn the_release_refuses_versions_that_disagree() {
    let plugin_version = format!("version: {VERSION}\n");
    let cases: [(&str, &str, &str, &[&str], &str); 4] = [
        (
            "plugin.yaml",
            plugin_version.as_str(),
            "version: 9.9.9\n",
            &[],
            "plugin.yaml says version 9.9.9",
        ),
        (
            "krew/smi.yaml",
            "version: {{ .TagName }}",
            "version: v9.9.9",
            &[],
            "krew/smi.yaml says spec.version v9.9.9",
        ),
        (
            "plugin.yaml",
            "name: kubectl-smi\n",
            "name: smi\n",
            &[],
            "the plugin must be named kubectl-smi",
        ),
        (
            "Cargo.toml",
            "",
            "",
            &["--tag", "v9.9.9"],
            "the release tag is v9.9.9",
        ),
    ];
    for (file, find, replace, extra, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let root = if find.is_empty() {
            root_with(dir.path(), "none", "", "")
        } else {
            root_with(dir.path(), file, find, replace)
        };
        let out = dir.path().join("dist");
        let output = release(&root, &out, extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{file}: {}", text(&output));
        assert!(stderr.contains(says), "{file}: {stderr}");
        if !says.contains("named") {
            assert!(
                stderr.contains(&format!("Cargo.toml says {VERSION}")),
                "{stderr}"
            );
        }
        assert!(!out.exists(), "{file}: nothing is written");
    }
}

#[test]
fn the_install_hook_names_the_platforms_an_archive_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("kubectl-smi");
    std::fs::create_dir_all(plugin_dir.join("scripts")).unwrap();
    std::fs::create_dir_all(plugin_dir.join("bin/plan9-mips")).unwrap();
    let hook = plugin_dir.join("scripts/helm-plugin-install.sh");
    std::fs::copy(repo().join("scripts/helm-plugin-install.sh"), &hook).unwrap();
    let output = std::process::Command::new(&hook)
        .env("HELM_PLUGIN_DIR", &plugin_dir)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        stderr.contains("this release archive has no binary for ")
            && stderr.contains("(it has: plan9-mips )"),
        "{stderr}"
    );
    assert!(!plugin_dir.join("bin/kubectl-smi").exists());
}
