//! age-encrypted backup files: `<directory>/smi-secrets-<namespace>-<UTC time>.age`, a new
//! file for every run that generates or rotates keys (never overwritten), encrypted with a
//! passphrase (scrypt) or to age recipients. `age -d` decrypts them; the content is JSON.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::values::FileBackup;

use super::{BackupDocument, Found, resolve_path};
use crate::secrets::error::SecretsError;

/// A passphrase shorter than this is refused: the backups guard keys that cannot be replaced.
const MIN_PASSPHRASE_CHARS: usize = 12;

/// The keys a backup file can be decrypted with.
#[derive(Default)]
pub struct DecryptKeys {
    /// The passphrase of passphrase-encrypted (scrypt) files; none when only identities are tried.
    pub passphrase: Option<SecretString>,
    /// age identities for files encrypted to recipients, read from the identity file.
    pub identities: Vec<Box<dyn age::Identity + Send + Sync>>,
}

pub struct FileTarget {
    directory: PathBuf,
    recipients: Vec<String>,
    identity_file: Option<PathBuf>,
    passphrase_env: String,
    passphrase_file: Option<PathBuf>,
}

/// What the newest backup file of a namespace gave.
pub enum Latest {
    Found(Found),
    None,
    /// Files exist but this run has no key to open them.
    Unreadable(String),
}

impl FileTarget {
    pub fn new(config: &FileBackup, base_dir: &Path) -> Self {
        FileTarget {
            directory: resolve_path(base_dir, &config.directory),
            recipients: config.recipients.clone(),
            identity_file: config
                .identity_file
                .as_deref()
                .map(|p| resolve_path(base_dir, p)),
            passphrase_env: config.passphrase_env.clone(),
            passphrase_file: config
                .passphrase_file
                .as_deref()
                .map(|p| resolve_path(base_dir, p)),
        }
    }

    pub fn describe(&self) -> String {
        format!("file {}", self.directory.display())
    }

    fn error(&self, message: impl Into<String>) -> SecretsError {
        SecretsError::Backup {
            target: self.describe(),
            message: message.into(),
        }
    }

    /// Reads the backup file at `path`, refusing one of another namespace than `namespace`.
    fn read_of(
        &self,
        path: &Path,
        keys: &DecryptKeys,
        namespace: &str,
    ) -> Result<BackupDocument, SecretsError> {
        let document = read_backup_file(path, keys).map_err(|m| self.error(m))?;
        if document.namespace != namespace {
            return Err(self.error(format!(
                "{} is a backup of namespace {:?}",
                path.display(),
                document.namespace
            )));
        }
        Ok(document)
    }

    fn passphrase(&self) -> Result<SecretString, SecretsError> {
        let text = match &self.passphrase_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| self.error(format!("cannot read the passphrase file {}: {e}", path.display())))?;
                text.lines().next().unwrap_or_default().to_owned()
            }
            None => std::env::var(&self.passphrase_env).map_err(|_| {
                self.error(format!(
                    "the backup is encrypted with a passphrase: set {} (or smi.secrets.backup.file.passphraseFile, or age recipients)",
                    self.passphrase_env
                ))
            })?,
        };
        let text = Zeroizing::new(text);
        if text.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(self.error(format!(
                "the passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters"
            )));
        }
        Ok(SecretString::from(text.to_string()))
    }

    /// The keys to read this target's files, when this run has them.
    fn decrypt_keys(&self) -> Result<Option<DecryptKeys>, SecretsError> {
        if self.recipients.is_empty() {
            return Ok(Some(DecryptKeys {
                passphrase: Some(self.passphrase()?),
                identities: Vec::new(),
            }));
        }
        match &self.identity_file {
            Some(path) => Ok(Some(DecryptKeys {
                passphrase: None,
                identities: read_identities(path).map_err(|m| self.error(m))?,
            })),
            None => Ok(None),
        }
    }

    fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, SecretsError> {
        let encryptor = if self.recipients.is_empty() {
            age::Encryptor::with_user_passphrase(self.passphrase()?)
        } else {
            let recipients = self.parsed_recipients()?;
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| self.error(e.to_string()))?
        };
        let mut ciphertext = Vec::new();
        let mut writer = encryptor
            .wrap_output(&mut ciphertext)
            .map_err(|e| self.error(e.to_string()))?;
        writer
            .write_all(plaintext)
            .map_err(|e| self.error(e.to_string()))?;
        writer.finish().map_err(|e| self.error(e.to_string()))?;
        Ok(ciphertext)
    }

    fn parsed_recipients(&self) -> Result<Vec<age::x25519::Recipient>, SecretsError> {
        self.recipients
            .iter()
            .map(|r| {
                r.parse::<age::x25519::Recipient>().map_err(|e| {
                    self.error(format!(
                        "recipient {r:?} is not an age recipient (age1...): {e}"
                    ))
                })
            })
            .collect()
    }

    /// What writing a backup needs, checked without writing: the recipients, or the
    /// passphrase (set, long enough), and the identity file that reads backups back.
    pub fn check(&self) -> Result<(), SecretsError> {
        self.parsed_recipients()?;
        self.decrypt_keys()?;
        Ok(())
    }

    /// Writes a new file (never replacing one), syncs it to disk, reads it back and, when
    /// this run can, decrypts it and compares.
    pub fn write(&self, document: &BackupDocument) -> Result<String, SecretsError> {
        create_private_dir(&self.directory)
            .map_err(|e| self.error(format!("cannot create the directory: {e}")))?;
        let plaintext = document.to_json();
        let ciphertext = self.encrypt(&plaintext)?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.directory)
            .map_err(|e| self.error(format!("cannot create a file: {e}")))?;
        temp.write_all(&ciphertext)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| self.error(format!("cannot write: {e}")))?;
        let path = self.directory.join(file_name(&document.namespace));
        temp.persist_noclobber(&path)
            .map_err(|e| self.error(format!("cannot create {}: {}", path.display(), e.error)))?;
        if let Ok(dir) = std::fs::File::open(&self.directory) {
            let _ = dir.sync_all();
        }
        let written = std::fs::read(&path)
            .map_err(|e| self.error(format!("cannot read {} back: {e}", path.display())))?;
        if written != ciphertext {
            return Err(self.error(format!("{} does not read back as written", path.display())));
        }
        if let Some(keys) = self.decrypt_keys()? {
            let read = decrypt(&written, &keys)
                .map_err(|m| self.error(format!("{}: {m}", path.display())))?;
            if *read != *plaintext {
                return Err(self.error(format!(
                    "{} does not decrypt to what was written",
                    path.display()
                )));
            }
        }
        Ok(path.display().to_string())
    }

    /// The path of the newest backup file of the namespace; none when the directory holds
    /// none (or does not exist).
    fn newest_path(&self, namespace: &str) -> Result<Option<PathBuf>, SecretsError> {
        let prefix = format!("smi-secrets-{namespace}-");
        let mut names: Vec<String> = match std::fs::read_dir(&self.directory) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(&prefix) && n.ends_with(".age"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot list the directory: {e}"))),
        };
        names.sort();
        Ok(names.pop().map(|newest| self.directory.join(newest)))
    }

    /// The newest file of the namespace, for `backup verify`: opened with the configured
    /// passphrase or identity file plus `identities`; a file no key opens is an error here,
    /// not a note. None when there is no backup file of the namespace.
    pub fn newest(
        &self,
        namespace: &str,
        identities: &[PathBuf],
    ) -> Result<Option<Found>, SecretsError> {
        let Some(path) = self.newest_path(namespace)? else {
            return Ok(None);
        };
        let mut keys = DecryptKeys::default();
        for identity in identities.iter().chain(&self.identity_file) {
            keys.identities
                .extend(read_identities(identity).map_err(|m| self.error(m))?);
        }
        if self.recipients.is_empty() {
            match self.passphrase() {
                Ok(passphrase) => keys.passphrase = Some(passphrase),
                Err(e) if keys.identities.is_empty() => return Err(e),
                Err(_) => {}
            }
        } else if keys.identities.is_empty() {
            return Err(self.error(format!(
                "{} is encrypted to age recipients and no identity to decrypt it is at hand: set smi.secrets.backup.file.identityFile or pass --identity FILE",
                path.display()
            )));
        }
        let document = self.read_of(&path, &keys, namespace)?;
        Ok(Some(Found {
            location: path.display().to_string(),
            values: document.keys,
        }))
    }

    /// The newest file of the namespace.
    pub fn latest(&self, namespace: &str) -> Result<Latest, SecretsError> {
        let Some(path) = self.newest_path(namespace)? else {
            return Ok(Latest::None);
        };
        let passphrase_set =
            self.passphrase_file.is_some() || std::env::var_os(&self.passphrase_env).is_some();
        if self.recipients.is_empty() && !passphrase_set {
            return Ok(Latest::Unreadable(format!(
                "{} is not set, so backup {} was not read: missing keys cannot be restored from it",
                self.passphrase_env,
                path.display()
            )));
        }
        let Some(keys) = self.decrypt_keys()? else {
            return Ok(Latest::Unreadable(format!(
                "backup {} is encrypted to recipients and no identityFile is configured: missing keys were not looked up in it",
                path.display()
            )));
        };
        let document = self.read_of(&path, &keys, namespace)?;
        Ok(Latest::Found(Found {
            location: path.display().to_string(),
            values: document.keys,
        }))
    }
}

/// `smi-secrets-<namespace>-<YYYYMMDDTHHMMSS.nnnnnnnnnZ>.age`: names sort by time.
fn file_name(namespace: &str) -> String {
    let now = jiff::Timestamp::now();
    format!(
        "smi-secrets-{namespace}-{}.age",
        now.strftime("%Y%m%dT%H%M%S.%NZ")
    )
}

fn create_private_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// The keys to open a backup named with `--restore-from`: the identity files given, the
/// configured identity file, and the passphrase when its variable (or file) is set.
pub fn restore_keys(
    config: Option<&FileBackup>,
    identity_files: &[PathBuf],
    base_dir: &Path,
) -> Result<DecryptKeys, SecretsError> {
    let error = |message: String| SecretsError::Backup {
        target: "--restore-from".to_owned(),
        message,
    };
    let mut keys = DecryptKeys::default();
    let configured = config
        .and_then(|c| c.identity_file.as_deref())
        .map(|p| resolve_path(base_dir, p));
    for path in identity_files.iter().cloned().chain(configured) {
        keys.identities
            .extend(read_identities(&path).map_err(error)?);
    }
    let env = config.map_or("SMI_BACKUP_PASSPHRASE", |c| c.passphrase_env.as_str());
    let from_file = config
        .and_then(|c| c.passphrase_file.as_deref())
        .map(|p| resolve_path(base_dir, p))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| t.lines().next().map(str::to_owned));
    if let Some(passphrase) = from_file.or_else(|| std::env::var(env).ok()) {
        keys.passphrase = Some(SecretString::from(passphrase));
    }
    if keys.passphrase.is_none() && keys.identities.is_empty() {
        return Err(error(format!(
            "no key to decrypt it: set {env} (passphrase backups) or pass --identity FILE (recipient backups)"
        )));
    }
    Ok(keys)
}

/// age identities (`AGE-SECRET-KEY-1...` lines) from a file.
pub fn read_identities(path: &Path) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>, String> {
    let file = age::IdentityFile::from_file(path.display().to_string())
        .map_err(|e| format!("cannot read the identity file {}: {e}", path.display()))?;
    file.into_identities()
        .map_err(|e| format!("identity file {}: {e}", path.display()))
}

/// Reads and decrypts a backup file with the given keys.
pub fn read_backup_file(path: &Path, keys: &DecryptKeys) -> Result<BackupDocument, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let plaintext = decrypt(&bytes, keys).map_err(|m| format!("{}: {m}", path.display()))?;
    BackupDocument::from_json(&plaintext).map_err(|m| format!("{}: {m}", path.display()))
}

fn decrypt(bytes: &[u8], keys: &DecryptKeys) -> Result<Zeroizing<Vec<u8>>, String> {
    let decryptor =
        age::Decryptor::new_buffered(bytes).map_err(|e| format!("not an age file: {e}"))?;
    let scrypt;
    let mut identities: Vec<&dyn age::Identity> = keys
        .identities
        .iter()
        .map(|i| i.as_ref() as &dyn age::Identity)
        .collect();
    if let Some(passphrase) = &keys.passphrase {
        scrypt = age::scrypt::Identity::new(passphrase.clone());
        identities.push(&scrypt);
    }
    let mut reader = decryptor
        .decrypt(identities.into_iter())
        .map_err(|e| format!("cannot decrypt ({e}); is it the right passphrase or identity?"))?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut plaintext)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    Ok(plaintext)
}
