//! Fault injection: answer chosen requests with an error, forbid them, crash the server, or
//! run a test's callback before they are served.

use std::sync::Arc;
use std::time::Duration;

use crate::RequestInfo;
use crate::status::Failure;

/// The Kubernetes verb of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET of one object.
    Get,
    /// GET of a collection.
    List,
    /// GET with `watch=true` (answered 405: the server does not watch).
    Watch,
    /// POST.
    Create,
    /// PUT.
    Update,
    /// PATCH (JSON patch, merge patch or server-side apply).
    Patch,
    /// DELETE.
    Delete,
}

impl Verb {
    /// Whether the verb changes the store.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Verb::Create | Verb::Update | Verb::Patch | Verb::Delete
        )
    }

    /// The verb as RBAC names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
}

/// What a matching fault does.
#[derive(Clone)]
pub enum Action {
    /// Answer with this Status instead of serving the request.
    Respond(Failure),
    /// Answer 409 Conflict worded as a stale resourceVersion of the requested object.
    Conflict,
    /// Answer 403 as RBAC would for the server's user.
    Forbid,
    /// Close the connection without an answer and stop the server (a killed API server).
    Crash,
    /// Serve the request (the store changes), then close the connection without an answer:
    /// a reply lost after the write committed.
    LoseReply,
    /// Wait, then serve the request.
    Delay(Duration),
    /// Run the callback (outside the server's lock), then serve the request.
    Call(Arc<dyn Fn(&RequestInfo) + Send + Sync>),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Respond(failure) => write!(f, "Respond({})", failure.code),
            Action::Conflict => f.write_str("Conflict"),
            Action::Forbid => f.write_str("Forbid"),
            Action::Crash => f.write_str("Crash"),
            Action::LoseReply => f.write_str("LoseReply"),
            Action::Delay(d) => write!(f, "Delay({d:?})"),
            Action::Call(_) => f.write_str("Call"),
        }
    }
}

/// A rule: which requests it matches, from when, how many times, and what it does.
///
/// ```
/// use fake_apiserver::{Fault, Verb};
/// // The third write and every later one fails with 500.
/// let _ = Fault::writes().after_writes(2).respond(500, "etcdserver: request timed out");
/// // The next PATCH of secret "x" gets a 409 Conflict, once.
/// let _ = Fault::on(&[Verb::Patch]).resource("secrets").name("x").once().conflict();
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    verbs: Vec<Verb>,
    resource: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    dry_run: Option<bool>,
    after_writes: usize,
    remaining: Option<usize>,
    action: Option<Action>,
}

impl Fault {
    /// Matches every request.
    pub fn any() -> Self {
        Fault {
            verbs: Vec::new(),
            resource: None,
            namespace: None,
            name: None,
            dry_run: None,
            after_writes: 0,
            remaining: None,
            action: None,
        }
    }

    /// Matches requests with one of these verbs.
    pub fn on(verbs: &[Verb]) -> Self {
        Fault {
            verbs: verbs.to_vec(),
            ..Self::any()
        }
    }

    /// Matches create, update, patch and delete.
    pub fn writes() -> Self {
        Self::on(&[Verb::Create, Verb::Update, Verb::Patch, Verb::Delete])
    }

    /// Only this resource: its plural (`secrets`) or `plural.group` (`daemonsets.apps`); a
    /// subresource after a slash (`pods/log`).
    pub fn resource(mut self, resource: &str) -> Self {
        self.resource = Some(resource.to_owned());
        self
    }

    /// Only requests in this namespace.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// Only requests for the object of this name (for a create, the name in its body).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Only dry runs (`true`) or only real requests (`false`).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = Some(dry_run);
        self
    }

    /// Only once the server has stored `n` writes (dry runs do not count).
    pub fn after_writes(mut self, n: usize) -> Self {
        self.after_writes = n;
        self
    }

    /// Acts on at most `n` requests, then matches no more.
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Acts on one request only: `times(1)`.
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// Answers `code` with a Status whose reason follows the code.
    pub fn respond(mut self, code: u16, message: &str) -> Self {
        self.action = Some(Action::Respond(Failure::with_code(code, message)));
        self
    }

    /// Answers 409 Conflict, worded as a stale resourceVersion.
    pub fn conflict(mut self) -> Self {
        self.action = Some(Action::Conflict);
        self
    }

    /// Answers 403 Forbidden.
    pub fn forbid(mut self) -> Self {
        self.action = Some(Action::Forbid);
        self
    }

    /// Stops the server: the matching request gets no answer, later ones cannot connect.
    pub fn crash(mut self) -> Self {
        self.action = Some(Action::Crash);
        self
    }

    /// Serves the request, so that a write is stored, then drops the connection without an
    /// answer: the client sees a broken connection for a write that took effect (a reply
    /// lost on the network, a proxy timing out). The server keeps serving.
    pub fn lose_reply(mut self) -> Self {
        self.action = Some(Action::LoseReply);
        self
    }

    /// Waits `delay`, then serves the request (for client timeouts).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.action = Some(Action::Delay(delay));
        self
    }

    /// Runs `callback` with the request before it is served.
    pub fn call(mut self, callback: impl Fn(&RequestInfo) + Send + Sync + 'static) -> Self {
        self.action = Some(Action::Call(Arc::new(callback)));
        self
    }

    /// Whether the rule applies to `request`, given the writes stored so far.
    pub(crate) fn matches(&self, request: &RequestInfo, writes: usize) -> bool {
        let Some(verb) = request.verb else {
            return false;
        };
        // `pods/log` names the subresource, as RBAC does; `pods` alone does not match it.
        let sub = if request.subresource.is_empty() {
            String::new()
        } else {
            format!("/{}", request.subresource)
        };
        let resource_matches = self.resource.as_deref().is_none_or(|r| {
            r == format!("{}{sub}", request.resource)
                || r == format!("{}.{}{sub}", request.resource, request.group)
        });
        self.remaining != Some(0)
            && writes >= self.after_writes
            && (self.verbs.is_empty() || self.verbs.contains(&verb))
            && resource_matches
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| n == request.namespace)
            && self.dry_run.is_none_or(|d| d == request.dry_run)
            && self
                .name
                .as_deref()
                .is_none_or(|n| n == request.object_name())
    }

    /// Uses up one of the rule's times and returns its action.
    pub(crate) fn fire(&mut self) -> Option<Action> {
        if let Some(n) = &mut self.remaining {
            *n -= 1;
        }
        self.action.clone()
    }

    /// Whether this rule denies access (used to answer SelfSubjectAccessReviews).
    pub(crate) fn is_forbid(&self) -> bool {
        matches!(self.action, Some(Action::Forbid))
    }
}
