//! One problem in the values, as the operator reads it: where (file, line, column, YAML
//! path), what was found, what is expected, and what was probably meant.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// What kind of mistake a problem is (stable names for `-o json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The file is not YAML (syntax, encoding, limits).
    Syntax,
    /// The file is not a mapping at the top.
    NotAMapping,
    /// A required key is absent.
    Missing,
    /// A key that the contract does not have.
    UnknownKey,
    /// A key that is not allowed in this combination (the other provider's section).
    NotAllowed,
    /// A value of the wrong type (a number where a string is expected...).
    Type,
    /// A string that does not have the required format.
    Format,
    /// A value that is not one of the allowed values.
    Enum,
    /// A number, length or list size out of bounds.
    Range,
    /// Values that must differ but do not (the three DNS names).
    Distinct,
    /// Values that contradict each other.
    Inconsistent,
}

/// One problem in the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The values file to fix, as it was given.
    pub file: PathBuf,
    /// 1-based line and column in that file.
    pub line: usize,
    /// 1-based column in that file.
    pub column: usize,
    /// The YAML path of the value (`smi.cloud.aws.buckets.filesvc`); empty for the whole file.
    pub path: String,
    /// Which kind of rule the value breaks.
    pub rule: Rule,
    /// What is there.
    pub found: String,
    /// What should be there, in words.
    pub expected: String,
    /// What was probably meant ("did you mean ..."), when there is a close match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "found {}; expected {}", self.found, self.expected)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, "\n    did you mean {suggestion}?")?;
        }
        Ok(())
    }
}

/// The YAML path of a JSON pointer, as an operator writes it: `smi.endpoints.kafka.bootstrap[0]`.
pub fn yaml_path(pointer: &str) -> String {
    let mut path = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && !path.is_empty() {
            path.push_str(&format!("[{token}]"));
        } else if !token.is_empty()
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&token);
        } else {
            path.push_str(&format!("[{}]", serde_json::Value::String(token)));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_an_operator_writes_them() {
        assert_eq!(
            yaml_path("/smi/cloud/aws/buckets/filesvc"),
            "smi.cloud.aws.buckets.filesvc"
        );
        assert_eq!(
            yaml_path("/smi/endpoints/kafka/bootstrap/0"),
            "smi.endpoints.kafka.bootstrap[0]"
        );
        assert_eq!(yaml_path("/smi/a.b"), "smi[\"a.b\"]");
        assert_eq!(yaml_path("/smi/a~1b"), "smi[\"a/b\"]");
        assert_eq!(yaml_path(""), "");
    }

    #[test]
    fn a_problem_reads_file_line_column_path_found_expected() {
        let problem = Problem {
            file: "values.yaml".into(),
            line: 3,
            column: 5,
            path: "smi.dns.ap".into(),
            rule: Rule::UnknownKey,
            found: "an unknown key".into(),
            expected: "one of app, api, id".into(),
            suggestion: Some("`api`".into()),
        };
        assert_eq!(
            problem.to_string(),
            "values.yaml:3:5: smi.dns.ap: found an unknown key; expected one of app, api, id\n    did you mean `api`?"
        );
    }
}
