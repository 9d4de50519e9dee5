//! Values files: read as Helm reads them (YAML 1.1 scalars), merged as Helm merges several
//! `-f` files (later files win, maps merge key by key, `null` removes a key), then typed.

mod model;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use model::*;

use crate::stream::{Limits, StreamError, read_yaml_document};

/// Values files are small; anything near this size is a mistake (a wrong file passed).
pub const MAX_VALUES_BYTES: usize = 4 * 1024 * 1024;

/// Why values could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    /// No values file was given.
    #[error("no values file given")]
    NoFiles,
    /// A values file cannot be read.
    #[error("cannot read values file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A values file is not valid YAML, or too large.
    #[error("values file {path}: {source}")]
    Yaml { path: PathBuf, source: StreamError },
    /// A values file is not a mapping at the top.
    #[error("values file {path}: the top level must be a mapping (key: value), found {found}")]
    NotAMapping { path: PathBuf, found: &'static str },
    /// The merged values have no `smi` section.
    #[error("no `smi:` section in the values")]
    NoSmiSection,
    /// The merged values do not fit the typed contract.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl ValuesError {
    pub fn hint(&self) -> &'static str {
        match self {
            ValuesError::NoFiles => {
                "pass the platform's values file with -f values.yaml (or set SMI_VALUES)"
            }
            ValuesError::Read { .. } => "check the path and its permissions",
            ValuesError::Yaml { .. } => "fix the YAML at the position shown",
            ValuesError::NotAMapping { .. } => "a values file is a mapping, e.g. `smi:` at the top",
            ValuesError::NoSmiSection => {
                "add the `smi:` section; `kubectl smi schema` prints what it holds"
            }
            ValuesError::Invalid { .. } => "run `kubectl smi validate -f <values>` for every problem",
        }
    }
}

/// One values file as read.
#[derive(Debug, Clone)]
pub struct ValuesFile {
    pub path: PathBuf,
    pub text: String,
    /// Its content as Helm reads it (an empty file is an empty mapping).
    pub json: Value,
}

/// Values files read in order, and their merge.
#[derive(Debug, Clone)]
pub struct LoadedValues {
    pub files: Vec<ValuesFile>,
    pub merged: Value,
}

impl LoadedValues {
    /// The typed `smi` section.
    pub fn typed(&self) -> Result<Values, ValuesError> {
        if self.merged.get("smi").is_none() {
            return Err(ValuesError::NoSmiSection);
        }
        serde_path_to_error::deserialize(&self.merged).map_err(|e| ValuesError::Invalid {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// The directory of the last values file, against which relative paths in values resolve.
    pub fn base_dir(&self) -> PathBuf {
        self.files
            .last()
            .and_then(|f| f.path.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

pub fn load(paths: &[PathBuf]) -> Result<LoadedValues, ValuesError> {
    if paths.is_empty() {
        return Err(ValuesError::NoFiles);
    }
    let mut files = Vec::new();
    let mut merged = Value::Object(Map::new());
    for path in paths {
        let file = read_file(path)?;
        merge(&mut merged, &file.json);
        files.push(file);
    }
    Ok(LoadedValues { files, merged })
}

pub fn read_file(path: &Path) -> Result<ValuesFile, ValuesError> {
    let limits = Limits {
        max_bytes: MAX_VALUES_BYTES,
        ..Limits::default()
    };
    let read_error = |source| ValuesError::Read {
        path: path.to_owned(),
        source,
    };
    let handle = std::fs::File::open(path).map_err(read_error)?;
    let text = crate::stream::read_input(handle, &limits).map_err(|source| match source {
        StreamError::Io(e) => read_error(e),
        source => ValuesError::Yaml {
            path: path.to_owned(),
            source,
        },
    })?;
    parse(path, text)
}

/// Parses the text of a values file named `path`.
pub fn parse(path: &Path, text: String) -> Result<ValuesFile, ValuesError> {
    let limits = Limits {
        max_bytes: MAX_VALUES_BYTES,
        ..Limits::default()
    };
    let node = read_yaml_document(&text, &limits).map_err(|source| ValuesError::Yaml {
        path: path.to_owned(),
        source,
    })?;
    let json = node.map_or(Value::Object(Map::new()), |n| n.to_json());
    let found = match &json {
        Value::Object(_) => None,
        Value::Null => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
    };
    if let Some(found) = found {
        return Err(ValuesError::NotAMapping {
            path: path.to_owned(),
            found,
        });
    }
    let json = if json.is_null() {
        Value::Object(Map::new())
    } else {
        json
    };
    Ok(ValuesFile {
        path: path.to_owned(),
        text,
        json,
    })
}

/// Helm's merge of `-f` files: maps merge recursively, anything else is replaced, and a
/// `null` removes the key.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                if value.is_null() {
                    base.remove(key);
                } else if let Some(existing) = base.get_mut(key) {
                    merge(existing, value);
                } else {
                    base.insert(key.clone(), value.clone());
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_files_win_and_maps_merge() {
        let mut base = json!({"smi": {"dns": {"app": "a", "api": "b"}, "environment": "dev"}});
        merge(&mut base, &json!({"smi": {"dns": {"app": "x"}, "environment": null}}));
        assert_eq!(base, json!({"smi": {"dns": {"app": "x", "api": "b"}}}));
    }

    #[test]
    fn values_are_read_as_helm_reads_them() {
        let file = parse(Path::new("v.yaml"), "a: on\nb: '0755'\nc: 0755\n".to_owned()).unwrap();
        assert_eq!(file.json, json!({"a": true, "b": "0755", "c": 493}));
    }

    #[test]
    fn a_list_is_not_a_values_file() {
        let err = parse(Path::new("v.yaml"), "- a\n".to_owned()).unwrap_err();
        assert!(err.to_string().contains("must be a mapping"), "{err}");
    }
}
