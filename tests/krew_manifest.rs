//! The krew manifest, rendered the way krew-release-bot renders it for a release, is a
//! valid krew Plugin whose archive holds the binary.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::support::{binary, ok, repo};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Plugin {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Spec {
    version: String,
    homepage: String,
    short_description: String,
    description: String,
    platforms: Vec<Platform>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Platform {
    selector: Selector,
    uri: String,
    sha256: String,
    bin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Selector {
    match_labels: std::collections::BTreeMap<String, String>,
}

/// krew-release-bot's substitutions: {{ .TagName }} and {{ addURIAndSha "URL" .TagName }}.
fn render(template: &str, tag: &str, sha256: &str) -> String {
    let text = template.replace("{{ .TagName }}", tag);
    let mut out = String::new();
    for line in text.lines() {
        match line.trim_start().strip_prefix("{{ addURIAndSha \"") {
            Some(rest) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                let uri = rest.split('"').next().expect("a quoted URL");
                out.push_str(&format!("{indent}uri: {uri}\n{indent}sha256: {sha256}\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn the_rendered_krew_manifest_is_a_valid_plugin_for_the_built_archive() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(binary(), dir.path().join("kubectl-smi")).unwrap();
    let archive = dir.path().join("kubectl-smi.tar.gz");
    ok(std::process::Command::new("tar").args([
        "-czf",
        archive.to_str().unwrap(),
        "-C",
        dir.path().to_str().unwrap(),
        "kubectl-smi",
    ]));
    let sha = format!("{:x}", Sha256::digest(std::fs::read(&archive).unwrap()));

    let template = std::fs::read_to_string(repo().join("krew/smi.yaml")).unwrap();
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let plugin: Plugin =
        serde_saphyr::from_str(&render(&template, &tag, &sha)).expect("a krew Plugin");

    assert_eq!(
        plugin.api_version,
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(plugin.kind, "Plugin");
    assert_eq!(
        plugin.metadata.name, "smi",
        "krew requires metadata.name to equal the file name"
    );
    assert_eq!(plugin.spec.version, tag, "krew versions carry a v prefix");
    assert!(plugin.spec.short_description.len() <= 60);
    assert_eq!(plugin.spec.platforms.len(), 4);
    for p in &plugin.spec.platforms {
        let (os, arch) = (
            &p.selector.match_labels["os"],
            &p.selector.match_labels["arch"],
        );
        assert!(
            p.uri
                .ends_with(&format!("kubectl-smi_{tag}_{os}_{arch}.tar.gz")),
            "{}",
            p.uri
        );
        assert_eq!(p.sha256, sha);
        assert_eq!(p.bin, "kubectl-smi");
    }
    let listing = ok(std::process::Command::new("tar").args(["-tzf", archive.to_str().unwrap()]));
    assert_eq!(listing.trim(), "kubectl-smi", "the archive holds the bin");
}
