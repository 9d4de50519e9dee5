//! Compares IAM policy documents by meaning: key order, statement order and a single string
//! versus a one-element list do not matter; every (effect, principal, action, resource,
//! condition) grant does.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One permission a document grants (or denies).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// The statement's Sid, or its position when it has none.
    pub statement: String,
    pub effect: String,
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub condition: String,
}

impl Grant {
    /// The grant without the statement it came from.
    fn key(&self) -> (&str, &str, &str, &str, &str) {
        (
            &self.effect,
            &self.principal,
            &self.action,
            &self.resource,
            &self.condition,
        )
    }

    /// `s3:GetObject on arn:aws:s3:::b/*`, with the principal and condition when present.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.effect, self.action);
        if !self.resource.is_empty() {
            text.push_str(&format!(" on {}", self.resource));
        }
        if !self.principal.is_empty() {
            text.push_str(&format!(" for {}", self.principal));
        }
        if !self.condition.is_empty() {
            text.push_str(&format!(" when {}", self.condition));
        }
        text
    }
}

/// Whether two documents grant exactly the same.
pub fn same_document(a: &Value, b: &Value) -> bool {
    let keys = |doc: &Value| -> BTreeSet<(String, String, String, String, String)> {
        grants(doc)
            .iter()
            .map(|g| {
                let (e, p, a, r, c) = g.key();
                (
                    e.to_owned(),
                    p.to_owned(),
                    a.to_owned(),
                    r.to_owned(),
                    c.to_owned(),
                )
            })
            .collect()
    };
    keys(a) == keys(b) && a.get("Version") == b.get("Version")
}

/// The grants of `expected` that `actual` lacks, and those `actual` adds.
pub fn difference(expected: &Value, actual: &Value) -> (Vec<Grant>, Vec<Grant>) {
    let expected = grants(expected);
    let actual = grants(actual);
    let missing = expected
        .iter()
        .filter(|g| !actual.iter().any(|a| a.key() == g.key()))
        .cloned()
        .collect();
    let extra = actual
        .iter()
        .filter(|g| !expected.iter().any(|e| e.key() == g.key()))
        .cloned()
        .collect();
    (missing, extra)
}

/// Every grant of a document, one per action × resource.
pub fn grants(document: &Value) -> Vec<Grant> {
    let statements = match document.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        let name = statement
            .get("Sid")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{}", i + 1), str::to_owned);
        let effect = statement
            .get("Effect")
            .and_then(Value::as_str)
            .unwrap_or("Allow");
        let principal = canonical(statement.get("Principal").or(statement.get("NotPrincipal")));
        let condition = canonical(statement.get("Condition"));
        let actions = labelled(statement, "Action", "NotAction");
        let resources = labelled(statement, "Resource", "NotResource");
        let resources = if resources.is_empty() {
            vec![String::new()]
        } else {
            resources
        };
        for action in &actions {
            for resource in &resources {
                out.push(Grant {
                    statement: name.clone(),
                    effect: effect.to_owned(),
                    principal: principal.clone(),
                    action: action.clone(),
                    resource: resource.clone(),
                    condition: condition.clone(),
                });
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.key() == b.key());
    out
}

/// The values of `key` (or `not_key`, prefixed with `not `), as a sorted list.
fn labelled(statement: &Value, key: &str, not_key: &str) -> Vec<String> {
    let (values, prefix) = match (statement.get(key), statement.get(not_key)) {
        (Some(v), _) => (v, ""),
        (None, Some(v)) => (v, "not "),
        (None, None) => return Vec::new(),
    };
    let mut list: Vec<String> = match values {
        Value::Array(items) => items
            .iter()
            .map(|v| format!("{prefix}{}", scalar(v)))
            .collect(),
        v => vec![format!("{prefix}{}", scalar(v))],
    };
    list.sort();
    list.dedup();
    list
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A principal or condition block as compact JSON with sorted keys and sorted value lists.
fn canonical(value: Option<&Value>) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<_> = map.keys().collect();
                keys.sort();
                let mut sorted = Map::new();
                for key in keys {
                    sorted.insert(key.clone(), sort(&map[key]));
                }
                Value::Object(sorted)
            }
            Value::Array(items) if items.len() == 1 => sort(&items[0]),
            Value::Array(items) => {
                let mut items: Vec<Value> = items.iter().map(sort).collect();
                items.sort_by_key(|v| v.to_string());
                Value::Array(items)
            }
            other => other.clone(),
        }
    }
    value.map_or_else(String::new, |v| sort(v).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_and_single_values_do_not_matter() {
        let a = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:B", "s3:A"], "Resource": "r"},
            {"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "sts:AssumeRole"}]});
        let b = json!({"Statement": [
            {"Principal": {"Service": ["x"]}, "Action": ["sts:AssumeRole"], "Effect": "Allow"},
            {"Resource": ["r"], "Effect": "Allow", "Action": ["s3:A", "s3:B"]}], "Version": "2012-10-17"});
        assert!(same_document(&a, &b));
    }

    #[test]
    fn a_removed_action_is_missing_and_a_wildcard_is_extra() {
        let expected = json!({"Statement": [{"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "b/*"}]});
        let actual = json!({"Statement": [
            {"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "b/*"},
            {"Sid": "Admin", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
        let (missing, extra) = difference(&expected, &actual);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].describe(), "Allow s3:PutObject on b/*");
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].statement, "Admin");
    }
}
