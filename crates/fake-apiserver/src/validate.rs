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
    fn an_immutable_secret_refuses_new_data() {
        let old = json!({"metadata": {"name": "s"}, "immutable": true, "data": {"A": "YQ=="}});
        let new = json!({"metadata": {"name": "s"}, "immutable": true, "data": {"A": "YQ==", "B": "Yg=="}});
        let causes = validate("Secret", &new, Some(&old));
        assert!(causes[0].1.contains("immutable"), "{causes:?}");
    }
}
