//! `Status` objects, worded as the real API server words them, so that clients show the
//! messages users would see.

use serde_json::{Value, json};

/// A failed request: the HTTP code and the Status body.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The HTTP status code, e.g. 404.
    pub code: u16,
    /// The `Status` object (JSON) sent as the body, with `reason`, `message` and `details`.
    pub body: Value,
}

impl Failure {
    fn new(code: u16, reason: &str, message: String, details: Value) -> Self {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        });
        if !details.is_null() {
            body["details"] = details;
        }
        Failure { code, body }
    }

    /// 404 NotFound, e.g. `secrets "x" not found`.
    pub fn not_found(resource: &str, group: &str, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{resource} \"{name}\" not found"),
            details(resource, group, name),
        )
    }

    /// 404 for a path the server does not serve at all.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
            Value::Null,
        )
    }

    /// 409 AlreadyExists.
    pub fn already_exists(resource: &str, group: &str, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{resource} \"{name}\" already exists"),
            details(resource, group, name),
        )
    }

    /// 409 Conflict on a stale resourceVersion.
    pub fn conflict(resource: &str, group: &str, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
            details(resource, group, name),
        )
    }

    /// 409 Conflict for another reason than a stale version (`apierrors.NewConflict`):
    /// `Operation cannot be fulfilled on namespaces "x": <why>`.
    pub fn conflict_because(resource: &str, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"),
            details(resource, "", name),
        )
    }

    /// 409 Conflict of server-side apply: fields another manager owns with other values.
    /// `conflicts` are `(manager as printed, field path)`: `"kubectl-edit" using v1`,
    /// `.data.KEY`. Worded as apimachinery's `NewConflictError`: one conflict on one line,
    /// several grouped by manager (sorted), one `- path` line each.
    pub fn apply_conflicts(
        resource: &str,
        group: &str,
        name: &str,
        conflicts: &[(String, String)],
    ) -> Self {
        let message = if conflicts.len() == 1 {
            format!(
                "Apply failed with 1 conflict: conflict with {}: {}",
                conflicts[0].0, conflicts[0].1
            )
        } else {
            let mut managers: Vec<&String> = conflicts.iter().map(|(m, _)| m).collect();
            managers.sort();
            managers.dedup();
            let mut lines = Vec::new();
            for manager in managers {
                lines.push(format!("conflicts with {manager}:"));
                for (_, field) in conflicts.iter().filter(|(m, _)| m == manager) {
                    lines.push(format!("- {field}"));
                }
            }
            format!(
                "Apply failed with {} conflicts: {}",
                conflicts.len(),
                lines.join("\n")
            )
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(manager, field)| {
                json!({"reason": "FieldManagerConflict", "message": format!("conflict with {manager}"), "field": field})
            })
            .collect();
        let mut d = details(resource, group, name);
        d["causes"] = Value::Array(causes);
        Self::new(409, "Conflict", message, d)
    }

    /// 422 Invalid, with one cause per field, e.g. `Secret "x" is invalid: data[a b]: ...`.
    pub fn invalid(kind: &str, group: &str, name: &str, causes: &[(String, String)]) -> Self {
        let listed: Vec<String> = causes
            .iter()
            .map(|(field, msg)| format!("{field}: {msg}"))
            .collect();
        let message = if listed.len() == 1 {
            format!("{kind} \"{name}\" is invalid: {}", listed[0])
        } else {
            format!("{kind} \"{name}\" is invalid: [{}]", listed.join(", "))
        };
        let mut d = json!({"name": name, "group": group, "kind": kind});
        d["causes"] = causes
            .iter()
            .map(|(field, msg)| {
                // field.ErrorType's reason, read from the message's start as ErrorBody words it.
                let reason = if msg.starts_with("Required value") {
                    "FieldValueRequired"
                } else if msg.starts_with("Forbidden") {
                    "FieldValueForbidden"
                } else if msg.starts_with("Too long") {
                    "FieldValueTooLong"
                } else {
                    "FieldValueInvalid"
                };
                json!({"reason": reason, "message": msg, "field": field})
            })
            .collect();
        Self::new(422, "Invalid", message, d)
    }

    /// 403 Forbidden, worded as RBAC denies; `subresource` is `log` for `pods/log` (or empty).
    pub fn forbidden(
        user: &str,
        verb: &str,
        resource: &str,
        subresource: &str,
        group: &str,
        namespace: &str,
        name: &str,
    ) -> Self {
        let scope = if namespace.is_empty() {
            "at the cluster scope".to_owned()
        } else {
            format!("in the namespace \"{namespace}\"")
        };
        let object = if name.is_empty() {
            resource.to_owned()
        } else {
            format!("{resource} \"{name}\"")
        };
        let rbac_resource = if subresource.is_empty() {
            resource.to_owned()
        } else {
            format!("{resource}/{subresource}")
        };
        Self::new(
            403,
            "Forbidden",
            format!(
                "{object} is forbidden: User \"{user}\" cannot {verb} resource \"{rbac_resource}\" in API group \"{group}\" {scope}"
            ),
            details(resource, group, name),
        )
    }

    /// 403 of the NamespaceLifecycle admission plugin: a create in a namespace whose
    /// deletion has begun, with the `NamespaceTerminating` cause.
    pub fn namespace_terminating(resource: &str, group: &str, name: &str, namespace: &str) -> Self {
        let mut failure = Self::admission_forbidden(
            resource,
            group,
            name,
            &format!(
                "unable to create new content in namespace {namespace} because it is being terminated"
            ),
        );
        failure.body["details"]["causes"] = json!([{
            "reason": "NamespaceTerminating",
            "message": format!("namespace {namespace} is being terminated"),
            "field": "metadata.namespace",
        }]);
        failure
    }

    /// 403 from an admission plugin (`admission.NewForbidden`): `secrets "x" is forbidden:
    /// <why>` (`secrets is forbidden: ...` when the name is not known yet).
    pub fn admission_forbidden(resource: &str, group: &str, name: &str, why: &str) -> Self {
        let qualified = if group.is_empty() {
            resource.to_owned()
        } else {
            format!("{resource}.{group}")
        };
        let message = if name.is_empty() {
            format!("{qualified} is forbidden: {why}")
        } else {
            format!("{qualified} \"{name}\" is forbidden: {why}")
        };
        Self::new(403, "Forbidden", message, details(resource, group, name))
    }

    /// A validating admission webhook's refusal (`webhookerrors.ToStatusErr`): the
    /// webhook's code (400 when it gave less), `admission webhook "name" denied the
    /// request: <its message>`.
    pub fn webhook_denied(webhook: &str, code: u16, message: &str) -> Self {
        let code = code.max(400);
        let denied = format!("admission webhook \"{webhook}\" denied the request");
        let message = if message.is_empty() {
            format!("{denied} without explanation")
        } else {
            format!("{denied}: {message}")
        };
        // The webhook's own Status is passed on; a webhook that gives no reason (the usual
        // case) leaves none.
        let mut failure = Self::new(code, "", message, Value::Null);
        failure.body.as_object_mut().map(|b| b.remove("reason"));
        failure
    }

    /// 400 for a dry run a webhook cannot take (`sideEffects` `Unknown` or `Some`):
    /// `admission webhook "name" does not support dry run`.
    pub fn webhook_no_dry_run(webhook: &str) -> Self {
        Self::bad_request(format!(
            "admission webhook \"{webhook}\" does not support dry run"
        ))
    }

    /// 401 Unauthorized.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized".to_owned(), Value::Null)
    }

    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message.into(), Value::Null)
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".to_owned(),
            Value::Null,
        )
    }

    /// 415 UnsupportedMediaType.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type})"
            ),
            Value::Null,
        )
    }

    /// 500 InternalError.
    pub fn internal(message: &str) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
            Value::Null,
        )
    }

    /// Any code, for fault injection; the reason follows the code as the real server's would.
    pub fn with_code(code: u16, message: &str) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(code, reason, message.to_owned(), Value::Null)
    }
}

fn details(resource: &str, group: &str, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": resource});
    if !group.is_empty() {
        d["group"] = json!(group);
    }
    d
}

/// A successful delete.
pub fn success(resource: &str, group: &str, name: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details(resource, group, name),
    })
}
