//! Supplied credentials: env files (`--from-env-file`, `-` for standard input) and single
//! files (`--from-file KEY=PATH`), read as kubectl reads them for `kubectl create secret`,
//! then matched to the secrets of the catalog.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::catalog::{SecretSpec, check_key_name};

use super::error::{Origin, SecretsError};
use super::value::{MAX_SECRET_BYTES, SecretValue};

/// Larger inputs are certainly not env files; reading stops there.
const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;

/// One supplied value, with the key as written (`KEY` or `SECRET/KEY`).
#[derive(Debug, Clone)]
pub struct SuppliedEntry {
    /// The key as written: `KEY` or `SECRET/KEY`.
    pub key: String,
    /// The value given.
    pub value: SecretValue,
    /// Where it was given (env file and line, or --from-file path).
    pub origin: Origin,
}

/// Supplied values by (secret, key).
pub type Supplied = BTreeMap<(String, String), (SecretValue, Origin)>;

/// Reads an env file (`-`: standard input): `KEY=value` lines, as kubectl does: the line's
/// leading blanks are dropped, `#` lines and blank lines are skipped, the value is taken
/// as written (quotes included), and a line with only `KEY` takes the value of the
/// environment variable KEY.
pub fn read_env_file(path: &Path) -> Result<Vec<SuppliedEntry>, SecretsError> {
    let bytes = if path.as_os_str() == "-" {
        read_limited(std::io::stdin().lock(), path)?
    } else {
        let file = std::fs::File::open(path).map_err(|source| SecretsError::ReadSource {
            path: path.to_owned(),
            source,
        })?;
        read_limited(file, path)?
    };
    parse_env_file(path, &bytes)
}

fn read_limited(reader: impl Read, path: &Path) -> Result<Vec<u8>, SecretsError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SOURCE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|source| SecretsError::ReadSource {
            path: path.to_owned(),
            source,
        })?;
    Ok(bytes)
}

/// Parses the content of an env file named `path`.
pub fn parse_env_file(path: &Path, bytes: &[u8]) -> Result<Vec<SuppliedEntry>, SecretsError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut entries = Vec::new();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let origin = Origin {
            file: path.to_owned(),
            line: Some(index + 1),
        };
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(raw).map_err(|_| SecretsError::EnvSyntax {
            origin: origin.clone(),
            message: "the line is not UTF-8 text (use --from-file KEY=PATH for binary values)"
                .into(),
        })?;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, SecretValue::new(value.as_bytes().to_vec())),
            None => {
                let value =
                    std::env::var_os(line.trim_end()).ok_or_else(|| SecretsError::EnvSyntax {
                        origin: origin.clone(),
                        message: format!(
                            "{} has no '=value' and no environment variable of that name is set",
                            line.trim_end()
                        ),
                    })?;
                (
                    line.trim_end(),
                    SecretValue::new(value.into_encoded_bytes()),
                )
            }
        };
        if key.is_empty() {
            return Err(SecretsError::EnvSyntax {
                origin,
                message: "the line has no key before '='".into(),
            });
        }
        entries.push(entry(key, value, origin)?);
    }
    Ok(entries)
}

/// What looks like a mistake in a value written on an env file line (kubectl's format takes
/// the value as written): quotes around it, which stay part of the value, or blanks at its
/// end. One sentence per such entry, naming the key and the line, never the value. Entries
/// from `--from-file` (bytes as they are) are not judged.
pub fn suspicious_values(entries: &[SuppliedEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.origin.line.is_some())
        .filter_map(|e| {
            let bytes = e.value.as_bytes();
            let quoted = bytes.len() >= 2
                && matches!(bytes[0], b'"' | b'\'')
                && bytes[bytes.len() - 1] == bytes[0];
            let why = if quoted {
                "is written in quotes, which stay part of the value (an env file has no quoting, as in kubectl create secret --from-env-file)"
            } else if bytes.last().is_some_and(|b| matches!(b, b' ' | b'\t')) {
                "ends with blanks, which stay part of the value"
            } else {
                return None;
            };
            Some(format!(
                "{}: the value of {} {why}: remove them unless they belong to it",
                e.origin, e.key
            ))
        })
        .collect()
}

/// Reads `KEY=PATH`: the whole file is the value (binary allowed).
pub fn read_from_file(argument: &str) -> Result<SuppliedEntry, SecretsError> {
    let (key, path) = argument
        .split_once('=')
        .filter(|(k, p)| !k.is_empty() && !p.is_empty())
        .ok_or_else(|| SecretsError::FromFileSyntax(argument.to_owned()))?;
    let path = PathBuf::from(path);
    let origin = Origin {
        file: path.clone(),
        line: None,
    };
    let read_error = |source| SecretsError::ReadSource {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(&path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_SECRET_BYTES as u64 {
        return Err(SecretsError::ValueTooLarge {
            key: key.to_owned(),
            origin,
            bytes: usize::try_from(size).unwrap_or(usize::MAX),
        });
    }
    let bytes = read_limited(file, &path)?;
    entry(key, SecretValue::new(bytes), origin)
}

fn entry(key: &str, value: SecretValue, origin: Origin) -> Result<SuppliedEntry, SecretsError> {
    let key_part = key.rsplit_once('/').map_or(key, |(_, k)| k);
    check_key_name(key_part).map_err(|reason| SecretsError::InvalidKey {
        key: key.to_owned(),
        origin: origin.clone(),
        reason,
    })?;
    if value.is_empty() {
        return Err(SecretsError::EmptyValue {
            key: key.to_owned(),
            origin,
        });
    }
    if value.len() > MAX_SECRET_BYTES {
        return Err(SecretsError::ValueTooLarge {
            key: key.to_owned(),
            origin,
            bytes: value.len(),
        });
    }
    Ok(SuppliedEntry {
        key: key.to_owned(),
        value,
        origin,
    })
}

/// Matches each entry to its (secret, key) in the catalog; refuses unknown, ambiguous and
/// duplicate keys.
pub fn resolve(
    entries: Vec<SuppliedEntry>,
    catalog: &[SecretSpec],
) -> Result<Supplied, SecretsError> {
    let mut supplied = Supplied::new();
    for entry in entries {
        let (secret, key) = locate(&entry.key, catalog).map_err(|e| match e {
            NotLocated::Unknown => SecretsError::UnknownKey {
                key: entry.key.clone(),
                origin: entry.origin.clone(),
                suggestion: suggest(&entry.key, catalog),
            },
            NotLocated::Ambiguous(secrets) => SecretsError::AmbiguousKey {
                key: entry.key.clone(),
                secrets,
            },
        })?;
        if let Some((_, first)) = supplied.get(&(secret.clone(), key.clone())) {
            return Err(SecretsError::DuplicateKey {
                key: format!("{secret}/{key}"),
                first: first.clone(),
                second: entry.origin,
            });
        }
        supplied.insert((secret, key), (entry.value, entry.origin));
    }
    Ok(supplied)
}

/// Why a key reference names no single key of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotLocated {
    /// No secret of the catalog has such a key.
    Unknown,
    /// The secrets that have a key of that name.
    Ambiguous(Vec<String>),
}

/// `SECRET/KEY` or a `KEY` that one secret of the catalog has.
pub fn locate(reference: &str, catalog: &[SecretSpec]) -> Result<(String, String), NotLocated> {
    if let Some((secret, key)) = reference.split_once('/') {
        let found = catalog
            .iter()
            .any(|s| s.name == secret && s.keys.iter().any(|k| k.name == key));
        return if found {
            Ok((secret.to_owned(), key.to_owned()))
        } else {
            Err(NotLocated::Unknown)
        };
    }
    let holders: Vec<&str> = catalog
        .iter()
        .filter(|s| s.keys.iter().any(|k| k.name == reference))
        .map(|s| s.name.as_str())
        .collect();
    match holders.as_slice() {
        [] => Err(NotLocated::Unknown),
        [secret] => Ok(((*secret).to_owned(), reference.to_owned())),
        several => Err(NotLocated::Ambiguous(
            several.iter().map(|s| (*s).to_owned()).collect(),
        )),
    }
}

/// The catalog key closest to a misspelt one, when it is close enough to be the intent.
fn suggest(key: &str, catalog: &[SecretSpec]) -> Option<String> {
    let wanted = key
        .rsplit_once('/')
        .map_or(key, |(_, k)| k)
        .to_ascii_uppercase();
    catalog
        .iter()
        .flat_map(|s| s.keys.iter().map(|k| k.name.clone()))
        .map(|name| (edit_distance(&wanted, &name.to_ascii_uppercase()), name))
        .filter(|(distance, name)| *distance <= 2.max(name.len() / 5))
        .min()
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_secrets;

    fn parse(text: &str) -> Result<Vec<SuppliedEntry>, SecretsError> {
        parse_env_file(Path::new("creds.env"), text.as_bytes())
    }

    #[test]
    fn env_files_read_as_kubectl_reads_them() {
        let entries =
            parse("\u{feff}# comment\n\n  POSTGRES_USER=dtp\r\nPOSTGRES_PASSWORD=\"a=b c\"\n")
                .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].key, "POSTGRES_USER");
        assert_eq!(entries[0].value.as_bytes(), b"dtp");
        assert_eq!(entries[1].value.as_bytes(), b"\"a=b c\"");
        assert_eq!(entries[1].origin.to_string(), "creds.env:4");
    }

    #[test]
    fn quoted_values_and_trailing_blanks_are_named_without_the_value() {
        let entries =
            parse("A=\"secret-a\"\nB='b'\nC=plain\nD=ends \nE=\"only-open\nF=\"\n").unwrap();
        let notes = suspicious_values(&entries);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("creds.env:1: the value of A is written in quotes"));
        assert!(notes[1].starts_with("creds.env:2: the value of B is written in quotes"));
        assert!(notes[2].starts_with("creds.env:4: the value of D ends with blanks"));
        assert!(notes.iter().all(|n| !n.contains("secret-a")));
    }

    #[test]
    fn bad_lines_name_the_file_and_line() {
        let cases = [
            ("=value\n", "creds.env:1: the line has no key"),
            (
                "A=1\nBAD KEY=2\n",
                "creds.env:2: key \"BAD KEY\" is not a valid Secret key",
            ),
            (
                "A=1\nNEO4J_PASSWORD=\n",
                "creds.env:2: the value of NEO4J_PASSWORD is empty",
            ),
            (
                "A=1\n  smi-redis/REDIS_PASSWORD=\r\n",
                "creds.env:2: the value of smi-redis/REDIS_PASSWORD is empty",
            ),
            (
                "KUBECTL_SMI_UNSET_VARIABLE_FOR_TEST\n",
                "creds.env:1: KUBECTL_SMI_UNSET_VARIABLE_FOR_TEST has no '=value'",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn keys_resolve_to_their_secret() {
        let catalog = default_secrets();
        let supplied = resolve(
            parse("NEO4J_PASSWORD=x\nsmi-redis/REDIS_PASSWORD=y\n").unwrap(),
            &catalog,
        )
        .unwrap();
        assert!(supplied.contains_key(&("smi-neo4j".into(), "NEO4J_PASSWORD".into())));
        assert!(supplied.contains_key(&("smi-redis".into(), "REDIS_PASSWORD".into())));
    }

    #[test]
    fn misspelt_and_repeated_keys_are_refused() {
        let catalog = default_secrets();
        let err = resolve(parse("POSTGRES_PASWORD=x\n").unwrap(), &catalog)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean POSTGRES_PASSWORD?"), "{err}");
        let err = resolve(
            parse("REDIS_PASSWORD=x\nsmi-redis/REDIS_PASSWORD=y\n").unwrap(),
            &catalog,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("given twice: at creds.env:1 and at creds.env:2"),
            "{err}"
        );
    }
}
