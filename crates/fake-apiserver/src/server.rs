//! The HTTP side: routes REST paths as the API server does, applies faults, runs the verb.

use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::faults::{Action, Verb};
use crate::pod_logs::{is_pod_log, serve_log};
use crate::routes::{Route, parse_query, parse_route};
use crate::selectors::Selector;
use crate::status::Failure;
use crate::store::{PatchKind, Target, WriteOptions};
use crate::{RequestInfo, Shared, kubelet, resources};

/// The API server's request body limit.
const MAX_BODY: usize = 3 * 1024 * 1024;

/// Returned to hyper to drop the connection without an answer (a crashed server).
#[derive(Debug)]
pub struct Crashed;

impl std::fmt::Display for Crashed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the fake API server crashed (injected fault)")
    }
}

impl std::error::Error for Crashed {}

pub type Reply = Response<Full<Bytes>>;

pub async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Reply, Crashed> {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(reply_failure(&Failure::with_code(
                413,
                "Request entity too large: limit is 3145728",
            )));
        }
    };
    let query = parts.uri.query().unwrap_or("").to_owned();
    let params = parse_query(&query);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut info = RequestInfo {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: query.clone(),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
        bearer_token: header("authorization")
            .strip_prefix("Bearer ")
            .map(str::to_owned),
        impersonate_user: Some(header("impersonate-user")).filter(|u| !u.is_empty()),
        impersonate_groups: parts
            .headers
            .get_all("impersonate-group")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect(),
        user_agent: header("user-agent"),
        accept: header("accept"),
        field_manager: param("fieldManager"),
        dry_run: param("dryRun").is_some_and(|v| v == "All"),
        force: param("force").is_some_and(|v| v == "true"),
        ..RequestInfo::default()
    };
    let route = parse_route(&info.path);
    if let Route::Object {
        group,
        version,
        resource,
        namespace,
        name,
        subresource,
    } = &route
    {
        info.group = group.clone();
        info.version = version.clone();
        info.resource = resource.clone();
        info.namespace = namespace.clone();
        info.name = name.clone();
        info.subresource = subresource.clone();
        let watch = param("watch").is_some_and(|v| v == "true" || v == "1");
        info.verb = Some(match (info.method.as_str(), name.is_empty()) {
            ("GET", _) if watch => Verb::Watch,
            ("GET", false) => Verb::Get,
            ("GET", true) => Verb::List,
            ("POST", _) => Verb::Create,
            ("PUT", _) => Verb::Update,
            ("PATCH", _) => Verb::Patch,
            _ => Verb::Delete,
        });
    }

    let (callbacks, delay, action, index) = {
        let mut state = shared
            .state
            .lock()
            .expect("the server's lock is never poisoned");
        let index = state.requests.len();
        state.requests.push(info.clone());
        if let Some(token) = &shared.token
            && info.bearer_token.as_deref() != Some(token.as_str())
        {
            let failure = Failure::unauthorized();
            state.requests[index].status = failure.code;
            return Ok(reply_failure(&failure));
        }
        let writes = state.writes;
        let mut callbacks = Vec::new();
        let mut delay = std::time::Duration::ZERO;
        let mut action = None;
        for fault in state.faults.iter_mut() {
            if !fault.matches(&info, writes) {
                continue;
            }
            match fault.fire() {
                Some(Action::Call(callback)) => callbacks.push(callback),
                Some(Action::Delay(wait)) => delay += wait,
                other => {
                    action = other;
                    break;
                }
            }
        }
        (callbacks, delay, action, index)
    };
    for callback in callbacks {
        callback(&info);
    }
    // Other connections are served meanwhile, as a slow API server would.
    tokio::time::sleep(delay).await;
    let lose_reply = matches!(action, Some(Action::LoseReply));
    let result = match action {
        Some(Action::Crash) => {
            shared.record_status(index, 0);
            let _ = shared.shutdown.send(true);
            return Err(Crashed);
        }
        Some(Action::Respond(failure)) => Err(failure),
        Some(Action::Conflict) => {
            let qualified = if info.group.is_empty() {
                info.resource.clone()
            } else {
                format!("{}.{}", info.resource, info.group)
            };
            Err(Failure::conflict(&qualified, &info.group, &info.name))
        }
        Some(Action::Forbid) => Err(forbidden(&shared, &info)),
        _ if is_pod_log(&info) => return Ok(serve_log(&shared, &info, index, &params).await),
        _ => serve(&shared, &info, &route, &body, &params),
    };
    let (code, value) = match result {
        Ok((code, value)) => (code, value),
        Err(failure) => (failure.code, failure.body),
    };
    if lose_reply {
        shared.record_status(index, 0);
        return Err(Crashed);
    }
    shared.record_status(index, code);
    Ok(reply(code, &value))
}

fn forbidden(shared: &Shared, info: &RequestInfo) -> Failure {
    let verb = info.verb.map_or("get", Verb::as_str);
    let user = info
        .impersonate_user
        .clone()
        .unwrap_or_else(|| shared.user.clone());
    Failure::forbidden(
        &user,
        verb,
        &info.resource,
        &info.subresource,
        &info.group,
        &info.namespace,
        &info.name,
    )
}

fn serve(
    shared: &Arc<Shared>,
    info: &RequestInfo,
    route: &Route,
    body: &[u8],
    params: &[(String, String)],
) -> Result<(u16, Value), Failure> {
    let mut state = shared
        .state
        .lock()
        .expect("the server's lock is never poisoned");
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let types = &state.store.types;
    let discovery = match route {
        Route::Version => Some(
            json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-fake", "platform": "linux/amd64"}),
        ),
        Route::CoreVersions => Some(resources::core_versions()),
        Route::Groups => Some(resources::group_list(types)),
        Route::Group(group) => {
            Some(resources::group(types, group).ok_or_else(|| Failure::no_route(&info.path))?)
        }
        Route::Resources { group, version } => Some(
            resources::resource_list(types, group, version)
                .ok_or_else(|| Failure::no_route(&info.path))?,
        ),
        Route::NotFound => return Err(Failure::no_route(&info.path)),
        Route::Object { .. } => None,
    };
    if let Some(value) = discovery {
        return Ok((200, value));
    }
    let Route::Object {
        group,
        version,
        resource,
        namespace,
        name,
        subresource,
    } = route
    else {
        return Err(Failure::no_route(&info.path));
    };
    let rtype = types
        .iter()
        .find(|t| &t.group == group && &t.version == version && &t.plural == resource)
        .cloned()
        .ok_or_else(|| Failure::no_route(&info.path))?;
    if !subresource.is_empty() {
        return Err(Failure::method_not_allowed());
    }
    let target = Target {
        namespace: if rtype.namespaced {
            namespace.clone()
        } else {
            String::new()
        },
        name: name.clone(),
        rtype,
    };
    let manager = info.field_manager.clone().unwrap_or_else(|| {
        info.user_agent
            .split('/')
            .next()
            .unwrap_or("unknown")
            .to_owned()
    });
    let options = WriteOptions {
        dry_run: info.dry_run,
        field_manager: manager,
        force: info.force,
        seed: false,
    };
    let verb = info.verb.unwrap_or(Verb::Get);
    if target.rtype.is_review() {
        drop(state);
        return review(shared, info, body);
    }
    let result = match verb {
        Verb::Get => {
            let object = state.store.get(&target)?;
            let object = if info.wants_metadata_only() {
                metadata_only(&object)
            } else {
                object
            };
            return Ok((200, object));
        }
        Verb::List => {
            let selector = Selector::parse(param("labelSelector"), param("fieldSelector"))
                .map_err(Failure::bad_request)?;
            let mut list = state.store.list(&target, |o| selector.matches(o));
            if info.wants_metadata_only() {
                let items: Vec<Value> = list["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(metadata_only)
                    .collect();
                list = json!({
                    "apiVersion": "meta.k8s.io/v1",
                    "kind": "PartialObjectMetadataList",
                    "metadata": list["metadata"],
                    "items": items,
                });
            }
            return Ok((200, list));
        }
        Verb::Watch => return Err(Failure::method_not_allowed()),
        Verb::Create => {
            let created = state.store.create(&target, parse_json(body)?, &options)?;
            let runner = state.kubelet.runner.clone();
            if let Some(runner) = runner
                && created.changed
                && target.rtype.group.is_empty()
                && target.rtype.plural == "pods"
            {
                kubelet::start(shared.clone(), runner, created.object.clone());
            }
            Ok(created)
        }
        Verb::Update => state.store.update(&target, parse_json(body)?, &options),
        Verb::Patch => {
            let kind = match info.content_type.split(';').next().unwrap_or("").trim() {
                "application/apply-patch+yaml" => PatchKind::Apply,
                "application/merge-patch+json" => PatchKind::Merge,
                "application/strategic-merge-patch+json" => PatchKind::Strategic,
                "application/json-patch+json" => PatchKind::Json,
                other => return Err(Failure::unsupported_media_type(other)),
            };
            let patch = if kind == PatchKind::Apply {
                parse_yaml(body)?
            } else {
                parse_json(body)?
            };
            // An apply that creates is authorized as a create too (handlers/patch.go,
            // withAuthorization): RBAC's denial has no reason, so the message ends there.
            if kind == PatchKind::Apply && state.store.get(&target).is_err() {
                let asked = RequestInfo {
                    verb: Some(Verb::Create),
                    ..info.clone()
                };
                let writes = state.writes;
                if state
                    .faults
                    .iter()
                    .any(|f| f.is_forbid() && f.matches(&asked, writes))
                {
                    return Err(Failure::admission_forbidden(
                        &target.rtype.plural,
                        &target.rtype.group,
                        &target.name,
                        "",
                    ));
                }
            }
            state.store.patch(&target, kind, patch, &options)
        }
        Verb::Delete => {
            if target.name.is_empty() {
                return Err(Failure::method_not_allowed());
            }
            let value = state.store.delete(&target, options.dry_run)?;
            if !options.dry_run {
                state.writes += 1;
            }
            return Ok((200, value));
        }
    }?;
    if result.changed {
        state.writes += 1;
    }
    if result.changed
        && result.code == 201
        && target.rtype.group.is_empty()
        && target.rtype.plural == "namespaces"
    {
        let delay = shared.service_account_delay;
        let namespace = result.object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if delay.is_zero() {
            state.store.ensure_default_service_account(&namespace);
        } else {
            // kube-controller-manager creates it a moment later.
            let shared = shared.clone();
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                shared
                    .lock()
                    .store
                    .ensure_default_service_account(&namespace);
            });
        }
    }
    Ok((result.code, result.object))
}

/// A SelfSubjectAccessReview: allowed unless a forbid fault matches the reviewed request.
fn review(shared: &Shared, info: &RequestInfo, body: &[u8]) -> Result<(u16, Value), Failure> {
    let mut review = parse_json(body)?;
    let attrs = &review["spec"]["resourceAttributes"];
    let verb = match attrs["verb"].as_str().unwrap_or("get") {
        "list" => Verb::List,
        "watch" => Verb::Watch,
        "create" => Verb::Create,
        "update" => Verb::Update,
        "patch" => Verb::Patch,
        "delete" => Verb::Delete,
        _ => Verb::Get,
    };
    let asked = RequestInfo {
        verb: Some(verb),
        group: attrs["group"].as_str().unwrap_or("").to_owned(),
        resource: attrs["resource"].as_str().unwrap_or("").to_owned(),
        namespace: attrs["namespace"].as_str().unwrap_or("").to_owned(),
        name: attrs["name"].as_str().unwrap_or("").to_owned(),
        subresource: attrs["subresource"].as_str().unwrap_or("").to_owned(),
        ..info.clone()
    };
    let state = shared
        .state
        .lock()
        .expect("the server's lock is never poisoned");
    let denied = state
        .faults
        .iter()
        .any(|f| f.is_forbid() && f.matches(&asked, state.writes));
    review["status"] = if denied {
        json!({"allowed": false, "denied": true, "reason": "forbidden by an injected fault"})
    } else {
        json!({"allowed": true, "reason": "the fake API server allows everything not forbidden"})
    };
    Ok((201, review))
}

/// The object as `PartialObjectMetadata` (what metadata-only requests get).
fn metadata_only(object: &Value) -> Value {
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": object["metadata"]})
}

fn parse_json(body: &[u8]) -> Result<Value, Failure> {
    if body.starts_with(b"k8s\x00") {
        return Err(Failure::unsupported_media_type(
            "application/vnd.kubernetes.protobuf",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        Failure::bad_request(format!("the body of the request is not valid JSON: {e}"))
    })
}

fn parse_yaml(body: &[u8]) -> Result<Value, Failure> {
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Failure::bad_request("the body of the request is not UTF-8"))?;
    serde_saphyr::from_str(text)
        .map_err(|e| Failure::bad_request(format!("error decoding YAML: {e}")))
}

fn reply(code: u16, value: &Value) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_default();
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

pub fn reply_failure(failure: &Failure) -> Reply {
    reply(failure.code, &failure.body)
}
