//! A Kubernetes API server double for tests: the real REST protocol, in memory, on a
//! loopback port, with fault injection. Tests start it, write a kubeconfig pointing at it,
//! and run the real binary (or any client) against it. See README.md for what it serves.
//!
//! ```
//! use fake_apiserver::{FakeApiServer, Fault};
//! let api = FakeApiServer::start();
//! let dir = std::env::temp_dir().join(format!("fake-apiserver-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let kubeconfig = api.write_kubeconfig(&dir.join("kubeconfig"));
//! api.inject(Fault::writes().resource("secrets").forbid());
//! assert!(api.get("namespaces", "", "default").is_some());
//! # let _ = kubeconfig;
//! ```

mod admission;
mod apply;
mod faults;
mod fields;
mod kubelet;
mod pod_logs;
mod resources;
mod routes;
mod selectors;
mod server;
mod status;
mod store;
mod validate;
mod webhooks;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub use faults::{Action, Fault, Verb};
pub use kubelet::ContainerExit;
pub use resources::ResourceType;
pub use status::Failure;
pub use validate::MAX_SECRET_BYTES;
pub use webhooks::{SideEffects, Webhook};

/// One request as the server received it, and the HTTP code it answered (0: no answer).
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// The HTTP method: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The URL path, e.g. `/api/v1/namespaces/prod/secrets/x`.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    /// None for discovery and other non-resource paths.
    pub verb: Option<Verb>,
    /// The API group; empty for the core group and for non-resource paths.
    pub group: String,
    /// The API version (`v1`); empty for non-resource paths.
    pub version: String,
    /// The plural resource name (`secrets`).
    pub resource: String,
    /// `log` for `pods/<name>/log`; empty for the object itself.
    pub subresource: String,
    /// The namespace in the path; empty for cluster-scoped and all-namespace requests.
    pub namespace: String,
    /// The object's name in the path; empty for lists and creates.
    pub name: String,
    /// The `Content-Type` header, e.g. `application/apply-patch+yaml`; empty when absent.
    pub content_type: String,
    /// The request body as text (lossy UTF-8).
    pub body: String,
    /// The `fieldManager` query parameter.
    pub field_manager: Option<String>,
    /// `dryRun=All` was asked for.
    pub dry_run: bool,
    /// `force=true` was asked for (server-side apply takes over conflicting fields).
    pub force: bool,
    /// The token of an `Authorization: Bearer` header.
    pub bearer_token: Option<String>,
    /// The `Impersonate-User` header.
    pub impersonate_user: Option<String>,
    /// The `Impersonate-Group` headers, in order.
    pub impersonate_groups: Vec<String>,
    /// The `User-Agent` header; empty when absent.
    pub user_agent: String,
    /// The `Accept` header; empty when absent.
    pub accept: String,
    /// The HTTP status code answered; 0 while unanswered or when the server crashed on it.
    pub status: u16,
}

impl RequestInfo {
    /// Whether the request asked to change the store (dry runs included).
    pub fn is_write(&self) -> bool {
        self.verb.is_some_and(Verb::is_write)
    }

    /// The object's name: the one in the path, or for a create (whose path has none) the
    /// body's `metadata.name`. Fault rules match names by this.
    pub fn object_name(&self) -> String {
        if !self.name.is_empty() || self.verb != Some(Verb::Create) {
            return self.name.clone();
        }
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|b| b["metadata"]["name"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Whether the client asked for metadata only (`as=PartialObjectMetadata[List]`).
    pub fn wants_metadata_only(&self) -> bool {
        self.accept.contains("as=PartialObjectMetadata")
    }
}

struct State {
    store: store::Store,
    requests: Vec<RequestInfo>,
    faults: Vec<Fault>,
    /// Writes that changed the store; `Fault::after_writes` counts these.
    writes: usize,
    kubelet: kubelet::Kubelet,
}

struct Shared {
    state: Mutex<State>,
    shutdown: tokio::sync::watch::Sender<bool>,
    token: Option<String>,
    user: String,
    /// How long after a namespace is created through the API its `default` ServiceAccount
    /// appears.
    service_account_delay: std::time::Duration,
}

impl Shared {
    fn record_status(&self, index: usize, code: u16) {
        if let Some(request) = self.lock().requests.get_mut(index) {
            request.status = code;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("the server's lock is never poisoned")
    }
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Builder {
    token: Option<String>,
    user: String,
    service_account_delay: std::time::Duration,
}

impl Builder {
    /// Require `Authorization: Bearer <token>` on every request (401 otherwise); the
    /// written kubeconfig carries the token.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// The user named in 403 messages (default `kubernetes-admin`).
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_owned();
        self
    }

    /// How long after a namespace is created through the API kube-controller-manager's
    /// service account controller adds its `default` ServiceAccount (default: at once, in
    /// the same write). Until then a pod created there is refused with 403 `error looking up
    /// service account <ns>/default: serviceaccount "default" not found`, as on a real
    /// cluster right after `kubectl create namespace`.
    pub fn service_account_delay(mut self, delay: std::time::Duration) -> Self {
        self.service_account_delay = delay;
        self
    }

    /// Binds 127.0.0.1 on a free port and serves on a thread of its own until the server is
    /// dropped.
    pub fn start(self) -> FakeApiServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the bound address");
        let (shutdown, mut stopped) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                store: store::Store::new(),
                requests: Vec::new(),
                faults: Vec::new(),
                writes: 0,
                kubelet: kubelet::Kubelet::default(),
            }),
            shutdown,
            token: self.token,
            user: self.user,
            service_account_delay: self.service_account_delay,
        });
        let serving = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let mut connections = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        _ = stopped.changed() => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let shared = serving.clone();
                            connections.spawn(async move {
                                let service = service_fn(move |request| server::handle(shared.clone(), request));
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
                connections.abort_all();
            });
        });
        FakeApiServer {
            handle: Handle { shared, addr },
            thread: Some(thread),
        }
    }
}

/// A running server; stopped when dropped. Everything but stopping is on [`Handle`].
pub struct FakeApiServer {
    handle: Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::ops::Deref for FakeApiServer {
    type Target = Handle;

    fn deref(&self) -> &Handle {
        &self.handle
    }
}

/// A cheap, cloneable way to the server's state: to seed, inspect and change it, also from
/// a fault's callback while a request is being served.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl FakeApiServer {
    /// Starts a server with no authentication on 127.0.0.1 and a free port.
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// A builder, for a bearer token or another user name; [`Builder::start`] starts the server.
    pub fn builder() -> Builder {
        Builder {
            token: None,
            user: "kubernetes-admin".to_owned(),
            service_account_delay: std::time::Duration::ZERO,
        }
    }

    /// A handle to the server's state that can move into callbacks.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Stops serving: open connections are dropped, new ones refused.
    pub fn stop(&mut self) {
        let _ = self.handle.shared.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Handle {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig whose current context `fake` points at this server.
    pub fn kubeconfig(&self) -> String {
        let user = match &self.shared.token {
            Some(token) => format!("{{token: \"{token}\"}}"),
            None => "{}".to_owned(),
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\ncurrent-context: fake\nusers:\n- name: fake\n  user: {user}\n",
            self.url()
        )
    }

    /// Writes [`Self::kubeconfig`] to `path` and returns the path.
    pub fn write_kubeconfig(&self, path: &Path) -> PathBuf {
        std::fs::write(path, self.kubeconfig()).expect("write the kubeconfig");
        path.to_owned()
    }

    /// Stores an object as a client named `test-seed` would create it, in a cluster that
    /// has been in that state for a while: no faults, webhooks, quota or namespace
    /// lifecycle apply, a namespace's given `status` is kept (`{"phase": "Terminating"}`
    /// seeds one being deleted), and a namespace gets its `default` ServiceAccount at once.
    /// Storing a CustomResourceDefinition makes its resources servable.
    pub fn insert(&self, object: Value) -> Result<Value, Failure> {
        let mut state = self.shared.lock();
        let (target, object) = target_of(&state.store, object)?;
        let options = store::WriteOptions {
            field_manager: "test-seed".into(),
            seed: true,
            ..Default::default()
        };
        let created = state.store.create(&target, object, &options)?;
        if target.rtype.group.is_empty() && target.rtype.plural == "namespaces" {
            let name = created.object["metadata"]["name"].as_str().unwrap_or("");
            state.store.ensure_default_service_account(name);
        }
        Ok(created.object)
    }

    /// Server-side applies `object` as `manager` would (`PATCH` with
    /// `application/apply-patch+yaml`, `force` as given), without faults: what another run
    /// of a tool does meanwhile, e.g. from a fault's callback. Admission applies as to any
    /// request. Returns the stored object.
    pub fn apply(&self, object: Value, manager: &str, force: bool) -> Result<Value, Failure> {
        let mut state = self.shared.lock();
        let (target, object) = target_of(&state.store, object)?;
        let options = store::WriteOptions {
            field_manager: manager.to_owned(),
            force,
            ..Default::default()
        };
        let written = state
            .store
            .patch(&target, store::PatchKind::Apply, object, &options)?;
        if written.changed {
            state.writes += 1;
        }
        Ok(written.object)
    }

    /// Registers a validating admission webhook: from now on every create and update it
    /// matches (dry runs included) is sent to it after the object's own validation, and a
    /// dry run it cannot take (`sideEffects` `Some` or `Unknown`) is answered 400.
    pub fn register_webhook(&self, webhook: Webhook) {
        self.shared.lock().store.webhooks.push(webhook);
    }

    /// What the namespace controller does once it has emptied a namespace being deleted:
    /// every Terminating namespace goes, with everything still in it. Returns their names.
    pub fn finalize_namespaces(&self) -> Vec<String> {
        self.shared.lock().store.finalize_namespaces()
    }

    /// Runs the pods clients create from now on, as a kubelet would: each goes Running, then
    /// `run(pod, container)` is called for each of its containers (on a thread of its own,
    /// one container after the other), then the pod is Succeeded when every container exited
    /// 0, Failed otherwise, and `GET .../pods/<name>/log` answers what each one printed.
    /// Without it, pods stay Pending. Pods stored with [`Self::insert`] are never run.
    pub fn run_pods(&self, run: impl Fn(&Value, &Value) -> ContainerExit + Send + Sync + 'static) {
        self.shared.lock().kubelet.runner = Some(Arc::new(run));
    }

    /// The stored object, with managedFields; `resource` is `secrets` or `daemonsets.apps`.
    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let state = self.shared.lock();
        let target = state.store.target(resource, namespace, name)?;
        state.store.get(&target).ok()
    }

    /// Every stored object of a resource in `namespace` ("" for all).
    pub fn list(&self, resource: &str, namespace: &str) -> Vec<Value> {
        let state = self.shared.lock();
        let Some(target) = state.store.target(resource, namespace, "") else {
            return Vec::new();
        };
        let list = state.store.list(&target, |_| true);
        list["items"].as_array().cloned().unwrap_or_default()
    }

    /// Changes an object as another client (`manager`, e.g. `kubectl-edit`) would.
    pub fn edit(
        &self,
        resource: &str,
        namespace: &str,
        name: &str,
        manager: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<Value, Failure> {
        let mut state = self.shared.lock();
        let target = state
            .store
            .target(resource, namespace, name)
            .ok_or_else(|| Failure::no_route(resource))?;
        state.store.edit(&target, manager, change)
    }

    /// Deletes an object. A namespace is deleted as the real server does it: it gets a
    /// `deletionTimestamp` and phase `Terminating` and keeps its content until
    /// [`Self::finalize_namespaces`]; new objects in it are refused meanwhile.
    pub fn delete(&self, resource: &str, namespace: &str, name: &str) -> Result<(), Failure> {
        let mut state = self.shared.lock();
        let target = state
            .store
            .target(resource, namespace, name)
            .ok_or_else(|| Failure::no_route(resource))?;
        state.store.delete(&target, false).map(|_| ())
    }

    /// Adds a fault rule; rules are tried in the order they were added.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestInfo> {
        self.shared.lock().requests.clone()
    }

    /// The write requests received so far (create, update, patch, delete), dry runs included.
    pub fn write_requests(&self) -> Vec<RequestInfo> {
        self.requests()
            .into_iter()
            .filter(RequestInfo::is_write)
            .collect()
    }

    /// Writes that changed the store.
    pub fn writes(&self) -> usize {
        self.shared.lock().writes
    }

    /// The store's current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().store.resource_version()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn target_of(store: &store::Store, object: Value) -> Result<(store::Target, Value), Failure> {
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let rtype = store
        .types
        .iter()
        .find(|t| t.group == group && t.version == version && t.kind == kind)
        .cloned()
        .ok_or_else(|| Failure::bad_request(format!("no resource for {api_version} {kind}")))?;
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_owned();
    let name = object["metadata"]["name"].as_str().unwrap_or("").to_owned();
    let target = store::Target {
        namespace: if rtype.namespaced {
            namespace
        } else {
            String::new()
        },
        name,
        rtype,
    };
    Ok((target, object))
}
