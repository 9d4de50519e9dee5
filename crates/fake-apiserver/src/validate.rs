//! The validation the real API server does on the objects this double stores, with the
//! real messages: names, labels, and Secrets (key names, base64 values, 1 MiB, immutability).

use base64::Engine;
use serde_json::Value;

/// Largest total size of a Secret's values (the API server's MaxSecretSize).
pub const MAX_SECRET_BYTES: usize = 1024 * 1024;

/// Field path and message of each problem; empty when the object is valid.
pub fn validate(kind: &str, object: &Value, old: Option<&Value>) -> Vec<(String, String)> {
    let mut causes = Vec::new();
    let meta = &object["metadata"];
    let name = meta["name"].as_str().unwrap_or("");
    let name_check = if kind == "Namespace" {
        dns_label(name)
    } else {
        dns_subdomain(name)
    };
    if let Err(message) = name_check {
        causes.push((
            "metadata.name".to_owned(),
            format!("Invalid value: \"{name}\": {message}"),
        ));
    }
    if let Some(labels) = meta["labels"].as_object() {
        for (key, value) in labels {
            if let Err(message) = qualified_name(key) {
                causes.push((
                    "metadata.labels".to_owned(),
                    format!("Invalid value: \"{key}\": {message}"),
                ));
            }
            let value = value.as_str().unwrap_or("");
            if let Err(message) = label_value(value) {
                causes.push((
                    "metadata.labels".to_owned(),
                    format!("Invalid value: \"{value}\": {message}"),
                ));
            }
        }
    }
    if let Some(annotations) = meta["annotations"].as_object() {
        let total: usize = annotations
            .iter()
            .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
            .sum();
        if total > 256 * 1024 {
            causes.push((
                "metadata.annotations".to_owned(),
                "Too long: must have at most 262144 bytes".to_owned(),
            ));
        }
    }
    if kind == "Secret" {
        validate_secret(object, old, &mut causes);
    }
    causes
}

fn validate_secret(object: &Value, old: Option<&Value>, causes: &mut Vec<(String, String)>) {
    let mut total = 0usize;
    if let Some(data) = object["data"].as_object() {
        for (key, value) in data {
            if let Err(message) = config_key(key) {
                causes.push((
                    format!("data[{key}]"),
                    format!("Invalid value: \"{key}\": {message}"),
                ));
            }
            match value
                .as_str()
                .map(|v| base64::engine::general_purpose::STANDARD.decode(v))
            {
                Some(Ok(bytes)) => total += bytes.len(),
                _ => causes.push((
                    format!("data[{key}]"),
                    "Invalid value: illegal base64 data".to_owned(),
                )),
            }
        }
    }
    if total > MAX_SECRET_BYTES {
        causes.push((
            "data".to_owned(),
            format!("Too long: must have at most {MAX_SECRET_BYTES} bytes"),
        ));
    }
    validate_secret_type(object, causes);
    let Some(old) = old else {
        return;
    };
    let old_type = old["type"].as_str().unwrap_or("Opaque");
    let new_type = object["type"].as_str().unwrap_or("Opaque");
    if old_type != new_type {
        causes.push((
            "type".to_owned(),
            format!("Invalid value: \"{new_type}\": field is immutable"),
        ));
    }
    if old["immutable"].as_bool() == Some(true) && old["data"] != object["data"] {
        causes.push((
            "data".to_owned(),
            "Forbidden: field is immutable when `immutable` is set".to_owned(),
        ));
    }
}

/// The keys (or annotation) each built-in Secret type requires, with the real server's
/// field paths and messages (`ValidateSecret` in pkg/apis/core/validation/validation.go,
/// including its `data[%s][username]` paths for basic-auth and ssh-auth).
fn validate_secret_type(object: &Value, causes: &mut Vec<(String, String)>) {
    let data = object["data"].as_object();
    let has = |key: &str| data.is_some_and(|d| d.contains_key(key));
    let decoded = |key: &str| {
        data.and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
    };
    let required = |path: &str| (path.to_owned(), "Required value".to_owned());
    let json_key = |key: &str, causes: &mut Vec<(String, String)>| {
        if !has(key) {
            causes.push(required(&format!("data[{key}]")));
            return;
        }
        let bytes = decoded(key).unwrap_or_default();
        if let Err(e) = serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes) {
            causes.push((
                format!("data[{key}]"),
                format!("Invalid value: \"<secret contents redacted>\": {e}"),
            ));
        }
    };
    match object["type"].as_str().unwrap_or("Opaque") {
        "kubernetes.io/service-account-token" => {
            let name = object["metadata"]["annotations"]["kubernetes.io/service-account.name"]
                .as_str()
                .unwrap_or("");
            if name.is_empty() {
                causes.push(required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                ));
            }
        }
        "kubernetes.io/dockercfg" => json_key(".dockercfg", causes),
        "kubernetes.io/dockerconfigjson" => json_key(".dockerconfigjson", causes),
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            causes.push(required("data[%s][username]"));
            causes.push(required("data[%s][password]"));
        }
        "kubernetes.io/ssh-auth" if decoded("ssh-privatekey").is_none_or(|v| v.is_empty()) => {
            causes.push(required("data[%s][ssh-privatekey]"));
        }
        "kubernetes.io/tls" => {
            for key in ["tls.crt", "tls.key"] {
                if !has(key) {
                    causes.push(required(&format!("data[{key}]")));
                }
            }
        }
        _ => {}
    }
}

/// A key of a Secret's or ConfigMap's data.
pub fn config_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > 253 {
        return Err("must be no more than 253 characters".to_owned());
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_owned());
    }
    if key == "." || key == ".." || key.starts_with("..") {
        return Err("must not be '.' or '..' or start with '..'".to_owned());
    }
    Ok(())
}

fn dns_label(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".to_owned())
    }
}

fn dns_subdomain(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| dns_label(part).is_ok());
    if ok {
        Ok(())
    } else {
        Err("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_owned())
    }
}

fn qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        dns_subdomain(prefix)?;
    }
    label_value(name).and_then(|()| {
        if name.is_empty() {
            Err("name part must be non-empty".to_owned())
        } else {
            Ok(())
        }
    })
}

fn label_value(value: &str) -> Result<(), String> {
    let chars_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let ends_ok = value.is_empty()
        || (value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric()));
    if value.len() <= 63 && chars_ok && ends_ok {
        Ok(())
    } else {
        Err("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, and be at most 63 characters".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_follow_the_config_key_rule() {
        assert!(config_key("signing-key.pem").is_ok());
        assert!(config_key("a b").is_err());
        assert!(config_key("..x").is_err());
    }

    #[test]
    fn typed_secrets_need_their_keys() {
        let tls = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "YQ=="}});
        assert_eq!(
            validate("Secret", &tls, None),
            [("data[tls.key]".to_owned(), "Required value".to_owned())]
        );
        let basic =
            json!({"metadata": {"name": "s"}, "type": "kubernetes.io/basic-auth", "data": {}});
        assert_eq!(validate("Secret", &basic, None).len(), 2);
        let docker = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
                            "data": {".dockerconfigjson": "bm90IGpzb24="}});
        let causes = validate("Secret", &docker, None);
        assert!(
            causes[0].1.contains("<secret contents redacted>"),
            "{causes:?}"
        );
        let token =
            json!({"metadata": {"name": "s"}, "type": "kubernetes.io/service-account-token"});
        assert_eq!(
            validate("Secret", &token, None)[0].0,
            "metadata.annotations[kubernetes.io/service-account.name]"
        );
        let ssh = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/ssh-auth", "data": {"ssh-privatekey": ""}});
        assert_eq!(validate("Secret", &ssh, None).len(), 1);
    }

    #[test]
    fn an_immutable_secret_refuses_new_data() {
        let old = json!({"metadata": {"name": "s"}, "immutable": true, "data": {"A": "YQ=="}});
        let new = json!({"metadata": {"name": "s"}, "immutable": true, "data": {"A": "YQ==", "B": "Yg=="}});
        let causes = validate("Secret", &new, Some(&old));
        assert!(causes[0].1.contains("immutable"), "{causes:?}");
    }
}
