//! `kubectl smi gitops`: the Argo CD plugin run as argocd-cmp-server runs it, with the real
//! Helm 4 engine as `helm`; the Flux export applied by the real kustomize engine (`kubectl
//! kustomize`) and compared with the render object by object (PyYAML); goldens.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::golden::assert_golden;
use crate::support::{
    self, binary, example, helm4, kubectl_available, kubectl_smi, python_has, repo,
};

const VALUES: [&str; 3] = ["aws", "aws-irsa", "oci"];
const FORMS: [&str; 2] = ["helm3", "helm4"];

fn values_flag(values: &str) -> String {
    format!(
        "--values={}",
        example(&format!("values-{values}.yaml")).display()
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

// --- Argo CD ----------------------------------------------------------------------------

fn argocd(extra: &[&str]) -> String {
    support::ok(
        kubectl_smi()
            .args(["gitops", "argocd", "-f", "values-aws.yaml"])
            .args(extra)
            .current_dir(repo().join("examples")),
    )
}

#[test]
fn argocd_outputs_match_their_goldens() {
    assert_golden("gitops/argocd.yaml", &argocd(&[]));
    assert_golden(
        "gitops/argocd-chart-values.yaml",
        &argocd(&[
            "--chart-values",
            "--image",
            "registry.example.com/tools/kubectl-smi-cmp:1.0",
        ]),
    );
}

#[test]
fn argocd_names_the_values_files_relative_to_the_chart_directory() {
    let out = support::ok(
        kubectl_smi()
            .args([
                "gitops",
                "argocd",
                "-f",
                "examples/values-aws.yaml",
                "--path",
                "examples",
                "-o",
                "json",
            ])
            .current_dir(repo()),
    );
    let json: Value = serde_json::from_str(&out).unwrap();
    let env = &json["items"][1]["spec"]["source"]["plugin"]["env"][0];
    assert_eq!(env["name"], "SMI_VALUES");
    assert_eq!(env["value"], "values-aws.yaml");
    let absolute = kubectl_smi()
        .args(["gitops", "argocd", "-f"])
        .arg(example("values-aws.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        absolute.status.code(),
        Some(2),
        "{}",
        support::text(&absolute)
    );
    assert!(absolute.stdout.is_empty());
}

#[test]
fn argocd_chart_values_put_the_printed_plugin_where_argocd_cmp_server_reads_it() {
    let image = "registry.example.com/tools/kubectl-smi-cmp:1.0";
    let values: Value =
        serde_json::from_str(&argocd(&["--chart-values", "--image", image, "-o", "json"])).unwrap();
    let values = &values["items"][0];
    let plugin: Value = serde_json::from_str(&argocd(&["-o", "json"])).unwrap();
    let plugin = &plugin["items"][0];
    // The argo-cd chart writes each configs.cmp.plugins entry into argocd-cmp-cm as
    // `<name>.yaml`: a ConfigManagementPlugin named <name> with the entry as its spec.
    assert_eq!(values["configs"]["cmp"]["create"], true);
    let name = plugin["metadata"]["name"].as_str().unwrap();
    assert_eq!(values["configs"]["cmp"]["plugins"][name], plugin["spec"]);
    let sidecar = &values["repoServer"]["extraContainers"][0];
    assert_eq!(sidecar["image"], image);
    assert_eq!(sidecar["command"][0], "/var/run/argocd/argocd-cmp-server");
    let mounts = sidecar["volumeMounts"].as_array().unwrap();
    let config = mounts
        .iter()
        .find(|m| m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml")
        .expect("the plugin file is mounted where argocd-cmp-server reads it");
    assert_eq!(config["subPath"], format!("{name}.yaml"));
    let volumes = values["repoServer"]["volumes"].as_array().unwrap();
    for mount in mounts {
        let declared = ["var-files", "plugins"].contains(&mount["name"].as_str().unwrap())
            || volumes.iter().any(|v| v["name"] == mount["name"]);
        assert!(declared, "{mount} has no volume");
    }
    assert!(
        volumes
            .iter()
            .any(|v| v["name"] == config["name"] && v["configMap"]["name"] == "argocd-cmp-cm")
    );
}

#[test]
fn argocd_chart_values_need_an_image_and_no_registry_is_guessed() {
    let out = kubectl_smi()
        .args([
            "gitops",
            "argocd",
            "-f",
            "values-aws.yaml",
            "--chart-values",
        ])
        .current_dir(repo().join("examples"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", support::text(&out));
    assert!(out.stdout.is_empty());
    assert!(
        support::text(&out).contains("--image"),
        "{}",
        support::text(&out)
    );
}

#[test]
fn argocd_refuses_invalid_values_before_printing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let bad = support::write_file(dir.path(), "bad.yaml", "smi:\n  environment: prod\n");
    let out = kubectl_smi()
        .args(["gitops", "argocd", "-f"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", support::text(&out));
    assert!(out.stdout.is_empty());
}

/// The plugin's generate command and args, from the printed plugin.
fn generate_argv() -> Vec<String> {
    let json: Value = serde_json::from_str(&argocd(&["-o", "json"])).unwrap();
    let plugin = &json["items"][0];
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let generate = &plugin["spec"]["generate"];
    let argv: Vec<String> = generate["command"]
        .as_array()
        .unwrap()
        .iter()
        .chain(generate["args"].as_array().unwrap())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(argv.len() >= 2, "{argv:?}");
    argv
}

/// A directory of `helm` (the Helm 4 engine wrapper) and `kubectl-smi`, first on PATH as in
/// the sidecar image.
fn sidecar_path(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(repo().join("tests/helm4/helm"), bin.join("helm")).unwrap();
    std::os::unix::fs::symlink(binary(), bin.join("kubectl-smi")).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// An application directory as Argo CD checks it out: the chart with the values files.
fn app_dir(dir: &Path, values: &[(&str, &str)]) -> PathBuf {
    let app = dir.join("repo/dtplatform");
    std::fs::create_dir_all(&app).unwrap();
    copy_dir(&example("chart"), &app);
    for (name, text) in values {
        std::fs::write(app.join(name), text).unwrap();
    }
    app
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs generate as argocd-cmp-server does: `command[0] command[1..] args...` in the app
/// directory, with the server's environment plus the build variables and ARGOCD_ENV_*.
fn run_generate(
    argv: &[String],
    app: &Path,
    path: &str,
    home: &Path,
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(app)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("TMPDIR", std::env::temp_dir())
        .envs([
            ("ARGOCD_APP_NAMESPACE", "prod"),
            ("ARGOCD_APP_PROJECT_NAME", "default"),
            (
                "ARGOCD_APP_REVISION",
                "0123456789abcdef0123456789abcdef01234567",
            ),
            ("ARGOCD_APP_REVISION_SHORT", "0123456"),
            (
                "ARGOCD_APP_SOURCE_REPO_URL",
                "https://git.example.com/platform/fleet.git",
            ),
            ("ARGOCD_APP_SOURCE_PATH", "dtplatform"),
            ("ARGOCD_APP_SOURCE_TARGET_REVISION", "main"),
        ])
        .envs(env.iter().copied());
    cmd.output().expect("sh runs")
}

#[test]
fn argocd_generate_run_as_the_cmp_server_does_equals_helm_template_piped_into_render() {
    if !helm4::available() {
        return;
    }
    let argv = generate_argv();
    for values in VALUES {
        let dir = tempfile::tempdir().unwrap();
        let values_text =
            std::fs::read_to_string(example(&format!("values-{values}.yaml"))).unwrap();
        let app = app_dir(
            dir.path(),
            &[
                ("values-env.yaml", &values_text),
                ("values-site.yaml", "replicaCount: 1\n"),
            ],
        );
        let path = sidecar_path(dir.path());
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let log = dir.path().join("helm-args.json");
        // Argo CD sets KUBE_VERSION and KUBE_API_VERSIONS, possibly empty; an application
        // outside Argo CD's namespace is named `<namespace>_<name>`.
        // The application's destination is the values' namespace (what the printed
        // Application and ApplicationSet name).
        let namespace = match values {
            "aws" => "prod",
            "aws-irsa" => "dtp-irsa",
            _ => "dtp",
        };
        for (kube_version, api_versions) in
            [("", ""), ("1.31.0", "monitoring.coreos.com/v1,apps/v1")]
        {
            let out = run_generate(
                &argv,
                &app,
                &path,
                &home,
                &[
                    ("ARGOCD_APP_NAMESPACE", namespace),
                    ("ARGOCD_APP_NAME", "team-apps_smi-prod"),
                    ("KUBE_VERSION", kube_version),
                    ("KUBE_API_VERSIONS", api_versions),
                    ("ARGOCD_ENV_SMI_VALUES", "values-env.yaml:values-site.yaml"),
                    ("HELM_ARGS_LOG", log.to_str().unwrap()),
                ],
            );
            assert!(
                out.status.success(),
                "{values}: generate failed: {}",
                support::text(&out)
            );
            let args: Vec<String> =
                serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
            let mut expected_args: Vec<String> = [
                "template",
                "smi-prod",
                ".",
                "--namespace",
                namespace,
                "--values",
                "values-env.yaml",
                "--values",
                "values-site.yaml",
            ]
            .map(str::to_owned)
            .to_vec();
            if !kube_version.is_empty() {
                expected_args.extend(["--kube-version".into(), kube_version.into()]);
                expected_args.extend(["--api-versions".into(), api_versions.into()]);
            }
            assert_eq!(args, expected_args, "{values}: helm's arguments");

            // The reference: the same helm, piped into kubectl-smi render by hand.
            let helm = Command::new(repo().join("tests/helm4/helm"))
                .args(&expected_args)
                .current_dir(&app)
                .env("HOME", &home)
                .env_remove("HELM_ARGS_LOG")
                .output()
                .unwrap();
            assert!(helm.status.success(), "{}", support::text(&helm));
            let rendered = kubectl_smi()
                .args([
                    "render",
                    "--values=values-env.yaml",
                    "--values=values-site.yaml",
                ])
                .current_dir(&app)
                .write_stdin(helm.stdout)
                .output()
                .unwrap();
            assert!(rendered.status.success(), "{}", support::text(&rendered));
            assert!(
                stdout(&out) == stdout(&rendered),
                "{values}: generate's output differs from helm template | kubectl-smi render"
            );
            let text = stdout(&out);
            assert!(text.contains("kind: Deployment"), "{values}: {text}");
        }
        // An application whose destination is not the values' namespace (a cluster label
        // naming another one) fails closed: nothing for Argo CD to apply or prune.
        let out = run_generate(
            &argv,
            &app,
            &path,
            &home,
            &[
                ("ARGOCD_APP_NAMESPACE", "elsewhere"),
                ("ARGOCD_APP_NAME", "smi-prod"),
                ("ARGOCD_ENV_SMI_VALUES", "values-env.yaml:values-site.yaml"),
                ("HELM_ARGS_LOG", log.to_str().unwrap()),
            ],
        );
        assert!(!out.status.success(), "{values}: {}", support::text(&out));
        assert!(out.stdout.is_empty(), "{values}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "the release installs into namespace elsewhere, but the values' namespace is {namespace}"
            )),
            "{values}: {stderr}"
        );
    }
}

#[test]
fn argocd_discover_matches_a_chart_directory_with_an_smi_values_file_only() {
    let json: Value = serde_json::from_str(&argocd(&["-o", "json"])).unwrap();
    let argv: Vec<String> = json["items"][0]["spec"]["discover"]["find"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let chart = "apiVersion: v2\nname: c\nversion: 0.1.0\n";
    // (files in the application directory, whether discover matches)
    let cases: [(&[(&str, &str)], bool); 4] = [
        (
            &[
                ("Chart.yaml", chart),
                ("values.yaml", "smi:\n  environment: prod\n"),
            ],
            true,
        ),
        (
            &[("Chart.yaml", chart), ("values.yaml", "replicaCount: 1\n")],
            false,
        ),
        (&[("values.yaml", "smi:\n  environment: prod\n")], false),
        (&[], false),
    ];
    for (i, (files, matches)) in cases.iter().enumerate() {
        let app = dir.path().join(format!("app{i}"));
        std::fs::create_dir_all(&app).unwrap();
        for (name, text) in *files {
            std::fs::write(app.join(name), text).unwrap();
        }
        // As argocd-cmp-server runs find.command: in the application's directory; any
        // output is a match, a failure an error.
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(&app)
            .output()
            .unwrap();
        assert!(out.status.success(), "case {i}: {}", support::text(&out));
        assert_eq!(
            !out.stdout.is_empty(),
            *matches,
            "case {i}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn argocd_generate_fails_closed_with_nothing_on_stdout() {
    if !helm4::available() {
        return;
    }
    let argv = generate_argv();
    let dir = tempfile::tempdir().unwrap();
    let values_text = std::fs::read_to_string(example("values-aws.yaml")).unwrap();
    let invalid = values_text.replace("provider: aws", "provider: azure");
    assert_ne!(invalid, values_text);
    let app = app_dir(
        dir.path(),
        &[("good.yaml", &values_text), ("invalid.yaml", &invalid)],
    );
    let empty_chart = dir.path().join("repo/empty");
    std::fs::create_dir_all(&empty_chart).unwrap();
    std::fs::write(
        empty_chart.join("Chart.yaml"),
        "apiVersion: v2\nname: empty\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(empty_chart.join("good.yaml"), &values_text).unwrap();
    let path = sidecar_path(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // (case, chart directory, ARGOCD_APP_NAME, SMI_VALUES, a part of the message on stderr)
    let cases = [
        (
            "values kubectl-smi refuses",
            &app,
            Some("smi-prod"),
            "invalid.yaml",
            "azure",
        ),
        (
            "a values file that is missing",
            &app,
            Some("smi-prod"),
            "good.yaml:missing.yaml",
            "missing.yaml",
        ),
        (
            "a chart that renders no object",
            &empty_chart,
            Some("smi-prod"),
            "good.yaml",
            "refusing to hand Argo CD an empty application",
        ),
        (
            "no ARGOCD_APP_NAME",
            &app,
            None,
            "good.yaml",
            "ARGOCD_APP_NAME",
        ),
    ];
    for (case, app, name, values, message) in cases {
        let mut env = vec![("ARGOCD_ENV_SMI_VALUES", values)];
        if let Some(name) = name {
            env.push(("ARGOCD_APP_NAME", name));
        }
        let out = run_generate(&argv, app, &path, &home, &env);
        assert!(!out.status.success(), "{case}: generate succeeded");
        assert!(
            out.stdout.is_empty(),
            "{case}: stdout is not empty: {}",
            stdout(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{case}: {stderr}");
    }
}

// --- Flux -------------------------------------------------------------------------------

fn flux(values: &str, form: &str, extra: &[&str]) -> Output {
    kubectl_smi()
        .args(["gitops", "flux", &values_flag(values)])
        .args(extra)
        .write_stdin(std::fs::read(example(&format!("rendered-{form}.yaml"))).unwrap())
        .output()
        .unwrap()
}

fn render(values: &str, form: &str) -> String {
    let out = kubectl_smi()
        .args(["render", &values_flag(values)])
        .write_stdin(std::fs::read(example(&format!("rendered-{form}.yaml"))).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::text(&out));
    stdout(&out)
}

#[test]
fn flux_export_matches_its_golden() {
    for values in VALUES {
        let out = flux(values, "helm4", &["--depends-on", "kube-prometheus-stack"]);
        assert!(out.status.success(), "{}", support::text(&out));
        assert_golden(&format!("gitops/flux-{values}-helm4.yaml"), &stdout(&out));
    }
}

#[test]
fn flux_patches_applied_by_kubectl_kustomize_plus_the_added_objects_equal_the_render() {
    if !kubectl_available() || !python_has("yaml") {
        return;
    }
    for values in VALUES {
        for form in FORMS {
            let dir = tempfile::tempdir().unwrap();
            let export = flux(values, form, &[]);
            assert!(export.status.success(), "{}", support::text(&export));
            let export_file = support::write_file(dir.path(), "export.yaml", &stdout(&export));
            // The patches as committed: read from the YAML export.
            let docs = helm4::documents(&stdout(&export));
            let release = &docs[0];
            assert_eq!(release["kind"], "HelmRelease");
            let patches = &release["spec"]["postRenderers"][0]["kustomize"]["patches"];
            assert!(
                patches.as_array().is_some_and(|p| !p.is_empty()),
                "{values}/{form}: no patch"
            );
            // What helm-controller builds: the Helm output as the one resource, the patches
            // with their targets (internal/postrender/kustomize.go).
            let kustomize_dir = dir.path().join("kustomize");
            std::fs::create_dir_all(&kustomize_dir).unwrap();
            std::fs::copy(
                example(&format!("rendered-{form}.yaml")),
                kustomize_dir.join("helm-output.yaml"),
            )
            .unwrap();
            let kustomization = serde_json::json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["helm-output.yaml"],
                "patches": patches,
            });
            std::fs::write(
                kustomize_dir.join("kustomization.yaml"),
                serde_json::to_string_pretty(&kustomization).unwrap(),
            )
            .unwrap();
            let kustomized = Command::new("kubectl")
                .arg("kustomize")
                .arg(&kustomize_dir)
                .output()
                .unwrap();
            assert!(
                kustomized.status.success(),
                "{values}/{form}: {}",
                support::text(&kustomized)
            );
            let kustomized =
                support::write_file(dir.path(), "kustomized.yaml", &stdout(&kustomized));
            let rendered = support::write_file(dir.path(), "rendered.yaml", &render(values, form));
            let compare = Command::new("python3")
                .arg(repo().join("tests/gitops/flux_compare.py"))
                .args([&rendered, &kustomized, &export_file])
                .output()
                .unwrap();
            assert!(
                compare.status.success(),
                "{values}/{form}: {}",
                support::text(&compare)
            );
        }
    }
}

#[test]
fn flux_check_holds_on_the_same_stream_and_names_what_a_newer_stream_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let export = flux("aws", "helm3", &[]);
    assert!(export.status.success(), "{}", support::text(&export));
    let file = support::write_file(dir.path(), "export.yaml", &stdout(&export));
    let check = |form: &str| flux("aws", form, &["--check", file.to_str().unwrap()]);
    let same = check("helm3");
    assert_eq!(same.status.code(), Some(0), "{}", support::text(&same));
    assert!(stdout(&same).contains("still yields the render's result"));
    // The Helm 4 stream holds the migration hooks, which the Helm 3 export never patched.
    let newer = check("helm4");
    assert_eq!(newer.status.code(), Some(1), "{}", support::text(&newer));
    let text = stdout(&newer);
    assert!(
        text.contains("ServiceAccount/filesvc-migrations differs"),
        "{text}"
    );

    // A chart that renamed an object: the old patches select nothing.
    let moved = std::fs::read_to_string(example("rendered-helm3.yaml"))
        .unwrap()
        .replacen("name: aisvc\n", "name: aisvc-api\n", 1);
    let out = kubectl_smi()
        .args([
            "gitops",
            "flux",
            &values_flag("aws"),
            "--check",
            file.to_str().unwrap(),
        ])
        .write_stdin(moved)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", support::text(&out));
}

#[test]
fn flux_check_refuses_a_file_that_is_not_an_export() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_file(
        dir.path(),
        "not-an-export.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let out = flux("aws", "helm3", &["--check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", support::text(&out));
    assert!(out.stdout.is_empty());
    assert!(
        support::text(&out).contains("it has no HelmRelease document"),
        "{}",
        support::text(&out)
    );
    let missing = flux("aws", "helm3", &["--check", "/nonexistent/export.yaml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(support::text(&missing).contains("cannot read /nonexistent/export.yaml"));
}
