//! `--in-cluster`: the TCP checks again, from a short-lived pod in the platform's namespace,
//! which is where the platform's traffic starts. The pod runs bash's /dev/tcp against each
//! endpoint at once, each under `timeout`, prints one line per endpoint, and is deleted.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, LogParams, PostParams};
use serde_json::json;

use super::check::{Check, Group, Progress};
use super::tcp::Target;

/// The image the probe runs: the official bash image (bash for /dev/tcp, busybox `timeout`).
pub const DEFAULT_PROBE_IMAGE: &str = "docker.io/library/bash:5.2";
/// Marks the probe's result lines in the pod log.
const MARK: &str = "SMI-PROBE";
/// How long the pod may take to be scheduled and pull its image, beyond the checks' timeout.
const START_BUDGET: Duration = Duration::from_secs(90);

/// How long a namespace created just before may lack its `default` ServiceAccount (the
/// controller-manager adds it within seconds; until then the API server refuses pods there
/// with 403 `error looking up service account`).
const SERVICE_ACCOUNT_WAIT: Duration = Duration::from_secs(30);

/// Tries every endpoint in parallel: arguments are `<timeout> <host> <port> <host> <port>...`,
/// passed as arguments so that no value from the values file is ever read as shell code.
const SCRIPT: &str = r#"t=$1; shift; i=0
while [ $# -gt 1 ]; do
  ( out=$(timeout "$t" bash -c ': <>"/dev/tcp/$0/$1"' "$1" "$2" 2>&1); code=$?
    echo "SMI-PROBE $i $code ${out//$'\n'/ }" ) &
  i=$((i+1)); shift 2
done
wait
"#;

/// The probe pod for `targets` in `namespace`: restricted Pod Security (non-root, read-only
/// root, no capabilities, no service account token), never restarted, with a deadline.
pub fn probe_pod(namespace: &str, image: &str, targets: &[Target], timeout: Duration) -> Pod {
    let mut args = vec![
        SCRIPT.to_owned(),
        "smi-probe".to_owned(),
        timeout.as_secs().max(1).to_string(),
    ];
    for target in targets {
        args.push(target.endpoint.host.clone());
        args.push(target.endpoint.port.to_string());
    }
    let deadline = (timeout + START_BUDGET).as_secs();
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "smi-preflight-",
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": "kubectl-smi-preflight",
                "app.kubernetes.io/managed-by": "kubectl-smi"
            }
        },
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": deadline,
            "automountServiceAccountToken": false,
            "terminationGracePeriodSeconds": 0,
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"}
            },
            "containers": [{
                "name": "probe",
                "image": image,
                "command": ["bash", "-c"],
                "args": args,
                "resources": {
                    "requests": {"cpu": "10m", "memory": "16Mi"},
                    "limits": {"memory": "64Mi"}
                },
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    });
    serde_json::from_value(pod).expect("the probe pod is a Pod")
}

/// The checks read from the probe's log; a target without a line failed to run.
pub fn parse_probe_log(log: &str, targets: &[Target], timeout: Duration) -> Vec<Check> {
    let mut results: Vec<Option<(i32, String)>> = vec![None; targets.len()];
    for line in log.lines() {
        let Some(rest) = line.strip_prefix(MARK).map(str::trim_start) else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        let index = parts.next().and_then(|i| i.parse::<usize>().ok());
        let code = parts.next().and_then(|c| c.parse::<i32>().ok());
        if let (Some(index), Some(code)) = (index, code)
            && let Some(slot) = results.get_mut(index)
        {
            *slot = Some((code, parts.next().unwrap_or("").trim().to_owned()));
        }
    }
    targets
        .iter()
        .zip(results)
        .map(|(target, result)| in_cluster_check(target, result, timeout))
        .collect()
}

fn in_cluster_check(target: &Target, result: Option<(i32, String)>, timeout: Duration) -> Check {
    let id = target.id.replacen("network/", "network/in-cluster/", 1);
    let title = target.title.replace(
        "accepts TCP connections",
        "accepts TCP connections from the cluster",
    );
    let endpoint = &target.endpoint;
    let rules = "the cluster's egress is blocked: compare its security groups / security lists with `kubectl smi network rules`";
    match result {
        Some((0, _)) => Check::pass(id, Group::Network, title, "connected from the probe pod"),
        Some((code, _)) if code == 124 || code == 143 => Check::fail(
            id,
            Group::Network,
            title,
            format!("no answer within {}s", timeout.as_secs().max(1)),
            rules,
        ),
        Some((_, message)) if message.contains("refused") => Check::fail(
            id,
            Group::Network,
            title,
            message,
            format!(
                "nothing listens on port {}: check the port in {}",
                endpoint.port, endpoint.values_path
            ),
        ),
        Some((_, message))
            if message.contains("Name")
                || message.contains("resolv")
                || message.contains("host") =>
        {
            Check::fail(
                id,
                Group::Network,
                title,
                message,
                format!(
                    "the cluster's DNS cannot resolve {}: check {} and the VPC's DNS settings",
                    endpoint.host, endpoint.values_path
                ),
            )
        }
        Some((code, message)) => Check::fail(
            id,
            Group::Network,
            title,
            format!("exit {code}: {message}"),
            rules,
        ),
        None => Check::blocked(
            id,
            Group::Network,
            title,
            "the probe pod printed no result for it",
        ),
    }
}

/// Runs the probe pod, reads its results and deletes it (also when something fails).
pub async fn check_from_pod(
    client: &Client,
    namespace: &str,
    image: &str,
    targets: &[Target],
    timeout: Duration,
    progress: &dyn Progress,
) -> Vec<Check> {
    progress.add(targets.len());
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let checks = match run_pod(&pods, namespace, image, targets, timeout).await {
        Ok(log) => parse_probe_log(&log, targets, timeout),
        Err(why) => {
            let blocked = targets
                .iter()
                .map(|t| in_cluster_check(t, None, timeout))
                .map(|mut c| {
                    c.detail = why.clone();
                    c
                });
            let pod = Check::fail(
                "network/in-cluster/pod",
                Group::Network,
                format!("the probe pod runs in namespace {namespace}"),
                why.clone(),
                format!(
                    "check that your user may create pods there and that the nodes can pull {image} (or pass --probe-image with a mirror)"
                ),
            );
            std::iter::once(pod).chain(blocked).collect()
        }
    };
    for check in &checks {
        progress.finished(check);
    }
    checks
}

async fn run_pod(
    pods: &Api<Pod>,
    namespace: &str,
    image: &str,
    targets: &[Target],
    timeout: Duration,
) -> Result<String, String> {
    let spec = probe_pod(namespace, image, targets, timeout);
    let created = create_pod(pods, &spec).await?;
    let name = created.metadata.name.clone().unwrap_or_default();
    let result = wait_and_read(pods, &name, timeout + START_BUDGET).await;
    let _ = pods
        .delete(
            &name,
            &DeleteParams {
                grace_period_seconds: Some(0),
                ..DeleteParams::default()
            },
        )
        .await;
    result
}

/// Creates the pod, waiting (up to [`SERVICE_ACCOUNT_WAIT`]) for the namespace's service
/// account when the namespace was created so recently that it has none yet.
async fn create_pod(pods: &Api<Pod>, spec: &Pod) -> Result<Pod, String> {
    let started = std::time::Instant::now();
    loop {
        match pods.create(&PostParams::default(), spec).await {
            Ok(pod) => return Ok(pod),
            Err(kube::Error::Api(status))
                if status.code == 403
                    && status.message.contains("error looking up service account")
                    && started.elapsed() < SERVICE_ACCOUNT_WAIT =>
            {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(format!("cannot create the probe pod: {e}")),
        }
    }
}

async fn wait_and_read(pods: &Api<Pod>, name: &str, budget: Duration) -> Result<String, String> {
    let started = std::time::Instant::now();
    loop {
        let pod = pods
            .get(name)
            .await
            .map_err(|e| format!("cannot read pod {name}: {e}"))?;
        let status = pod.status.unwrap_or_default();
        match status.phase.as_deref() {
            Some("Succeeded") | Some("Failed") => break,
            _ => {}
        }
        if started.elapsed() > budget {
            let waiting = status
                .container_statuses
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c.state.and_then(|s| s.waiting))
                .map(|w| {
                    format!(
                        "{} {}",
                        w.reason.unwrap_or_default(),
                        w.message.unwrap_or_default()
                    )
                })
                .next();
            return Err(format!(
                "pod {name} did not finish within {}s{}",
                budget.as_secs(),
                waiting
                    .map(|w| format!(": {}", w.trim()))
                    .unwrap_or_default()
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    pods.logs(name, &LogParams::default())
        .await
        .map_err(|e| format!("cannot read the log of pod {name}: {e}"))
}
