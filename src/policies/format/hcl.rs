//! A small HCL writer: JSON values as Terraform writes them (`key = value`, aligned as
//! `terraform fmt` aligns consecutive one-line attributes), strings escaped so that `${`
//! and `%{` stay literal.

use serde_json::Value;

/// A quoted HCL string.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An attribute key: bare when it is an identifier, quoted otherwise.
pub fn key(text: &str) -> String {
    let identifier = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        text.to_owned()
    } else {
        string(text)
    }
}

/// A value at `indent` (in spaces); nested blocks indent by two.
pub fn value(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let inner: Vec<String> = items.iter().map(|i| value(i, indent)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Array(items) => {
            let pad = " ".repeat(indent + 2);
            let mut out = "[\n".to_owned();
            for item in items {
                out.push_str(&format!("{pad}{},\n", value(item, indent + 2)));
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
            out
        }
        Value::Object(map) => {
            let entries: Vec<(String, String)> = map
                .iter()
                .map(|(k, v)| (key(k), value(v, indent + 2)))
                .collect();
            format!(
                "{{\n{}{}}}",
                attributes(&entries, indent + 2),
                " ".repeat(indent)
            )
        }
    }
}

/// `key = value` lines at `indent`, with `=` aligned across consecutive one-line values.
pub fn attributes(entries: &[(String, String)], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut start = 0;
    while start < entries.len() {
        // A run ends after the first multi-line value (which still aligns with the run).
        let mut end = start;
        while end < entries.len() && !entries[end].1.contains('\n') {
            end += 1;
        }
        let end = (end + 1).min(entries.len());
        let width = entries[start..end]
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, v) in &entries[start..end] {
            out.push_str(&format!("{pad}{k:<width$} = {v}\n"));
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_sequences_stay_literal() {
        assert_eq!(
            string("${BUCKET_ARN} %{x} $ \"q\""),
            r#""$${BUCKET_ARN} %%{x} $ \"q\"""#
        );
    }

    #[test]
    fn objects_are_written_as_terraform_writes_them() {
        let v = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["a", "b"]}]});
        assert_eq!(
            value(&v, 0),
            "{\n  Version   = \"2012-10-17\"\n  Statement = [\n    {\n      Effect = \"Allow\"\n      Action = [\"a\", \"b\"]\n    },\n  ]\n}"
        );
    }
}
