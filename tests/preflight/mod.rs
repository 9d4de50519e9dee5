//! `kubectl smi preflight` against loopback: a DNS server the test controls, listeners on
//! 127.0.0.x for some endpoints, closed or silent ports for others, and the API server double
//! of `crates/fake-apiserver` (the one the `secrets` tests use) seeded with a ready cluster.
//! Nothing leaves the machine.

mod fake_dns;
mod probe;
mod ready_cluster;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fake_apiserver::{FakeApiServer, Fault, Handle, RequestInfo, Verb};
use fake_dns::{Answer, FakeDns};
use kubectl_smi::preflight::{CALICO_NETWORK_POLICY_CRD, SERVICE_MONITOR_CRD};
use ready_cluster::{NAMESPACE, SEEDED_VALUE, ready_cluster};
use serde_json::Value;

use crate::support::{self, binary, closed_port, kubectl_smi, ok, script_available, write_file};

/// A port on `ip` that accepts connections (kept open while the value lives).
fn open_port(ip: Ipv4Addr) -> (TcpListener, u16) {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A port whose listener never accepts and whose queue is full: the kernel drops new SYNs,
/// so connections time out as they do behind a firewall that drops packets.
struct Silent {
    port: u16,
    _listener: tokio::net::TcpListener,
    _queued: Vec<TcpStream>,
    _runtime: tokio::runtime::Runtime,
}

fn silent_port(ip: Ipv4Addr) -> Silent {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((ip, 0))).unwrap();
        socket.listen(0).unwrap()
    });
    let port = listener.local_addr().unwrap().port();
    let mut queued = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&SocketAddr::from((ip, port)), Duration::from_millis(200))
        {
            Ok(stream) => queued.push(stream),
            Err(_) => break,
        }
    }
    Silent {
        port,
        _listener: listener,
        _queued: queued,
        _runtime: runtime,
    }
}

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// Ports of the endpoints in the values file the tests write.
struct Ports {
    postgresql: u16,
    mongodb: u16,
    redis: u16,
    kafka: u16,
    zookeeper: u16,
    mqtt: u16,
    openwire: u16,
    neo4j: u16,
    smtp: u16,
}

fn values(dir: &Path, hosts: &[&str; 8], ports: &Ports, load_balancer: Option<&str>) -> PathBuf {
    let [pg, mongo, redis, kafka, zk, mq, neo4j, smtp] = hosts;
    let lb = load_balancer
        .map(|lb| format!("\n    loadBalancer: {lb}"))
        .unwrap_or_default();
    let text = format!(
        r#"smi:
  environment: prod
  namespace: prod
  dns:
    app: app.smi.test
    api: api.smi.test
    id: id.smi.test{lb}
  cloud:
    provider: aws
    aws:
      region: us-east-1
      accountId: "123456789012"
      clusterName: dtp-prod
      buckets: {{kafka: dtp-kafka, filesvc: dtp-files, scriptmanager: dtp-scripts, datasourcesvc: dtp-datasources, workflowsvc: dtp-workflows}}
  prometheus:
    namespace: monitoring
    releaseLabel: kube-prometheus-stack
  endpoints:
    postgresql: {{host: {pg}, port: {}}}
    mongodb: {{host: {mongo}, port: {}}}
    redis: {{host: {redis}, port: {}}}
    kafka: {{bootstrap: ["{kafka}:{}"], zookeeper: ["{zk}:{}"]}}
    activemq: {{host: {mq}, mqttPort: {}, openwirePort: {}}}
    neo4j: {{host: {neo4j}, port: {}}}
    smtp: {{host: {smtp}, port: {}}}
"#,
        ports.postgresql,
        ports.mongodb,
        ports.redis,
        ports.kafka,
        ports.zookeeper,
        ports.mqtt,
        ports.openwire,
        ports.neo4j,
        ports.smtp
    );
    write_file(dir, "values.yaml", &text)
}

/// Runs preflight with `args`; returns the exit code and the JSON report.
fn preflight(values: &Path, args: &[&str]) -> (i32, Value, String) {
    let home = tempfile::tempdir().unwrap();
    let out = kubectl_smi()
        .env("HOME", home.path())
        .args(["preflight", "-o", "json", "-f"])
        .arg(values)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_owned()
}

/// The requests the double received for a resource (`secrets`, `namespaces`, ...).
fn requests_for(api: &Handle, resource: &str) -> Vec<RequestInfo> {
    api.requests()
        .into_iter()
        .filter(|r| r.resource == resource)
        .collect()
}

/// Secret values never leave the cluster: the only secret request is the namespace's list,
/// asked as `PartialObjectMetadataList`, and no seeded value shows in the output.
fn assert_secrets_listed_metadata_only(api: &Handle, output: &str) {
    let secrets = requests_for(api, "secrets");
    assert_eq!(
        secrets.len(),
        1,
        "one list of the namespace's secrets: {secrets:#?}"
    );
    let list = &secrets[0];
    assert_eq!(list.verb, Some(Verb::List));
    assert_eq!(
        (list.method.as_str(), list.path.as_str()),
        ("GET", "/api/v1/namespaces/prod/secrets")
    );
    assert!(
        list.accept.contains("as=PartialObjectMetadataList"),
        "secrets must be listed without their data, Accept was {:?}",
        list.accept
    );
    assert_eq!(list.status, 200);
    assert!(!output.contains(SEEDED_VALUE), "{output}");
}

#[test]
fn the_checklist_tells_each_endpoint_name_and_cluster_object_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (_pg, pg) = open_port(ip(2));
    let (_kafka, kafka) = open_port(ip(5));
    let (_mqtt, mqtt) = open_port(ip(6));
    let (_smtp, smtp) = open_port(ip(8));
    let neo4j = silent_port(ip(7));
    let ports = Ports {
        postgresql: pg,
        mongodb: closed_port(ip(3)),
        redis: 6379,
        kafka,
        zookeeper: closed_port(ip(5)),
        mqtt,
        openwire: closed_port(ip(6)),
        neo4j: neo4j.port,
        smtp,
    };
    let dns = FakeDns::start(&[
        ("app.smi.test", Answer::Cname("lb.smi.test")),
        ("api.smi.test", Answer::A(vec![ip(10)])),
        ("id.smi.test", Answer::A(vec![ip(99)])),
        ("lb.smi.test", Answer::A(vec![ip(10)])),
        ("pg.smi.test", Answer::A(vec![ip(2)])),
        ("mongo.smi.test", Answer::A(vec![ip(3)])),
        ("kafka.smi.test", Answer::A(vec![ip(5)])),
        ("zk.smi.test", Answer::Cname("kafka.smi.test")),
        ("s3.us-east-1.amazonaws.com", Answer::A(vec![ip(11)])),
    ]);
    let hosts = [
        "pg.smi.test",
        "mongo.smi.test",
        "redis.smi.test",
        "kafka.smi.test",
        "zk.smi.test",
        "127.0.0.6",
        "127.0.0.7",
        "127.0.0.8",
    ];
    let values = values(dir.path(), &hosts, &ports, Some("lb.smi.test"));
    let api = ready_cluster();
    ready_cluster::delete_secret(&api, "smi-neo4j");
    ready_cluster::make_external_metrics_unavailable(&api);
    ready_cluster::delete_crd(&api, CALICO_NETWORK_POLICY_CRD);
    let dns_server = dns.address.to_string();
    let (code, report, stderr) = preflight(
        &values,
        &[
            "--dns-server",
            &dns_server,
            "--timeout",
            "1",
            "--server",
            &api.url(),
        ],
    );

    assert_eq!(code, 1, "not ready, so exit 1: {stderr}");
    assert_eq!(report["ready"], false);
    assert!(stderr.is_empty(), "no progress display in a pipe: {stderr}");
    let expected = [
        ("dns/app", "pass"),
        ("dns/api", "pass"),
        ("dns/id", "fail"),
        ("dns/loadBalancer", "pass"),
        ("network/postgresql", "pass"),
        ("network/mongodb", "fail"),
        ("network/redis", "fail"),
        ("network/kafka.bootstrap[0]", "pass"),
        ("network/kafka.zookeeper[0]", "fail"),
        ("network/activemq.mqttPort", "pass"),
        ("network/activemq.openwirePort", "fail"),
        ("network/neo4j", "fail"),
        ("network/smtp", "pass"),
        ("network/loadBalancer:443", "fail"),
        ("network/internet", "fail"),
        ("cluster/api", "pass"),
        ("cluster/namespace", "pass"),
        ("cluster/calico-crd", "fail"),
        ("cluster/servicemonitor-crd", "pass"),
        ("cluster/prometheus-namespace", "pass"),
        ("cluster/external-metrics-api", "fail"),
        ("cluster/pod-identity-agent", "pass"),
        ("cluster/secret/smi-postgresql", "pass"),
        ("cluster/secret/smi-neo4j", "fail"),
    ];
    for (id, want) in expected {
        assert_eq!(status(&report, id), want, "{id}: {:#}", check(&report, id));
        if want == "fail" {
            assert!(
                check(&report, id)["hint"]
                    .as_str()
                    .is_some_and(|h| !h.is_empty()),
                "{id} has a hint"
            );
        }
    }
    assert!(
        check(&report, "dns/app")["detail"]
            .as_str()
            .unwrap()
            .contains("via lb.smi.test")
    );
    assert!(
        check(&report, "dns/id")["detail"]
            .as_str()
            .unwrap()
            .contains("but lb.smi.test resolves to 127.0.0.10")
    );
    assert!(
        check(&report, "network/mongodb")["detail"]
            .as_str()
            .unwrap()
            .contains("refused")
    );
    assert!(
        check(&report, "network/redis")["detail"]
            .as_str()
            .unwrap()
            .contains("cannot resolve redis.smi.test")
    );
    assert!(
        check(&report, "network/neo4j")["detail"]
            .as_str()
            .unwrap()
            .contains("no answer within 1s")
    );
    assert!(
        check(&report, "cluster/calico-crd")["detail"]
            .as_str()
            .unwrap()
            .contains("not found")
    );
    assert!(
        check(&report, "cluster/external-metrics-api")["detail"]
            .as_str()
            .unwrap()
            .contains("FailedDiscoveryCheck")
    );
    let summary = &report["summary"];
    let total = report["checks"].as_array().unwrap().len() as u64;
    assert_eq!(
        summary["passed"].as_u64().unwrap()
            + summary["failed"].as_u64().unwrap()
            + summary["skipped"].as_u64().unwrap(),
        total
    );
    assert!(
        check(&report, "cluster/servicemonitor-crd")["detail"]
            .as_str()
            .unwrap()
            .contains("serves v1"),
        "the upstream CRD's served version is read"
    );
    assert_secrets_listed_metadata_only(&api, &report.to_string());
    let requests = api.requests();
    assert!(
        requests.iter().all(|r| r.method == "GET"),
        "preflight only reads: {:?}",
        requests
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    assert!(
        requests.iter().all(|r| r.status != 0 && r.status < 500),
        "every request was answered"
    );
}

#[test]
fn every_required_check_passing_exits_zero_and_says_ready() {
    let dir = tempfile::tempdir().unwrap();
    let listeners: Vec<(TcpListener, u16)> = (0..9).map(|_| open_port(ip(20))).collect();
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
        smtp: p(8),
    };
    let dns = FakeDns::start(&[
        ("app.smi.test", Answer::A(vec![ip(20)])),
        ("api.smi.test", Answer::A(vec![ip(20)])),
        ("id.smi.test", Answer::A(vec![ip(20)])),
    ]);
    let hosts = ["127.0.0.20"; 8];
    let values = values(dir.path(), &hosts, &ports, None);
    let api = ready_cluster();
    let dns_server = dns.address.to_string();
    // The internet rule's endpoint is the region's S3 on port 443, which only root can open here.
    let (code, report, stderr) = preflight(
        &values,
        &[
            "--dns-server",
            &dns_server,
            "--server",
            &api.url(),
            "--timeout",
            "2",
            "--skip",
            "network",
        ],
    );
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["ready"], true);
    assert_eq!(status(&report, "network/*"), "skip");
    assert_eq!(check(&report, "network/*")["required"], false);
    assert_eq!(report["summary"]["failed"], 0);

    let stdout = ok(kubectl_smi()
        .env("HOME", dir.path())
        .args(["preflight", "-f"])
        .arg(&values)
        .args([
            "--dns-server",
            &dns_server,
            "--server",
            &api.url(),
            "--skip",
            "network",
        ]));
    for id in [
        "cluster/api",
        "cluster/namespace",
        "cluster/calico-crd",
        "cluster/servicemonitor-crd",
        "cluster/prometheus-namespace",
        "cluster/external-metrics-api",
        "cluster/pod-identity-agent",
    ] {
        assert_eq!(status(&report, id), "pass", "{:#}", check(&report, id));
    }
    assert_eq!(
        check(&report, "cluster/external-metrics-api")["detail"],
        "served by monitoring/prometheus-adapter"
    );
    assert_eq!(
        check(&report, "cluster/pod-identity-agent")["detail"],
        "2/2 pods ready"
    );
    for secret in kubectl_smi::catalog::default_secrets() {
        let id = format!("cluster/secret/{}", secret.name);
        assert_eq!(status(&report, &id), "pass", "{id}");
    }
    assert!(!stdout.contains(SEEDED_VALUE), "{stdout}");
    assert!(
        stdout.contains("PASS  app.smi.test resolves: to 127.0.0.20"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS  secret prod/smi-data-encryption exists"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("ready for the installation"),
        "{stdout}"
    );

    // The network checks pass too when every endpoint listens (on 127.0.0.20).
    let (_, network, _) = preflight(
        &values,
        &[
            "--dns-server",
            &dns_server,
            "--skip",
            "cluster",
            "--skip",
            "dns",
        ],
    );
    for check in network["checks"].as_array().unwrap() {
        let id = check["id"].as_str().unwrap();
        if id != "network/internet" && id.starts_with("network/") {
            assert_eq!(check["status"], "pass", "{check:#}");
        }
    }
}

#[test]
fn ten_unreachable_endpoints_take_about_one_timeout_not_ten() {
    let dir = tempfile::tempdir().unwrap();
    let silent: Vec<Silent> = (0..6).map(|_| silent_port(ip(30))).collect();
    let ports = Ports {
        postgresql: silent[0].port,
        mongodb: silent[1].port,
        redis: silent[2].port,
        kafka: silent[3].port,
        zookeeper: silent[4].port,
        mqtt: silent[5].port,
        openwire: closed_port(ip(30)),
        neo4j: closed_port(ip(30)),
        smtp: closed_port(ip(30)),
    };
    let hosts = ["127.0.0.30"; 8];
    let values = values(dir.path(), &hosts, &ports, None);
    let dns = FakeDns::start(&[("s3.us-east-1.amazonaws.com", Answer::Silent)]);
    let dns_server = dns.address.to_string();
    let started = Instant::now();
    let (code, report, _) = preflight(
        &values,
        &[
            "--dns-server",
            &dns_server,
            "--timeout",
            "1",
            "--skip",
            "dns",
            "--skip",
            "cluster",
        ],
    );
    let took = started.elapsed();
    eprintln!("preflight with 10 unreachable endpoints took {took:?}");
    let network: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["group"] == "network")
        .collect();
    assert_eq!(network.len(), 10, "{report:#}");
    assert!(network.iter().all(|c| c["status"] == "fail"), "{report:#}");
    let timed_out = network
        .iter()
        .filter(|c| {
            c["detail"]
                .as_str()
                .unwrap()
                .contains("no answer within 1s")
        })
        .count();
    assert!(
        timed_out >= 7,
        "six silent ports and a silent DNS server time out: {report:#}"
    );
    assert_eq!(code, 1);
    // The one timing bound the issue asks for: sequential tries would take 7 s or more.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn an_unreachable_api_server_fails_the_cluster_checks_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports {
        postgresql: 1,
        mongodb: 1,
        redis: 1,
        kafka: 1,
        zookeeper: 1,
        mqtt: 1,
        openwire: 1,
        neo4j: 1,
        smtp: 1,
    };
    let values = values(dir.path(), &["127.0.0.40"; 8], &ports, None);
    let server = format!("http://127.0.0.40:{}", closed_port(ip(40)));
    let (code, report, _) = preflight(
        &values,
        &[
            "--server",
            &server,
            "--skip",
            "dns",
            "--skip",
            "network",
            "--request-timeout",
            "2s",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&report, "cluster/api"), "fail");
    assert!(
        check(&report, "cluster/api")["hint"]
            .as_str()
            .unwrap()
            .contains("--context")
    );
    assert_eq!(status(&report, "cluster/namespace"), "skip");
    assert_eq!(
        check(&report, "cluster/namespace")["required"],
        true,
        "a blocked required check keeps the run from passing"
    );
    assert_eq!(
        check(&report, "cluster/secret/smi-postgresql")["detail"],
        "the API server is unreachable"
    );
}

#[test]
fn a_missing_namespace_blocks_the_secret_checks_and_names_the_command_that_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports {
        postgresql: 1,
        mongodb: 1,
        redis: 1,
        kafka: 1,
        zookeeper: 1,
        mqtt: 1,
        openwire: 1,
        neo4j: 1,
        smtp: 1,
    };
    let values = values(dir.path(), &["127.0.0.40"; 8], &ports, None);
    // The double answers 401 to any request without this token.
    let api = FakeApiServer::builder().token("test-token").start();
    ready_cluster::seed(&api);
    ready_cluster::delete_namespace(&api, NAMESPACE);
    ready_cluster::delete_pod_identity_agent(&api);
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster: {{server: \"{}\"}}\ncontexts:\n- name: test\n  context: {{cluster: test, user: test, namespace: elsewhere}}\nusers:\n- name: test\n  user: {{token: test-token}}\n",
        api.url()
    )).unwrap();
    let (code, report, _) = preflight(
        &values,
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--skip",
            "dns",
            "--skip",
            "network",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&report, "cluster/namespace"), "fail");
    assert!(
        check(&report, "cluster/namespace")["hint"]
            .as_str()
            .unwrap()
            .contains("kubectl smi secrets create")
    );
    assert_eq!(status(&report, "cluster/secret/smi-session"), "skip");
    assert_eq!(status(&report, "cluster/pod-identity-agent"), "fail");
    assert!(
        check(&report, "cluster/pod-identity-agent")["hint"]
            .as_str()
            .unwrap()
            .contains("eks-pod-identity-agent")
    );
    let requests = api.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.bearer_token.as_deref() == Some("test-token") && r.status != 401),
        "the kubeconfig's user is used"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.method == "GET" && r.path == "/api/v1/namespaces/prod"),
        "the values' namespace, not the kubeconfig context's"
    );
    assert!(
        requests.iter().all(|r| r.namespace != "elsewhere"),
        "nothing is read in the context's namespace"
    );
    assert!(
        requests_for(&api, "secrets").is_empty(),
        "no secret list in a namespace that does not exist"
    );
}

#[test]
fn forbidden_answers_say_which_permission_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports {
        postgresql: 1,
        mongodb: 1,
        redis: 1,
        kafka: 1,
        zookeeper: 1,
        mqtt: 1,
        openwire: 1,
        neo4j: 1,
        smtp: 1,
    };
    let values = values(dir.path(), &["127.0.0.40"; 8], &ports, None);
    // RBAC of a user who may read everything preflight reads but CRDs.
    let api = FakeApiServer::builder().user("dev").start();
    ready_cluster::seed(&api);
    api.inject(
        Fault::on(&[Verb::Get, Verb::List])
            .resource("customresourcedefinitions.apiextensions.k8s.io")
            .forbid(),
    );
    let (code, report, _) = preflight(
        &values,
        &["--server", &api.url(), "--skip", "dns", "--skip", "network"],
    );
    assert_eq!(code, 1);
    for (id, name) in [
        ("cluster/servicemonitor-crd", SERVICE_MONITOR_CRD),
        ("cluster/calico-crd", CALICO_NETWORK_POLICY_CRD),
    ] {
        assert_eq!(status(&report, id), "fail");
        let hint = check(&report, id)["hint"].as_str().unwrap();
        assert!(
            hint.contains("may not get customresourcedefinitions"),
            "{hint}"
        );
        let detail = check(&report, id)["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("\"{name}\" is forbidden: User \"dev\" cannot get resource \"customresourcedefinitions\""))
                && detail.contains("(403)"),
            "the API server's words: {detail}"
        );
    }
    assert_eq!(
        status(&report, "cluster/namespace"),
        "pass",
        "only the forbidden reads fail"
    );
    assert_eq!(status(&report, "cluster/external-metrics-api"), "pass");
    let crd_reads = requests_for(&api, "customresourcedefinitions");
    assert_eq!(crd_reads.len(), 2);
    assert!(crd_reads.iter().all(|r| r.status == 403));
}

#[test]
fn bad_flags_and_values_are_usage_errors() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--dns-server", "not-an-ip"],
            "--dns-server \"not-an-ip\": expected an IP address",
        ),
        (&["--skip", "everything"], "invalid value 'everything'"),
        (
            &["--request-timeout", "3 days", "--skip", "dns"],
            "--request-timeout \"3 days\" is not a duration",
        ),
    ];
    for (args, fragment) in cases {
        let out = kubectl_smi()
            .args(["preflight", "-f"])
            .arg(support::example("values-aws.yaml"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0));
        assert!(stderr.contains(fragment), "{args:?}: {stderr}");
    }
}

#[test]
fn a_terminal_sees_progress_while_the_checks_run() {
    if !script_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let silent = silent_port(ip(60));
    let ports = Ports {
        postgresql: silent.port,
        mongodb: 1,
        redis: 1,
        kafka: 1,
        zookeeper: 1,
        mqtt: 1,
        openwire: 1,
        neo4j: 1,
        smtp: 1,
    };
    let values = values(dir.path(), &["127.0.0.60"; 8], &ports, None);
    let command = format!(
        "{} preflight -f {} --timeout 1 --skip dns --skip cluster --dns-server 127.0.0.1:9",
        binary().display(),
        values.display()
    );
    // `script` runs the command on a pseudo-terminal and copies what it shows.
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("checking"),
        "no progress line on the terminal: {screen}"
    );
    assert!(screen.contains("Network connectivity (step 2)"), "{screen}");
}
