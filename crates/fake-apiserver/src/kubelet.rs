//! Pods that run: with [`crate::Handle::run_pods`], a pod a client creates goes Pending →
//! Running → Succeeded or Failed, as a kubelet would take it, and its containers' logs are
//! what the test's callback returns for each container.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::Shared;
use crate::admission::now;

/// How one container ended: its exit code and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerExit {
    /// The container's exit code.
    pub code: i32,
    /// What the container printed: the body of `GET .../pods/<name>/log`.
    pub log: String,
}

impl ContainerExit {
    /// Exit code 0.
    pub fn success(log: impl Into<String>) -> Self {
        ContainerExit {
            code: 0,
            log: log.into(),
        }
    }

    /// A non-zero exit code.
    pub fn failure(code: i32, log: impl Into<String>) -> Self {
        ContainerExit {
            code,
            log: log.into(),
        }
    }
}

/// The test's stand-in for a container runtime: sees the pod and one of its containers,
/// returns how that container ended.
pub type PodRunner = Arc<dyn Fn(&Value, &Value) -> ContainerExit + Send + Sync>;

/// What the kubelet keeps: the runner, and each finished container's log by pod uid.
#[derive(Default)]
pub struct Kubelet {
    pub runner: Option<PodRunner>,
    pub logs: std::collections::BTreeMap<(String, String), String>,
}

/// Runs a just-created pod on its own thread: Running at once, then each container through
/// the runner (one after the other), then Succeeded when every container exited 0, Failed
/// otherwise. A pod deleted meanwhile is left alone.
pub fn start(shared: Arc<Shared>, runner: PodRunner, pod: Value) {
    std::thread::spawn(move || {
        let namespace = pod["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let name = pod["metadata"]["name"].as_str().unwrap_or("").to_owned();
        let uid = pod["metadata"]["uid"].as_str().unwrap_or("").to_owned();
        let containers: Vec<Value> = pod["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let started = now();
        let running: Vec<Value> = containers
            .iter()
            .map(|c| container_status(c, json!({"running": {"startedAt": started}}), true))
            .collect();
        let status = json!({
            "phase": "Running",
            "startTime": started,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": started}],
            "containerStatuses": running,
        });
        if !set_status(&shared, &namespace, &name, &uid, status) {
            return;
        }
        let mut exits = Vec::new();
        for container in &containers {
            let exit = catch_unwind(AssertUnwindSafe(|| runner(&pod, container)))
                .unwrap_or_else(|_| ContainerExit::failure(128, "the run_pods callback panicked"));
            exits.push(exit);
        }
        let finished = now();
        let terminated: Vec<Value> = containers
            .iter()
            .zip(&exits)
            .map(|(c, exit)| {
                let reason = if exit.code == 0 { "Completed" } else { "Error" };
                let state = json!({"terminated": {
                    "exitCode": exit.code, "reason": reason,
                    "startedAt": started, "finishedAt": finished
                }});
                container_status(c, state, false)
            })
            .collect();
        let phase = if exits.iter().all(|e| e.code == 0) {
            "Succeeded"
        } else {
            "Failed"
        };
        {
            let mut state = shared.lock();
            for (container, exit) in containers.iter().zip(exits) {
                let container = container["name"].as_str().unwrap_or("").to_owned();
                state
                    .kubelet
                    .logs
                    .insert((uid.clone(), container), exit.log);
            }
        }
        let status = json!({
            "phase": phase,
            "startTime": started,
            "conditions": [{"type": "Ready", "status": "False", "reason": "PodCompleted", "lastTransitionTime": finished}],
            "containerStatuses": terminated,
        });
        set_status(&shared, &namespace, &name, &uid, status);
    });
}

fn container_status(container: &Value, state: Value, running: bool) -> Value {
    json!({
        "name": container["name"],
        "image": container["image"],
        "imageID": "",
        "ready": running,
        "started": running,
        "restartCount": 0,
        "state": state,
    })
}

/// Writes the pod's status as the kubelet; false when the pod is gone (or was replaced).
fn set_status(shared: &Shared, namespace: &str, name: &str, uid: &str, status: Value) -> bool {
    let mut state = shared.lock();
    let Some(target) = state.store.target("pods", namespace, name) else {
        return false;
    };
    let same_pod = state
        .store
        .get(&target)
        .is_ok_and(|p| p["metadata"]["uid"] == uid);
    same_pod
        && state
            .store
            .edit(&target, "kubelet", |pod| pod["status"] = status)
            .is_ok()
}
