//! A secret value: bytes that are wiped when dropped and never shown by `Debug`.

use std::fmt;

use base64::Engine;
use zeroize::Zeroizing;

/// The Kubernetes limit on a Secret's data (the API server's MaxSecretSize).
pub const MAX_SECRET_BYTES: usize = 1024 * 1024;

/// The bytes of one key. `Debug` prints only the length, so a value cannot reach a message
/// or a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Zeroizing<Vec<u8>>);

impl SecretValue {
    /// Takes ownership of the bytes; they are wiped when the value is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretValue(Zeroizing::new(bytes))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value as Kubernetes carries it in `data`.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.as_bytes())
    }

    /// Decodes standard base64 (as in a Secret's `data`); none when it is not valid base64.
    pub fn from_base64(text: &str) -> Option<Self> {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .map(SecretValue::new)
    }

    /// The value as text when it is UTF-8 (generated keys always are).
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue(<{} bytes redacted>)", self.len())
    }
}

/// What redacted output shows instead of a value. It is not base64, so a redacted
/// manifest piped to `kubectl apply` is refused instead of overwriting real keys.
pub fn redacted(len: usize) -> String {
    format!("<redacted: {len} bytes>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let value = SecretValue::new(b"hunter2".to_vec());
        assert_eq!(format!("{value:?}"), "SecretValue(<7 bytes redacted>)");
    }

    #[test]
    fn the_redaction_marker_is_not_base64() {
        assert!(SecretValue::from_base64(&redacted(44)).is_none());
    }
}
