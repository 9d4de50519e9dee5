//! Pods that run (`Handle::run_pods`): the phases a kubelet would report, and the `log`
//! subresource, read by the real kubectl and by plain HTTP requests.

use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_apiserver::{ContainerExit, FakeApiServer, Fault, Handle, Verb};
use serde_json::{Value, json};

/// A plain HTTP/1.1 request; returns the status code, the content type and the body.
fn http(api: &Handle, method: &str, path: &str, body: Option<&Value>) -> (u16, String, String) {
    let address = api.url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or("")
        .to_owned();
    (code, content_type, body.to_owned())
}

fn pod(name: &str, containers: &[&str]) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": "docker.io/library/bash:5.2", "command": ["bash", "-c"], "args": [format!("echo {c}")]}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
           "spec": {"restartPolicy": "Never", "containers": containers}})
}

/// Waits until the pod's phase is `phase` (the kubelet runs on its own thread).
fn wait_for_phase(api: &Handle, name: &str, phase: &str) -> Value {
    let started = Instant::now();
    loop {
        let pod = api.get("pods", "default", name).expect("the pod exists");
        if pod["status"]["phase"] == phase {
            return pod;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "pod {name} never became {phase}: {:#}",
            pod["status"]
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the pod is no longer Pending (Running, or already done).
fn wait_until_started(api: &Handle, name: &str) {
    let started = Instant::now();
    loop {
        let pod = api.get("pods", "default", name).expect("the pod exists");
        if pod["status"]["phase"] != "Pending" && !pod["status"]["phase"].is_null() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "pod {name} never started: {:#}",
            pod["status"]
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kubectl_present() -> bool {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: kubectl is not installed");
    }
    ok
}

fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env("HOME", kubeconfig.parent().unwrap())
        .output()
        .expect("kubectl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fake-apiserver-pods-{label}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_created_pod_goes_pending_running_succeeded_and_the_callback_sees_its_spec() {
    let api = FakeApiServer::start();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    api.run_pods(move |pod, container| {
        record.lock().unwrap().push((
            pod["metadata"]["name"].as_str().unwrap().to_owned(),
            container["args"][0].as_str().unwrap().to_owned(),
        ));
        gate.lock().unwrap().recv().unwrap();
        ContainerExit::success(format!("{}\n", container["args"][0].as_str().unwrap()))
    });
    let (code, _, body) = http(
        &api,
        "POST",
        "/api/v1/namespaces/default/pods",
        Some(&pod("hello", &["main"])),
    );
    assert_eq!(code, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        created["status"]["phase"], "Pending",
        "a new pod is Pending"
    );

    let running = wait_for_phase(&api, "hello", "Running");
    assert!(running["status"]["containerStatuses"][0]["state"]["running"]["startedAt"].is_string());
    let (code, _, body) = http(
        &api,
        "GET",
        "/api/v1/namespaces/default/pods/hello/log",
        None,
    );
    assert_eq!((code, body.as_str()), (200, ""), "nothing logged yet");

    release.send(()).unwrap();
    let done = wait_for_phase(&api, "hello", "Succeeded");
    let terminated = &done["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(terminated["exitCode"], 0);
    assert_eq!(terminated["reason"], "Completed");
    let version = |pod: &Value| {
        pod["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(
        version(&created) < version(&running) && version(&running) < version(&done),
        "each status change is a write"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [("hello".to_owned(), "echo main".to_owned())]
    );
    let (code, content_type, body) = http(
        &api,
        "GET",
        "/api/v1/namespaces/default/pods/hello/log",
        None,
    );
    assert_eq!(code, 200);
    assert_eq!(content_type, "text/plain");
    assert_eq!(body, "echo main\n");
}

#[test]
fn kubectl_logs_reads_each_container_and_a_failed_container_fails_the_pod() {
    if !kubectl_present() {
        return;
    }
    let api = FakeApiServer::start();
    api.run_pods(|_, container| match container["name"].as_str() {
        Some("ok") => ContainerExit::success("all good\n"),
        _ => ContainerExit::failure(3, "connection refused\n"),
    });
    let dir = temp_dir("kubectl");
    let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));
    let manifest = dir.join("pod.json");
    std::fs::write(&manifest, pod("probe", &["ok", "bad"]).to_string()).unwrap();

    let (ok, out, err) = kubectl(
        &kubeconfig,
        &[
            "create",
            "--validate=false",
            "-f",
            manifest.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}{err}");
    let failed = wait_for_phase(&api, "probe", "Failed");
    assert_eq!(
        failed["status"]["containerStatuses"][1]["state"]["terminated"]["exitCode"],
        3
    );
    let (ok, out, err) = kubectl(&kubeconfig, &["logs", "probe", "-c", "bad"]);
    assert!(ok, "{err}");
    assert_eq!(out, "connection refused\n");
    let (ok, out, err) = kubectl(&kubeconfig, &["logs", "probe", "-c", "ok"]);
    assert!(ok, "{err}");
    assert_eq!(out, "all good\n");
    let (ok, _, err) = kubectl(&kubeconfig, &["logs", "probe", "-c", "nope"]);
    assert!(!ok);
    assert!(
        err.contains("container nope is not valid for pod probe"),
        "{err}"
    );
    let (ok, out, err) = kubectl(
        &kubeconfig,
        &["get", "pod", "probe", "-o", "jsonpath={.status.phase}"],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "Failed");
}

#[test]
fn log_reads_follow_the_api_servers_rules() {
    let api = FakeApiServer::builder().user("dev").start();
    api.run_pods(|_, container| {
        if container["name"] == "slow" {
            std::thread::sleep(Duration::from_millis(300));
        }
        if container["name"] == "panics" {
            panic!("a broken test callback");
        }
        ContainerExit::success("one\ntwo\nthree\n")
    });
    let logs = |pod: &str, query: &str| {
        http(
            &api,
            "GET",
            &format!("/api/v1/namespaces/default/pods/{pod}/log{query}"),
            None,
        )
    };
    let (code, _, body) = logs("ghost", "");
    assert_eq!(code, 404);
    assert!(body.contains(r#"pods \"ghost\" not found"#), "{body}");

    api.insert(pod("seeded", &["main"])).unwrap();
    let (code, _, body) = logs("seeded", "");
    assert_eq!(code, 400);
    assert!(
        body.contains(
            r#"container \"main\" in pod \"seeded\" is waiting to start: ContainerCreating"#
        ),
        "inserted pods are not run: {body}"
    );

    let created = http(
        &api,
        "POST",
        "/api/v1/namespaces/default/pods",
        Some(&pod("slow", &["slow"])),
    );
    assert_eq!(created.0, 201, "{created:?}");
    // The kubelet starts the pod after the create returns, as a real one does: until then a
    // followed read is refused like the seeded pod's above, so wait for it to start.
    wait_until_started(&api, "slow");
    let (code, _, body) = logs("slow", "?follow=true");
    assert_eq!(
        (code, body.as_str()),
        (200, "one\ntwo\nthree\n"),
        "a followed log ends when the container does"
    );

    let created = http(
        &api,
        "POST",
        "/api/v1/namespaces/default/pods",
        Some(&pod("pair", &["a", "b"])),
    );
    assert_eq!(created.0, 201, "{created:?}");
    wait_for_phase(&api, "pair", "Succeeded");
    let (code, _, body) = logs("pair", "");
    assert_eq!(code, 400);
    assert!(
        body.contains("a container name must be specified for pod pair, choose one of: [a b]"),
        "{body}"
    );
    assert_eq!(logs("pair", "?container=b&tailLines=1").2, "three\n");
    assert_eq!(logs("pair", "?container=b&limitBytes=6").2, "one\ntw");
    let stamped = logs("pair", "?container=a&timestamps=true").2;
    let first = stamped.lines().next().unwrap();
    assert!(
        first.len() == "2025-01-01T00:00:00.000000000Z one".len()
            && first.ends_with(".000000000Z one"),
        "{stamped}"
    );
    let (code, _, body) = logs("pair", "?container=a&previous=true");
    assert_eq!(code, 400);
    assert!(body.contains("previous terminated container"), "{body}");

    let created = http(
        &api,
        "POST",
        "/api/v1/namespaces/default/pods",
        Some(&pod("broken", &["panics"])),
    );
    assert_eq!(created.0, 201, "{created:?}");
    let failed = wait_for_phase(&api, "broken", "Failed");
    assert_eq!(
        failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 128,
        "a panicking callback fails the pod instead of leaving it running"
    );

    api.inject(Fault::on(&[Verb::Get]).resource("pods/log").forbid());
    let (code, _, body) = logs("pair", "?container=a");
    assert_eq!(code, 403);
    assert!(
        body.contains(
            r#"cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\""#
        ),
        "{body}"
    );
    let (code, _, _) = http(&api, "GET", "/api/v1/namespaces/default/pods/pair", None);
    assert_eq!(code, 200, "a rule on pods/log leaves the pod readable");
}
