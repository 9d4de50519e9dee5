//! Why a `secrets` command failed, and what the operator can do about it. Messages name
//! files, lines, secrets and keys; they never contain a value.

use std::path::PathBuf;

use crate::catalog::CatalogError;
use crate::cluster::ClusterError;
use crate::error::Hint;

/// Where a supplied value came from: `FILE:LINE` for env files, `FILE` for --from-file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The env file or --from-file path; `-` is standard input.
    pub file: PathBuf,
    /// The 1-based line of an env file; none for --from-file.
    pub line: Option<usize>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = if self.file.as_os_str() == "-" {
            "<stdin>".to_owned()
        } else {
            self.file.display().to_string()
        };
        match self.line {
            Some(line) => write!(f, "{file}:{line}"),
            None => f.write_str(&file),
        }
    }
}

/// One reason the plan cannot be carried out; all of them are reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A supplied credential has no value anywhere.
    MissingSupplied {
        /// The Kubernetes Secret's name, as in the secret catalog.
        secret: String,
        /// The key within that Secret.
        key: String,
    },
    /// A generated key that existed (per the secret's record) is gone and no backup has it.
    Lost {
        /// The Kubernetes Secret's name, as in the secret catalog.
        secret: String,
        /// The generated key within that Secret.
        key: String,
        /// When the key was created, from the secret's keys annotation (RFC 3339, UTC).
        created: String,
    },
    /// `--rotate` of a supplied key needs the new value.
    RotateWithoutValue {
        /// The Kubernetes Secret's name, as in the secret catalog.
        secret: String,
        /// The supplied key to rotate.
        key: String,
    },
    /// A Secret's values together exceed what Kubernetes stores.
    TooLarge {
        /// The Kubernetes Secret's name, as in the secret catalog.
        secret: String,
        /// The total size of its values, in bytes (the limit is 1 MiB).
        bytes: usize,
    },
}

/// Why a `secrets` command (create, status, external) failed; every variant has a [`Hint`].
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The catalog (built-in plus values) is inconsistent.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The cluster could not be reached or refused a request.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// An env file or --from-file file cannot be read.
    #[error("cannot read {path}: {source}")]
    ReadSource {
        /// The env file or --from-file path.
        path: PathBuf,
        /// The I/O error reading it.
        source: std::io::Error,
    },
    /// A line of an env file is not `KEY=value`.
    #[error("{origin}: {message}")]
    EnvSyntax {
        /// The file and line of the bad line.
        origin: Origin,
        /// What is wrong with the line.
        message: String,
    },
    /// A --from-file argument is not `KEY=PATH`.
    #[error("--from-file {0:?} is not KEY=PATH")]
    FromFileSyntax(String),
    /// A key is given twice.
    #[error("key {key} is given twice: at {first} and at {second}")]
    DuplicateKey {
        /// The key as written (`KEY` or `SECRET/KEY`).
        key: String,
        /// Where the key was given first.
        first: Origin,
        /// Where it was given again.
        second: Origin,
    },
    /// A key name Kubernetes would refuse.
    #[error("{origin}: key {key:?} is not a valid Secret key: {reason}")]
    InvalidKey {
        /// The key as written.
        key: String,
        /// Where the key was given.
        origin: Origin,
        /// Which rule of Kubernetes' Secret key names it breaks.
        reason: &'static str,
    },
    /// A value larger than a whole Secret may be.
    #[error(
        "{origin}: the value of {key} is {bytes} bytes; a Kubernetes Secret holds at most 1 MiB (1048576 bytes)"
    )]
    ValueTooLarge {
        /// The key whose value is too large.
        key: String,
        /// Where the value was given.
        origin: Origin,
        /// The value's size, in bytes.
        bytes: usize,
    },
    /// A supplied value that is empty (`KEY=` in an env file, an empty environment variable
    /// or file): no credential, and no reason to think one was meant.
    #[error("{origin}: the value of {key} is empty")]
    EmptyValue {
        /// The key as written.
        key: String,
        /// Where the empty value was given.
        origin: Origin,
    },
    /// A supplied key that no secret of the catalog has.
    #[error("{origin}: key {key} is not in the secret catalog{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where the key was given.
        origin: Origin,
        /// The catalog key with the closest name, if one is close enough.
        suggestion: Option<String>,
    },
    /// A bare key name that several secrets have.
    #[error("key {key} is in several secrets ({}); write it as SECRET/KEY", secrets.join(", "))]
    AmbiguousKey {
        /// The bare key name.
        key: String,
        /// The names of the secrets that have a key of that name.
        secrets: Vec<String>,
    },
    /// `--rotate` names a key the catalog does not have.
    #[error("--rotate {0}: no such key in the secret catalog")]
    UnknownRotation(String),
    /// The plan has problems; nothing was changed.
    #[error("{}", describe_problems(.0))]
    Plan(Vec<Problem>),
    /// Keys would be generated without a backup target.
    #[error(
        "{count} key(s) would be generated ({keys}) but no backup target is configured, so they could be lost for good"
    )]
    NoBackupTarget {
        /// How many keys would be generated.
        count: usize,
        /// Those keys, as `SECRET/KEY`, comma-separated.
        keys: String,
    },
    /// The namespace belongs to another installation of the platform.
    #[error(
        "namespace {namespace} already holds the platform installation {other:?} ({evidence}); one platform per namespace"
    )]
    NamespaceTaken {
        /// The namespace asked for.
        namespace: String,
        /// The other installation's `smi.environment`, from its environment label.
        other: String,
        /// Which label on which object shows it (the namespace's or a secret's).
        evidence: String,
    },
    /// RBAC does not allow what the command needs (checked before any write).
    #[error("the API server says your user may not: {}; nothing was changed", .0.join(", "))]
    Forbidden(Vec<String>),
    /// The namespace is one Kubernetes itself uses.
    #[error("namespace {0} is not for applications; the platform needs a namespace of its own")]
    ReservedNamespace(String),
    /// The namespace is being deleted.
    #[error("namespace {0} is being deleted")]
    NamespaceTerminating(String),
    /// Generating a key failed (the system's random source, or a bad private key).
    #[error("cannot generate {secret}/{key}: {message}")]
    Generate {
        /// The Kubernetes Secret's name.
        secret: String,
        /// The key being generated.
        key: String,
        /// What went wrong (never contains key material).
        message: String,
    },
    /// A backup could not be written, verified or read.
    #[error("backup ({target}): {message}")]
    Backup {
        /// The backup target: `file DIRECTORY`, `AWS Secrets Manager (REGION)` or `OCI Vault OCID
        /// (REGION)`.
        target: String,
        /// What failed: writing, verifying or reading the backup.
        message: String,
    },
    /// A backup target that this version cannot use.
    #[error("backup target {0} is not supported yet: {1}")]
    BackupUnsupported(&'static str, &'static str),
    /// The apply stopped part-way; what was applied is listed, nothing generated is lost.
    #[error(
        "{source}\n  applied before the failure: {applied}\n  {backed_up}\n  once the cause is fixed, run the same command again: it completes what is missing and reuses the keys already backed up"
    )]
    Interrupted {
        /// The error that stopped the apply.
        source: Box<SecretsError>,
        /// The secrets applied before it, comma-separated, or `nothing`.
        applied: String,
        /// A sentence saying where this run's generated keys are backed up, if any were generated.
        backed_up: String,
    },
    /// Server-side apply refused: fields another manager owns would change.
    #[error("secret {secret}: {}", describe_conflicts(conflicts))]
    FieldConflict {
        /// The Kubernetes Secret's name.
        secret: String,
        /// Each conflict as the API server names it: (manager, e.g. `"kubectl-edit" using
        /// v1`; field path, e.g. `.data.KEY`).
        conflicts: Vec<(String, String)>,
    },
    /// The server-side dry run before any write is refused by an admission webhook that does
    /// not support dry runs (`sideEffects` `Unknown` or `Some`).
    #[error(
        "admission webhook {webhook:?} does not support dry run, so secret {secret} could not be checked by the API server before the backup and the writes; nothing was written but the namespace"
    )]
    WebhookWithoutDryRun {
        /// The webhook's name, from the API server's message.
        webhook: String,
        /// The secret whose dry run was refused.
        secret: String,
    },
    /// The secret has `immutable: true` and the plan changes its data (the server-side dry
    /// run answered 422).
    #[error(
        "secret {namespace}/{secret} is immutable (immutable: true), so Kubernetes refuses any change to its data ({keys}); nothing was written but the namespace"
    )]
    Immutable {
        /// The namespace.
        namespace: String,
        /// The Kubernetes Secret's name.
        secret: String,
        /// The keys the plan would change, comma-separated (names only).
        keys: String,
    },
    /// The object kept changing under us.
    #[error("secret {0} kept changing while kubectl-smi applied it (gave up after {1} attempts)")]
    TooManyConflicts(String, usize),
    /// `secrets external` needs settings the values do not give.
    #[error("{0}")]
    External(String),
    /// `secrets backup verify` found no backup target in the values.
    #[error(
        "no backup target is configured (smi.secrets.backup in the values), so there is no backup to verify"
    )]
    NoBackupConfigured,
    /// `secrets backup verify` was refused a secret's values (403 on `get`).
    #[error(
        "backup verify compares the values of the secrets, so it needs `get` on secrets in namespace {namespace}; the API server refused to let your user read secret {secret}: {message}"
    )]
    ReadForbidden {
        /// The namespace of the secrets.
        namespace: String,
        /// The Secret whose read was refused.
        secret: String,
        /// The API server's words.
        message: String,
    },
}

impl Hint for SecretsError {
    fn hint(&self) -> Option<&str> {
        Some(match self {
            SecretsError::Catalog(e) => return e.hint(),
            SecretsError::Cluster(e) => return e.hint(),
            SecretsError::ReadSource { .. } => "check the path and its permissions",
            SecretsError::EnvSyntax { .. } => {
                "an env file has one KEY=value per line; '#' starts a comment"
            }
            SecretsError::FromFileSyntax(_) => {
                "write --from-file KEY=PATH, e.g. --from-file NEO4J_PASSWORD=./neo4j.txt"
            }
            SecretsError::DuplicateKey { .. } => {
                "give each key once across all --from-env-file and --from-file sources"
            }
            SecretsError::InvalidKey { .. } => {
                "rename the key: letters, digits, '-', '_' and '.' only"
            }
            SecretsError::ValueTooLarge { .. } => {
                "check that the right file was given; large material belongs in a volume, not a Secret"
            }
            SecretsError::EmptyValue { .. } => {
                "write the value after '=' (nothing was written to the cluster); to leave the key out, delete or comment out its line: a supplied key then stays as the cluster has it, and `secrets create` says which are still missing"
            }
            SecretsError::UnknownKey { .. } => {
                "`kubectl smi secrets catalog -f VALUES` lists the catalog's keys offline (`secrets status` shows which the cluster has); add new ones with smi.secrets.catalog"
            }
            SecretsError::AmbiguousKey { .. } => {
                "qualify the key with its secret, e.g. smi-postgresql/POSTGRES_PASSWORD"
            }
            SecretsError::UnknownRotation(_) => {
                "`kubectl smi secrets catalog -f VALUES` lists the keys offline (`secrets status` shows which the cluster has); write SECRET/KEY or a key name"
            }
            SecretsError::Plan(problems) => problems_hint(problems),
            SecretsError::NoBackupTarget { .. } => {
                "configure smi.secrets.backup (an age-encrypted file directory, AWS Secrets Manager or OCI Vault), or pass --no-backup if you accept the risk"
            }
            SecretsError::NamespaceTaken { .. } => {
                "install into a namespace of its own (-n or smi.namespace)"
            }
            SecretsError::Forbidden(_) => {
                "ask a cluster administrator for a Role with these verbs on secrets (and namespaces, to create one), or run as a user who has them (--as, --context); `kubectl auth can-i --list -n NAMESPACE` shows yours"
            }
            SecretsError::ReservedNamespace(_) => {
                "choose a dedicated namespace with -n or smi.namespace"
            }
            SecretsError::NamespaceTerminating(_) => {
                "wait until it is gone, or use another namespace"
            }
            SecretsError::Generate { .. } => {
                "check the private key in the cluster, or rotate it with --rotate"
            }
            SecretsError::Backup { .. } => {
                "fix the backup target and run again: no secret was written (outside a dry run, the namespace may have been created or labelled first)"
            }
            SecretsError::BackupUnsupported(..) => {
                "use another backup target: file, awsSecretsManager or ociVault"
            }
            SecretsError::Interrupted { source, .. } => return source.hint(),
            SecretsError::TooManyConflicts(..) => {
                "another client is writing the same secret; stop it or run again"
            }
            SecretsError::External(_) => "see smi.secrets.external in docs/secrets.md",
            SecretsError::NoBackupConfigured => {
                "configure smi.secrets.backup (an age-encrypted file directory, AWS Secrets Manager or OCI Vault); `kubectl smi secrets create` then writes a backup of the keys in the cluster"
            }
            SecretsError::ReadForbidden { .. } => {
                "ask a cluster administrator for a Role with `get` on secrets in the namespace (`kubectl auth can-i get secrets -n NAMESPACE` shows whether you have it); the metadata-only list `kubectl smi preflight` makes is not enough, and the values never leave this process"
            }
            SecretsError::FieldConflict { .. } => {
                "another tool owns these fields (named above) and set them differently; if kubectl-smi should own them, run again with --force-conflicts, otherwise stop that tool from setting them"
            }
            SecretsError::WebhookWithoutDryRun { .. } => {
                "ask the webhook's owners to declare sideEffects: None (or NoneOnDryRun); or run again with --skip-precheck to write without the pre-check (a refusal then stops the run part-way; the keys are backed up and the next run completes it)"
            }
            SecretsError::Immutable { .. } => {
                "an immutable Secret can only be replaced: delete it (kubectl delete secret NAME -n NAMESPACE) and run the same command again; its generated keys come back from the backup (`kubectl smi secrets status` shows they are there), its supplied keys must be given again"
            }
        })
    }
}

impl SecretsError {
    /// Exit code 2 for targets this version cannot use, 1 for everything else.
    pub fn is_unsupported(&self) -> bool {
        match self {
            SecretsError::BackupUnsupported(..) => true,
            SecretsError::Interrupted { source, .. } => source.is_unsupported(),
            _ => false,
        }
    }
}

fn describe_conflicts(conflicts: &[(String, String)]) -> String {
    let mut managers: Vec<&String> = conflicts.iter().map(|(m, _)| m).collect();
    managers.sort();
    managers.dedup();
    let owned: Vec<String> = managers
        .into_iter()
        .map(|manager| {
            let fields: Vec<&str> = conflicts
                .iter()
                .filter(|(m, _)| m == manager)
                .map(|(_, f)| f.as_str())
                .collect();
            format!("{} owned by {manager}", fields.join(", "))
        })
        .collect();
    format!(
        "the API server refused to change {} (server-side apply conflict; kubectl-smi does not take fields over without --force-conflicts)",
        owned.join("; ")
    )
}

fn describe_problems(problems: &[Problem]) -> String {
    let mut lines = vec!["nothing was changed, because:".to_owned()];
    let missing: Vec<String> = problems
        .iter()
        .filter_map(|p| match p {
            Problem::MissingSupplied { secret, key } => Some(format!("    {secret}/{key}")),
            _ => None,
        })
        .collect();
    if !missing.is_empty() {
        lines.push(format!(
            "  {} supplied credential(s) have no value:",
            missing.len()
        ));
        lines.extend(missing);
    }
    for problem in problems {
        match problem {
            Problem::MissingSupplied { .. } => {}
            Problem::Lost { secret, key, created } => lines.push(format!(
                "  {secret}/{key} was generated ({created}) and is missing from the cluster, and no backup read here has it"
            )),
            Problem::RotateWithoutValue { secret, key } => lines.push(format!(
                "  --rotate {secret}/{key}: a supplied key is rotated to a new value you give (--from-env-file or --from-file)"
            )),
            Problem::TooLarge { secret, bytes } => lines.push(format!(
                "  secret {secret} would hold {bytes} bytes; Kubernetes stores at most 1048576"
            )),
        }
    }
    lines.join("\n")
}

fn problems_hint(problems: &[Problem]) -> &'static str {
    if problems.iter().any(|p| matches!(p, Problem::Lost { .. })) {
        "restore lost keys with --restore-from BACKUP_FILE (or configure the backup they were written to); --rotate SECRET/KEY generates a new key instead, and data encrypted with the old one stays unreadable"
    } else {
        "give the missing values in an env file (--from-env-file FILE, KEY=value lines; `kubectl smi secrets catalog -f VALUES -o env-template` prints one to fill) or one by one (--from-file KEY=PATH)"
    }
}
