//! AWS on loopback for the tests: moto's server (STS, IAM, Secrets Manager), and a small EKS
//! stub for the pod identity association calls, which moto does not implement (its EKS
//! answers 404 to them). Both listen on 127.0.0.1 on a free port and stop when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::closed_port;

/// A running `moto_server`.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    /// Starts moto's server, or prints why the test is skipped and returns None.
    pub fn start(env: &[(&str, &str)]) -> Option<Moto> {
        if !super::available(
            "python3",
            &["-c", "import moto.server, flask"],
            "moto's server is not installed (pip install -r tests/requirements.txt)",
        ) {
            return None;
        }
        let port = closed_port(Ipv4Addr::LOCALHOST);
        let mut command = Command::new("python3");
        command
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port} within 60s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// Points `cmd` (and the SDK in it) at this server, with dummy credentials and nothing
    /// read from the user's own AWS configuration.
    pub fn env(&self, cmd: &mut assert_cmd::Command) {
        isolate(cmd);
        cmd.env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the EKS stub received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
}

#[derive(Debug, Clone)]
pub struct StubAssociation {
    pub id: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    cluster: String,
    associations: BTreeMap<String, StubAssociation>,
    requests: Vec<Request>,
    next_id: u32,
    deny: bool,
    deny_writes: bool,
    /// Deleted associations EKS still lists (deletion is eventually consistent): listed,
    /// but DescribePodIdentityAssociation answers 404 for them.
    lingering: BTreeMap<String, StubAssociation>,
    linger: bool,
}

/// EKS's REST-JSON pod identity association API, as AWS documents it: list, describe,
/// create (refused with 409 when the service account already has one), update.
pub struct EksStub {
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl EksStub {
    pub fn start(cluster: &str) -> EksStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State {
            cluster: cluster.to_owned(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(stream, &s);
                }
            }
        });
        EksStub {
            url: format!("http://127.0.0.1:{port}"),
            state,
            stop,
            port,
        }
    }

    /// An association that exists before the test runs.
    pub fn preload(&self, namespace: &str, service_account: &str, role_arn: &str) -> String {
        let mut state = self.state.lock().unwrap();
        state.next_id += 1;
        let id = format!("a-preloaded{}", state.next_id);
        state.associations.insert(
            id.clone(),
            StubAssociation {
                id: id.clone(),
                namespace: namespace.to_owned(),
                service_account: service_account.to_owned(),
                role_arn: role_arn.to_owned(),
                tags: BTreeMap::new(),
            },
        );
        id
    }

    /// Deleted associations stay listed (but not described) until [`EksStub::settle`]: EKS
    /// deletes them eventually, not at once.
    pub fn linger_deletions(&self) {
        self.state.lock().unwrap().linger = true;
    }

    /// The deletions in progress finish.
    pub fn settle(&self) {
        self.state.lock().unwrap().lingering.clear();
    }

    /// Answer every call with AccessDeniedException from now on.
    pub fn deny(&self) {
        self.state.lock().unwrap().deny = true;
    }

    /// Answer the calls that change something with AccessDeniedException from now on.
    pub fn deny_writes(&self) {
        self.state.lock().unwrap().deny_writes = true;
    }

    /// Answer every call again.
    pub fn allow(&self) {
        let mut state = self.state.lock().unwrap();
        state.deny = false;
        state.deny_writes = false;
    }

    pub fn associations(&self) -> Vec<StubAssociation> {
        self.state
            .lock()
            .unwrap()
            .associations
            .values()
            .cloned()
            .collect()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for EksStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (status, error, answer) = {
        let mut state = state.lock().unwrap();
        state.requests.push(Request {
            method: method.clone(),
        });
        route(&mut state, &method, path, query, &body)
    };
    let text = answer.to_string();
    let mut response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        text.len()
    );
    if let Some(error) = error {
        response.push_str(&format!("x-amzn-errortype: {error}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&text);
    let mut stream = stream;
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

fn association_json(cluster: &str, a: &StubAssociation) -> Value {
    json!({
        "tags": a.tags,
        "clusterName": cluster,
        "namespace": a.namespace,
        "serviceAccount": a.service_account,
        "roleArn": a.role_arn,
        "associationArn": format!("arn:aws:eks:us-east-1:111122223333:podidentityassociation/{cluster}/{}", a.id),
        "associationId": a.id,
    })
}

fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &str,
    body: &Value,
) -> (u16, Option<&'static str>, Value) {
    if state.deny || (state.deny_writes && matches!(method, "POST" | "DELETE")) {
        return (
            403,
            Some("AccessDeniedException"),
            json!({"message": "User: arn:aws:iam::111122223333:user/ci is not authorized to perform this action"}),
        );
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let cluster = state.cluster.clone();
    if let (Some("tags"), "POST") = (segments.first().copied(), method) {
        // TagResource: POST /tags/{resourceArn}, the ARN percent-encoded.
        let arn = path
            .trim_start_matches("/tags/")
            .replace("%3A", ":")
            .replace("%3a", ":")
            .replace("%2F", "/")
            .replace("%2f", "/");
        let id = arn.rsplit('/').next().unwrap_or_default().to_owned();
        return match state.associations.get_mut(&id) {
            Some(a) if arn.contains(":podidentityassociation/") => {
                if let Some(tags) = body["tags"].as_object() {
                    for (k, v) in tags {
                        a.tags
                            .insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
                    }
                }
                (200, None, json!({}))
            }
            _ => (
                404,
                Some("NotFoundException"),
                json!({"message": format!("no resource {arn}")}),
            ),
        };
    }
    if segments.len() < 3 || segments[0] != "clusters" || segments[2] != "pod-identity-associations"
    {
        return (
            404,
            Some("NotFoundException"),
            json!({"message": format!("no route {path}")}),
        );
    }
    if segments[1] != cluster {
        return (
            404,
            Some("ResourceNotFoundException"),
            json!({"message": format!("No cluster found for name: {}.", segments[1])}),
        );
    }
    let namespace_filter = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("namespace="))
        .map(str::to_owned);
    match (method, segments.get(3)) {
        ("GET", None) => {
            let list: Vec<Value> = state
                .associations
                .values()
                .chain(state.lingering.values())
                .filter(|a| {
                    namespace_filter
                        .as_deref()
                        .is_none_or(|ns| ns == a.namespace)
                })
                .map(|a| {
                    let mut v = association_json(&cluster, a);
                    if let Some(o) = v.as_object_mut() {
                        o.remove("roleArn");
                        o.remove("tags");
                    }
                    v
                })
                .collect();
            (200, None, json!({"associations": list}))
        }
        ("GET", Some(id)) => match state.associations.get(*id) {
            Some(a) => (
                200,
                None,
                json!({"association": association_json(&cluster, a)}),
            ),
            None => (
                404,
                Some("ResourceNotFoundException"),
                json!({"message": "no association"}),
            ),
        },
        ("POST", None) => {
            let namespace = body["namespace"].as_str().unwrap_or_default().to_owned();
            let service_account = body["serviceAccount"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if state
                .associations
                .values()
                .any(|a| a.namespace == namespace && a.service_account == service_account)
            {
                return (
                    409,
                    Some("ResourceInUseException"),
                    json!({"message": "Association already exists"}),
                );
            }
            state.next_id += 1;
            let id = format!("a-{:08}", state.next_id);
            let tags = body["tags"]
                .as_object()
                .map(|t| {
                    t.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let a = StubAssociation {
                id: id.clone(),
                namespace,
                service_account,
                role_arn: body["roleArn"].as_str().unwrap_or_default().to_owned(),
                tags,
            };
            let answer = json!({"association": association_json(&cluster, &a)});
            state.associations.insert(id, a);
            (200, None, answer)
        }
        ("POST", Some(id)) => match state.associations.get_mut(*id) {
            Some(a) => {
                a.role_arn = body["roleArn"].as_str().unwrap_or_default().to_owned();
                let answer = json!({"association": association_json(&cluster, a)});
                (200, None, answer)
            }
            None => (
                404,
                Some("ResourceNotFoundException"),
                json!({"message": "no association"}),
            ),
        },
        ("DELETE", Some(id)) => match state.associations.remove(*id) {
            Some(a) => {
                let answer = json!({"association": association_json(&cluster, &a)});
                if state.linger {
                    state.lingering.insert(a.id.clone(), a);
                }
                (200, None, answer)
            }
            None => (
                404,
                Some("ResourceNotFoundException"),
                json!({"message": "no association"}),
            ),
        },
        _ => (
            405,
            Some("InvalidRequestException"),
            json!({"message": "method"}),
        ),
    }
}

/// The environment that points the binary (and the SDK) at the emulators: `Moto::env`, and
/// EKS calls to the stub.
pub fn aws_env(cmd: &mut assert_cmd::Command, moto: &Moto, eks: &EksStub) {
    moto.env(cmd);
    cmd.env("AWS_ENDPOINT_URL_EKS", &eks.url);
}

/// No AWS configuration of the machine leaks in, and the SDK never asks the instance
/// metadata service (a non-loopback address).
pub fn isolate(cmd: &mut assert_cmd::Command) {
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_EKS",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws/credentials",
        );
}

/// A proxy in front of moto that answers some IAM or EC2 calls with AWS's throttling error
/// (IAM: `Throttling`, HTTP 400, awsQuery's error shape; EC2: `RequestLimitExceeded`, HTTP
/// 503, ec2Query's) before passing the rest on:
/// the first `times` requests whose `Action` is `action` are refused. The SDK retries
/// throttling errors (3 attempts in its standard mode), so `times` below 3 is absorbed and
/// 3 makes the call fail.
pub struct ThrottlingProxy {
    pub url: String,
    throttled: Arc<Mutex<u32>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

/// IAM's (awsQuery) throttling answer.
const IAM_THROTTLING: &str = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\n|<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>throttled</RequestId></ErrorResponse>";
/// EC2's (ec2Query) throttling answer.
const EC2_THROTTLING: &str = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/xml\r\n|<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>throttled</RequestID></Response>";

impl ThrottlingProxy {
    /// IAM calls named `action` are throttled (`Throttling`).
    pub fn start(upstream: &str, action: &str, times: u32) -> ThrottlingProxy {
        Self::start_with(upstream, action, times, IAM_THROTTLING)
    }

    /// EC2 calls named `action` are throttled (`RequestLimitExceeded`).
    pub fn start_ec2(upstream: &str, action: &str, times: u32) -> ThrottlingProxy {
        Self::start_with(upstream, action, times, EC2_THROTTLING)
    }

    fn start_with(
        upstream: &str,
        action: &str,
        times: u32,
        error: &'static str,
    ) -> ThrottlingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let throttled = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, st, action) = (throttled.clone(), stop.clone(), format!("Action={action}&"));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (count, upstream, action) = (count.clone(), upstream.clone(), action.clone());
                std::thread::spawn(move || {
                    let _ = proxy(stream, &upstream, &action, times, &count, error);
                });
            }
        });
        ThrottlingProxy {
            url: format!("http://127.0.0.1:{port}"),
            throttled,
            stop,
            port,
        }
    }

    /// How many requests were answered with the throttling error.
    pub fn throttled(&self) -> u32 {
        *self.throttled.lock().unwrap()
    }
}

impl Drop for ThrottlingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn proxy(
    stream: TcpStream,
    upstream: &str,
    action: &str,
    times: u32,
    count: &Mutex<u32>,
    answer: &str,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            if name.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let text = format!("{}&", String::from_utf8_lossy(&body));
    let throttle = text.starts_with(action) || text.contains(&format!("&{action}"));
    let throttle = throttle && {
        let mut count = count.lock().unwrap();
        let refuse = *count < times;
        if refuse {
            *count += 1;
        }
        refuse
    };
    let mut stream = stream;
    if throttle {
        let (head, error) = answer.split_once('|').unwrap_or((answer, ""));
        let response = format!(
            "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{error}",
            error.len()
        );
        stream.write_all(response.as_bytes())?;
        return stream.flush();
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(head.as_bytes())?;
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    up.flush()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    stream.write_all(&answer)?;
    stream.flush()
}

/// An IAM client of the SDK pointed at `url` (moto or a proxy in front of it), for the tests'
/// own set-up and read-back.
pub fn iam_client(url: &str) -> aws_sdk_iam::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .http_client(http)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}
