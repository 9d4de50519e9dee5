//! `--in-cluster`: the probe pod's shape, and its script run for real (bash and timeout on
//! this machine, as in the pod) by the API server double's kubelet (`run_pods`).

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_apiserver::{ContainerExit, FakeApiServer, Fault, Verb};
use kubectl_smi::network::Endpoint;
use kubectl_smi::preflight::{DEFAULT_PROBE_IMAGE, Target, parse_probe_log, probe_pod};
use serde_json::{Value, json};

use super::ready_cluster::{NAMESPACE, ready_cluster, seed};
use super::{Ports, ip, open_port, preflight, silent_port, status, values};
use crate::support::closed_port;

fn target(id: &str, host: &str, port: u16) -> Target {
    Target {
        id: format!("network/{id}"),
        title: format!("{id} {host}:{port} accepts TCP connections"),
        endpoint: Endpoint {
            host: host.to_owned(),
            port,
            values_path: format!("smi.endpoints.{id}"),
        },
        public: false,
    }
}

#[test]
fn the_probe_pod_meets_restricted_pod_security_and_passes_hosts_as_arguments() {
    let targets = [
        target("postgresql", "pg.internal", 5432),
        target("redis", "$(reboot)", 6379),
    ];
    let pod = serde_json::to_value(probe_pod(
        "prod",
        DEFAULT_PROBE_IMAGE,
        &targets,
        Duration::from_secs(3),
    ))
    .unwrap();
    assert_eq!(pod["metadata"]["namespace"], "prod");
    assert_eq!(pod["metadata"]["generateName"], "smi-preflight-");
    let spec = &pod["spec"];
    assert_eq!(spec["restartPolicy"], "Never");
    assert_eq!(spec["automountServiceAccountToken"], false);
    assert!(spec["activeDeadlineSeconds"].as_i64().unwrap() > 3);
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let container = &spec["containers"][0];
    assert_eq!(container["image"], DEFAULT_PROBE_IMAGE);
    assert_eq!(
        container["securityContext"],
        json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}})
    );
    assert_eq!(container["command"], json!(["bash", "-c"]));
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        &args[1..],
        ["smi-probe", "3", "pg.internal", "5432", "$(reboot)", "6379"]
    );
    assert!(
        !args[0].contains("pg.internal"),
        "values never become part of the script"
    );
}

/// Runs a container's command here, as the kubelet would in the pod.
fn run_container(container: &Value) -> String {
    let mut words: Vec<String> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    words.extend(
        container["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned()),
    );
    let out = Command::new(&words[0]).args(&words[1..]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_probe_script_reports_open_refused_and_silent_ports() {
    let (_open, open) = open_port(ip(50));
    let silent = silent_port(ip(50));
    let targets = [
        target("postgresql", "127.0.0.50", open),
        target("mongodb", "127.0.0.50", closed_port(ip(50))),
        target("neo4j", "127.0.0.50", silent.port),
        target("redis", "$(touch /tmp/smi-probe-injected)", 6379),
    ];
    let pod = serde_json::to_value(probe_pod(
        "prod",
        DEFAULT_PROBE_IMAGE,
        &targets,
        Duration::from_secs(1),
    ))
    .unwrap();
    let log = run_container(&pod["spec"]["containers"][0]);
    let checks = parse_probe_log(&log, &targets, Duration::from_secs(1));
    let statuses: Vec<String> = checks.iter().map(|c| format!("{:?}", c.status)).collect();
    assert_eq!(statuses, ["Pass", "Fail", "Fail", "Fail"], "{log}");
    assert!(checks[1].detail.contains("refused"), "{log}");
    assert!(checks[2].detail.contains("no answer within 1s"), "{log}");
    assert!(
        !std::path::Path::new("/tmp/smi-probe-injected").exists(),
        "a host name is never run as a command"
    );
    assert!(
        checks
            .iter()
            .all(|c| c.id.starts_with("network/in-cluster/"))
    );
}

#[test]
fn in_cluster_creates_the_pod_reads_its_log_and_deletes_it() {
    let dir = tempfile::tempdir().unwrap();
    let listeners: Vec<_> = (0..8).map(|_| open_port(ip(51))).collect();
    let p = |i: usize| listeners[i].1;
    let closed = closed_port(ip(51));
    let ports = Ports {
        postgresql: p(0),
        mongodb: closed,
        redis: p(1),
        kafka: p(2),
        zookeeper: p(3),
        mqtt: p(4),
        openwire: p(5),
        neo4j: p(6),
        smtp: p(7),
    };
    let values = values(dir.path(), &["127.0.0.51"; 8], &ports, None);
    // The pods the kubelet ran: their namespace and name, and what their container printed.
    let ran = Arc::new(Mutex::new(Vec::<(String, String, String)>::new()));
    let record = ran.clone();
    let api = ready_cluster();
    api.run_pods(move |pod, container| {
        let log = run_container(container);
        let meta = &pod["metadata"];
        record.lock().unwrap().push((
            meta["namespace"].as_str().unwrap().to_owned(),
            meta["name"].as_str().unwrap().to_owned(),
            log.clone(),
        ));
        ContainerExit::success(log)
    });
    let (_, report, stderr) = preflight(
        &values,
        &[
            "--server",
            &api.url(),
            "--in-cluster",
            "--timeout",
            "1",
            "--skip",
            "dns",
            "--skip",
            "network",
            "--skip",
            "cluster",
        ],
    );
    assert_eq!(
        status(&report, "network/in-cluster/postgresql"),
        "pass",
        "{report:#}\n{stderr}"
    );
    assert_eq!(status(&report, "network/in-cluster/mongodb"), "fail");
    assert_eq!(status(&report, "network/in-cluster/smtp"), "pass");

    let ran = ran.lock().unwrap().clone();
    assert_eq!(ran.len(), 1, "one probe pod, one container: {ran:?}");
    let (namespace, name, log) = &ran[0];
    assert_eq!(
        namespace, NAMESPACE,
        "the probe runs in the platform's namespace"
    );
    assert!(name.starts_with("smi-preflight-"), "{name}");
    assert!(log.contains("SMI-PROBE"), "{log}");
    let pod_requests: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.resource == "pods")
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    let pod_path = format!("/api/v1/namespaces/prod/pods/{name}");
    let answered = |request: &str| pod_requests.iter().any(|r| r == request);
    assert!(
        answered("POST /api/v1/namespaces/prod/pods 201"),
        "{pod_requests:#?}"
    );
    assert!(
        answered(&format!("GET {pod_path} 200")),
        "its phase is read: {pod_requests:#?}"
    );
    assert!(
        answered(&format!("GET {pod_path}/log 200")),
        "its log is read: {pod_requests:#?}"
    );
    assert!(
        answered(&format!("DELETE {pod_path} 200")),
        "it is deleted: {pod_requests:#?}"
    );
    assert!(
        api.get("pods", NAMESPACE, name).is_none(),
        "no probe pod is left behind"
    );
}

#[test]
fn a_probe_pod_that_cannot_be_created_fails_with_a_hint_and_blocks_its_checks() {
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports {
        postgresql: 1,
        mongodb: 2,
        redis: 3,
        kafka: 4,
        zookeeper: 5,
        mqtt: 6,
        openwire: 7,
        neo4j: 8,
        smtp: 9,
    };
    let values = values(dir.path(), &["127.0.0.52"; 8], &ports, None);
    let api = FakeApiServer::builder().user("dev").start();
    seed(&api);
    api.inject(Fault::on(&[Verb::Create]).resource("pods").forbid());
    let (code, report, _) = preflight(
        &values,
        &[
            "--server",
            &api.url(),
            "--in-cluster",
            "--skip",
            "dns",
            "--skip",
            "network",
            "--skip",
            "cluster",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&report, "network/in-cluster/pod"), "fail");
    let pod = super::check(&report, "network/in-cluster/pod");
    assert!(
        pod["detail"]
            .as_str()
            .unwrap()
            .contains("cannot create resource"),
        "{pod:#}"
    );
    assert!(
        pod["hint"].as_str().unwrap().contains("--probe-image"),
        "{pod:#}"
    );
    assert_eq!(status(&report, "network/in-cluster/postgresql"), "skip");
    assert_eq!(
        super::check(&report, "network/in-cluster/postgresql")["required"],
        true
    );
    assert!(api.list("pods", NAMESPACE).is_empty(), "no pod was created");
}

#[test]
fn in_cluster_waits_for_the_service_account_of_a_namespace_created_just_before() {
    let dir = tempfile::tempdir().unwrap();
    let listeners: Vec<_> = (0..8).map(|_| open_port(ip(52))).collect();
    let p = |i: usize| listeners[i].1;
    let ports = Ports {
        postgresql: p(0),
        mongodb: p(1),
        redis: p(2),
        kafka: p(3),
        zookeeper: p(4),
        mqtt: p(5),
        openwire: p(6),
        neo4j: p(7),
        smtp: p(0),
    };
    let values = values(dir.path(), &["127.0.0.52"; 8], &ports, None);
    let api = ready_cluster();
    api.run_pods(|_, container| ContainerExit::success(run_container(container)));
    // As right after `secrets create` made the namespace: no `default` ServiceAccount yet;
    // the controller adds it two seconds later.
    api.delete("serviceaccounts", NAMESPACE, "default").unwrap();
    let handle = api.handle();
    let controller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        handle
            .insert(json!({"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": "default", "namespace": NAMESPACE}}))
            .unwrap();
    });
    let (_, report, stderr) = preflight(
        &values,
        &[
            "--server",
            &api.url(),
            "--in-cluster",
            "--timeout",
            "1",
            "--skip",
            "dns",
            "--skip",
            "network",
            "--skip",
            "cluster",
        ],
    );
    controller.join().unwrap();
    assert_eq!(
        status(&report, "network/in-cluster/postgresql"),
        "pass",
        "{report:#}\n{stderr}"
    );
    let creates: Vec<u16> = api
        .requests()
        .into_iter()
        .filter(|r| r.resource == "pods" && r.verb == Some(Verb::Create))
        .map(|r| r.status)
        .collect();
    assert_eq!(creates.first(), Some(&403), "{creates:?}");
    assert_eq!(creates.last(), Some(&201), "{creates:?}");
}
