//! `-o dir=PATH`: one file per document, with stable names so that two runs can be diffed.
//! The directory is written whole or not at all: the files go to a fresh directory beside
//! PATH, which then replaces PATH in one rename.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::json;
use crate::policies::aws::AwsPolicies;
use crate::policies::oci::OciPolicies;
use crate::policies::{Generated, PoliciesError};
use crate::values::AwsIdentity;

/// The file that marks a directory as written by kubectl-smi (and so replaceable).
pub const MARKER: &str = ".kubectl-smi-policies";

/// The documents of the output, as (file name, content), in a stable order.
pub fn documents(generated: &Generated) -> Vec<(String, String)> {
    match generated {
        Generated::Aws(aws) => aws_documents(aws),
        Generated::Oci(oci) => oci_documents(oci),
    }
}

fn aws_documents(aws: &AwsPolicies) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    if let (AwsIdentity::PodIdentity, Some(role)) = (aws.identity, aws.roles.first()) {
        docs.push(("trust-policy.json".to_owned(), json(&role.trust_policy)));
    }
    for policy in &aws.policies {
        docs.push((
            format!("policy-{}.json", policy.bucket),
            json(&policy.document),
        ));
    }
    for role in &aws.roles {
        if aws.identity == AwsIdentity::Irsa {
            docs.push((
                format!("trust-policy-{}.json", role.service_account),
                json(&role.trust_policy),
            ));
        }
        let summary = json!({
            "roleName": role.name,
            "roleArn": role.arn,
            "description": role.description,
            "serviceAccount": format!("{}/{}", aws.namespace, role.service_account),
            "buckets": role.buckets,
            "policyArns": role.policy_arns,
        });
        docs.push((
            format!("role-{}.json", role.service_account),
            json(&summary),
        ));
    }
    if !aws.pod_identity_associations.is_empty() {
        docs.push((
            "pod-identity-associations.json".to_owned(),
            json(&aws.pod_identity_associations),
        ));
    }
    docs
}

fn oci_documents(oci: &OciPolicies) -> Vec<(String, String)> {
    oci.policies
        .iter()
        .map(|policy| (format!("{}.json", policy.name), json(policy)))
        .collect()
}

/// Writes `documents` as the whole content of `dir`, replacing a directory kubectl-smi
/// wrote before; an existing directory with other content is refused untouched.
pub fn write_dir(dir: &Path, documents: &[(String, String)]) -> Result<(), PoliciesError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| PoliciesError::Write { path, source }
    };
    let existing = existing_kind(dir).map_err(write_error(dir))?;
    if existing == Existing::Foreign {
        return Err(PoliciesError::DirNotOurs {
            path: dir.to_owned(),
            marker: MARKER,
        });
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    let name = dir
        .file_name()
        .map_or_else(|| "policies".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result =
        fill(&staging, documents).and_then(|()| swap_in(&staging, dir, existing, &parent, &name));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

#[derive(Debug, PartialEq, Eq)]
enum Existing {
    None,
    Empty,
    Ours,
    Foreign,
}

fn existing_kind(dir: &Path) -> std::io::Result<Existing> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::None),
        Err(e) => return Err(e),
    };
    let names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    Ok(if names.is_empty() {
        Existing::Empty
    } else if names.iter().any(|n| n == MARKER) {
        Existing::Ours
    } else {
        Existing::Foreign
    })
}

fn fill(staging: &Path, documents: &[(String, String)]) -> Result<(), PoliciesError> {
    let error = |path: PathBuf| move |source| PoliciesError::Write { path, source };
    let _ = std::fs::remove_dir_all(staging);
    std::fs::create_dir(staging).map_err(error(staging.to_owned()))?;
    let marker = "Written by `kubectl smi policies -o dir=...`; the next run replaces this directory whole.\n";
    for (name, content) in documents
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_str()))
        .chain([(MARKER, marker)])
    {
        let path = staging.join(name);
        std::fs::write(&path, content).map_err(error(path.clone()))?;
    }
    Ok(())
}

/// Puts `staging` at `dir`; an old directory is moved aside first and removed after.
fn swap_in(
    staging: &Path,
    dir: &Path,
    existing: Existing,
    parent: &Path,
    name: &str,
) -> Result<(), PoliciesError> {
    let error = |path: &Path| {
        let path = path.to_owned();
        move |source| PoliciesError::Write { path, source }
    };
    if existing == Existing::None {
        return std::fs::rename(staging, dir).map_err(error(dir));
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    std::fs::rename(dir, &old).map_err(error(dir))?;
    if let Err(e) = std::fs::rename(staging, dir) {
        let _ = std::fs::rename(&old, dir);
        return Err(error(dir)(e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs() -> Vec<(String, String)> {
        vec![("a.json".to_owned(), "{}\n".to_owned())]
    }

    #[test]
    fn a_directory_written_before_is_replaced_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write_dir(&out, &[("old.json".to_owned(), "{}".to_owned())]).unwrap();
        write_dir(&out, &docs()).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from(MARKER), "a.json".into()]
        );
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no staging left behind"
        );
    }

    #[test]
    fn a_directory_with_other_files_is_refused_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("precious.txt"), "keep").unwrap();
        let err = write_dir(tmp.path(), &docs()).unwrap_err();
        assert!(matches!(err, PoliciesError::DirNotOurs { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("precious.txt")).unwrap(),
            "keep"
        );
        assert!(!tmp.path().join("a.json").exists());
    }
}
