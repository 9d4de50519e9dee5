//! `GET /api/v1/namespaces/<ns>/pods/<name>/log`: a container's log as text/plain, with the
//! API server's refusals (no such container, none chosen among several, not started yet).

use http_body_util::Full;
use hyper::Response;
use hyper::body::Bytes;
use serde_json::Value;

use crate::faults::Verb;
use crate::server::{Reply, reply_failure};
use crate::status::Failure;
use crate::{RequestInfo, Shared, State};

/// `GET /api/v1/namespaces/<ns>/pods/<name>/log`.
pub fn is_pod_log(info: &RequestInfo) -> bool {
    info.verb == Some(Verb::Get)
        && info.group.is_empty()
        && info.resource == "pods"
        && info.subresource == "log"
}

/// A container's log as text/plain; with `follow=true`, once the container has finished.
pub async fn serve_log(
    shared: &Shared,
    info: &RequestInfo,
    index: usize,
    params: &[(String, String)],
) -> Reply {
    loop {
        let read = read(&shared.lock(), &info.namespace, &info.name, params);
        match read {
            Ok(LogRead::Text(text)) => {
                shared.record_status(index, 200);
                return Response::builder()
                    .status(200)
                    .header("content-type", "text/plain")
                    .body(Full::new(Bytes::from(text)))
                    .expect("a valid response");
            }
            Ok(LogRead::StillRunning) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(failure) => {
                shared.record_status(index, failure.code);
                return reply_failure(&failure);
            }
        }
    }
}

/// What a log read found: the text, or (for `follow=true`) that the container still runs.
pub enum LogRead {
    Text(String),
    StillRunning,
}

/// Reads a container's log with the query's `container`, `tailLines`, `limitBytes`,
/// `timestamps`, `previous` and `follow`.
pub fn read(
    state: &State,
    namespace: &str,
    name: &str,
    params: &[(String, String)],
) -> Result<LogRead, Failure> {
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let flag = |key: &str| param(key).is_some_and(|v| v == "true" || v == "1");
    let target = state
        .store
        .target("pods", namespace, name)
        .expect("pods are built in");
    let pod = state.store.get(&target)?;
    let names: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match param("container").filter(|c| !c.is_empty()) {
        Some(chosen) if names.contains(&chosen) => chosen,
        Some(chosen) => {
            return Err(Failure::bad_request(format!(
                "container {chosen} is not valid for pod {name}"
            )));
        }
        None if names.len() == 1 => names[0],
        None => {
            return Err(Failure::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )));
        }
    };
    if flag("previous") {
        return Err(Failure::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    let status = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == container)
        .map(|s| &s["state"]);
    let (terminated, started_at) = match status {
        Some(s) if s["terminated"].is_object() => (true, &s["terminated"]["startedAt"]),
        Some(s) if s["running"].is_object() => (false, &s["running"]["startedAt"]),
        other => {
            let reason = other
                .and_then(|s| s["waiting"]["reason"].as_str())
                .unwrap_or("ContainerCreating");
            return Err(Failure::bad_request(format!(
                "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
            )));
        }
    };
    if !terminated && flag("follow") {
        return Ok(LogRead::StillRunning);
    }
    let uid = pod["metadata"]["uid"].as_str().unwrap_or("").to_owned();
    let log = state
        .kubelet
        .logs
        .get(&(uid, container.to_owned()))
        .map(String::as_str)
        .unwrap_or("");
    let mut lines: Vec<String> = log.split_inclusive('\n').map(str::to_owned).collect();
    if let Some(tail) = param("tailLines").and_then(|n| n.parse::<usize>().ok()) {
        lines = lines.split_off(lines.len().saturating_sub(tail));
    }
    if flag("timestamps") {
        let stamp = nanosecond_stamp(started_at);
        for line in &mut lines {
            line.insert_str(0, &format!("{stamp} "));
        }
    }
    let mut text = lines.concat();
    if let Some(limit) = param("limitBytes").and_then(|n| n.parse::<usize>().ok()) {
        let mut end = limit.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    Ok(LogRead::Text(text))
}

/// `2025-06-01T10:00:00Z` as the kubelet stamps log lines: `2025-06-01T10:00:00.000000000Z`.
fn nanosecond_stamp(time: &Value) -> String {
    let time = time.as_str().unwrap_or("1970-01-01T00:00:00Z");
    match time.strip_suffix('Z') {
        Some(seconds) if !seconds.contains('.') => format!("{seconds}.000000000Z"),
        _ => time.to_owned(),
    }
}
