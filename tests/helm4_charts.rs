//! Charts shaped like Helm's own test charts (tests/fixtures/charts/, written after helm/helm
//! `pkg/cmd/testdata/testcharts`), installed by the real Helm 4 engine
//! (`install --dry-run=client`) without and with the kubectl-smi post-renderer plugin under
//! each post-render strategy (the AWS example values, which turn `smi` on): the stored
//! release manifests (hooks are not part of them) mean the same, as
//! YAML values, apart from Helm's own re-serialization (listed in KNOWN, each caused by Helm)
//! and what kubectl-smi documents adding (nothing, for charts that are not the platform's).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{binary, example, helm4, kubectl_smi, repo};

const CHARTS: [&str; 5] = ["empty", "notes-only", "nested", "hooks", "crds-only"];
const STRATEGIES: [&str; 3] = ["combined", "separate", "nohooks"];

/// Differences Helm itself makes when a post-renderer runs (the stream goes through kyaml,
/// helm/helm#31948): (chart, object, JSON pointer, without post-renderer, with it). None
/// seen with Helm 4.2.3 for these charts, though `nested` ends two documents with a `|`
/// block (the case #31948 rewrites to `|-` in what the post-renderer receives): the values
/// stored are the same.
const KNOWN: &[(&str, &str, &str, &str, &str)] = &[];

fn chart(name: &str) -> PathBuf {
    repo().join("tests/fixtures/charts").join(name)
}

/// The repository's plugin.yaml and install hook laid out as `helm plugin install` lays
/// them out, the hook run with the test binary on PATH.
fn install_plugin(dir: &Path) -> PathBuf {
    let plugins = dir.join("plugins");
    let plugin_dir = plugins.join("kubectl-smi");
    std::fs::create_dir_all(plugin_dir.join("scripts")).unwrap();
    std::fs::copy(repo().join("plugin.yaml"), plugin_dir.join("plugin.yaml")).unwrap();
    std::fs::copy(
        repo().join("scripts/helm-plugin-install.sh"),
        plugin_dir.join("scripts/helm-plugin-install.sh"),
    )
    .unwrap();
    let path = dir.join("path");
    std::fs::create_dir_all(&path).unwrap();
    std::os::unix::fs::symlink(binary(), path.join("kubectl-smi")).unwrap();
    helm4::run_install_hook(&plugin_dir, &format!("{}:/usr/bin:/bin", path.display()));
    plugins
}

/// The objects of a stored manifest by kind and name.
fn objects(manifest: &str) -> std::collections::BTreeMap<String, Value> {
    helm4::documents(manifest)
        .into_iter()
        .map(|d| {
            (
                format!(
                    "{}/{}",
                    d["kind"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                ),
                d,
            )
        })
        .collect()
}

/// Whether the post-renderer turns a stream with no document into output Helm 4 accepts
/// (the fix of issue 12, item 5): then a chart that renders nothing installs.
fn empty_stream_has_output() -> bool {
    let output = kubectl_smi()
        .args(["render", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin("")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", crate::support::text(&output));
    !output.stdout.is_empty()
}

#[test]
fn helms_test_charts_mean_the_same_with_and_without_the_post_renderer() {
    if !helm4::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugins = install_plugin(dir.path());
    let env = helm4::isolated_env(&dir.path().join("env"));
    let values = example("values-aws.yaml");
    let mut requests = Vec::new();
    for name in CHARTS {
        let base = json!({"op": "install", "chart": chart(name), "values_files": [values],
            "release": "dtp", "namespace": "prod", "helm_plugins": plugins});
        requests.push(base.clone());
        for strategy in STRATEGIES {
            let mut with = base.clone();
            with["post_renderer"] = json!("kubectl-smi");
            with["post_renderer_args"] = json!([format!("--values={}", values.display())]);
            with["post_render_strategy"] = json!(strategy);
            requests.push(with);
        }
    }
    let answers = helm4::run(&requests, &helm4::env_refs(&env));
    let empty_ok = empty_stream_has_output();

    let mut failures = Vec::new();
    let per_chart = 1 + STRATEGIES.len();
    for (i, chart_name) in CHARTS.iter().enumerate() {
        let plain = &answers[per_chart * i];
        assert_eq!(
            plain["ok"], true,
            "{chart_name} without a post-renderer: {plain}"
        );
        let plain = objects(plain["manifest"].as_str().unwrap());
        for (s, strategy) in STRATEGIES.iter().enumerate() {
            let post = &answers[per_chart * i + 1 + s];
            let name = &format!("{chart_name} ({strategy})");
            if plain.is_empty() && !empty_ok && *strategy == "combined" {
                // Issue 12, item 5: under `combined`, Helm 4.2.3 hands the post-renderer an
                // empty stream and refuses the empty output (under `separate` and `nohooks` it
                // does not call it for nothing, and the chart installs). Until kubectl-smi
                // answers an empty stream with a comment, this is the known failure; the test
                // flips to the comparison below once it does.
                let error = post["error"].as_str().unwrap_or_default();
                if post["ok"] == false && error.contains("produced empty output") {
                    eprintln!("{name}: KNOWN FAILURE (issue 12, item 5): {error}");
                    continue;
                }
                failures.push(format!(
                "{name}: expected Helm's known refusal `produced empty output` (issue 12, item 5), got {post}"
            ));
                continue;
            }
            if post["ok"] != true {
                failures.push(format!(
                    "{name} with the post-renderer: Helm refused: {post}"
                ));
                continue;
            }
            let mut post = objects(post["manifest"].as_str().unwrap());
            for (chart, object, pointer, before, after) in KNOWN {
                if chart != chart_name {
                    continue;
                }
                let seen = post
                    .get_mut(*object)
                    .and_then(|o| o.pointer_mut(pointer))
                    .unwrap_or_else(|| panic!("{name}: no {object}{pointer}"));
                eprintln!("{name}: {object}{pointer}: {seen}");
                assert_eq!(
                    seen.as_str(),
                    Some(*after),
                    "{name}: {object}{pointer}: Helm's known re-serialization (helm/helm#31948) no longer happens; drop it from KNOWN"
                );
                assert_eq!(
                    plain[*object].pointer(pointer).and_then(Value::as_str),
                    Some(*before)
                );
                *seen = json!(before);
            }
            if post != plain {
                let keys = |m: &std::collections::BTreeMap<String, Value>| {
                    m.keys().cloned().collect::<Vec<_>>()
                };
                let differing: Vec<&String> = plain
                    .keys()
                    .filter(|k| post.get(*k) != plain.get(*k))
                    .collect();
                for key in &differing {
                    eprintln!(
                        "{key}:\n  without: {}\n  with: {}",
                        plain[*key],
                        post.get(*key).unwrap_or(&Value::Null)
                    );
                }
                failures.push(format!(
                "{name}: the stored manifests differ: without {:?}, with {:?}; differing objects {differing:?}",
                keys(&plain),
                keys(&post)
            ));
            } else {
                eprintln!(
                    "{name}: {} objects, the same with and without kubectl-smi",
                    plain.len()
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
