//! What the API server does to an object before storing it: checks that the body matches
//! the URL, fills in what the server owns (namespace, defaults, Secret stringData), and
//! validates.

use serde_json::{Map, Value, json};

use crate::status::Failure;
use crate::store::Target;
use crate::validate;

/// Fills in what the server owns (namespace, defaults, Secret stringData) and validates.
/// `seeded`: a test's own insert or edit, whose namespace `status` is kept as given.
pub fn admit(
    target: &Target,
    mut object: Value,
    old: Option<&Value>,
    seeded: bool,
) -> Result<Value, Failure> {
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    let meta = object["metadata"]
        .as_object_mut()
        .expect("made an object above");
    meta.remove("managedFields");
    meta.insert("name".into(), json!(target.name));
    if target.rtype.namespaced {
        meta.insert("namespace".into(), json!(target.namespace));
    }
    if let Some(old) = old {
        for key in ["uid", "creationTimestamp", "resourceVersion"] {
            if let Some(value) = old["metadata"].get(key) {
                meta.insert(key.into(), value.clone());
            }
        }
    }
    object["apiVersion"] = json!(target.rtype.api_version());
    object["kind"] = json!(target.rtype.kind);
    match target.rtype.kind.as_str() {
        "Secret" => {
            if let Some(Value::Object(string_data)) =
                object.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                use base64::Engine;
                let data = object["data"].as_object().cloned().unwrap_or_default();
                let mut data: Map<String, Value> = data;
                for (k, v) in string_data {
                    let text = v.as_str().unwrap_or_default();
                    data.insert(
                        k,
                        json!(base64::engine::general_purpose::STANDARD.encode(text)),
                    );
                }
                object["data"] = Value::Object(data);
            }
            if object["type"].is_null() {
                object["type"] = json!("Opaque");
            }
        }
        // A new pod waits for a kubelet (see `Handle::run_pods`); a given status is kept.
        "Pod" if old.is_none() && object["status"].is_null() => {
            object["status"] = json!({"phase": "Pending"});
        }
        // pkg/registry/core/namespace/strategy.go: PrepareForCreate sets the `kubernetes`
        // finalizer and phase Active; PrepareForUpdate keeps the stored spec.finalizers and
        // status (only the /status and /finalize subresources change them).
        "Namespace" => match old {
            Some(old) if !seeded => {
                object["spec"] = old["spec"].clone();
                object["status"] = old["status"].clone();
            }
            Some(_) => {}
            None => {
                object["spec"] = json!({"finalizers": ["kubernetes"]});
                if !(seeded && object["status"]["phase"].is_string()) {
                    object["status"] = json!({"phase": "Active"});
                }
            }
        },
        _ => {}
    }
    let causes = validate::validate(&target.rtype.kind, &object, old);
    if !causes.is_empty() {
        return Err(Failure::invalid(
            &target.rtype.kind,
            &target.rtype.group,
            &target.name,
            &causes,
        ));
    }
    Ok(object)
}

/// The body names the resource and object the URL names.
pub fn check_identity(target: &Target, body: &Value) -> Result<(), Failure> {
    let api_version = body["apiVersion"].as_str().unwrap_or("");
    let kind = body["kind"].as_str().unwrap_or("");
    if api_version.is_empty() || kind.is_empty() {
        return Err(Failure::bad_request(
            "Object 'Kind' or 'apiVersion' is missing in the request body",
        ));
    }
    let expected = target.rtype.api_version();
    let group_matches = api_version
        .split_once('/')
        .map_or(target.rtype.group.is_empty(), |(g, _)| {
            g == target.rtype.group
        });
    if !group_matches || kind != target.rtype.kind {
        return Err(Failure::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected})"
        )));
    }
    if let Some(name) = body["metadata"]["name"].as_str()
        && !target.name.is_empty()
        && name != target.name
    {
        return Err(Failure::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    if let Some(ns) = body["metadata"]["namespace"].as_str()
        && target.rtype.namespaced
        && !ns.is_empty()
        && ns != target.namespace
    {
        return Err(Failure::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// Now, as RFC 3339 in UTC with seconds (the API server's format).
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}
