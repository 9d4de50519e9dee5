//! Key material, from the operating system's CSPRNG (getrandom via `OsRng`).

use base64::Engine;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rand_core::{OsRng, RngCore};

use crate::catalog::Generator;

use super::value::SecretValue;

/// Makes a new value. `PublicKeyOf` is not generated but derived: see [`public_key_of`].
pub fn generate(generator: Generator) -> Result<SecretValue, String> {
    match generator {
        Generator::Aes256 => {
            let bytes = random_bytes(32)?;
            Ok(text(
                base64::engine::general_purpose::STANDARD.encode(&*bytes),
            ))
        }
        Generator::Random64 => {
            let bytes = random_bytes(64)?;
            Ok(text(
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*bytes),
            ))
        }
        Generator::EcP256PrivateKey => {
            let key = p256::SecretKey::random(&mut OsRng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| e.to_string())?;
            Ok(SecretValue::new(pem.as_bytes().to_vec()))
        }
        Generator::Rsa3072PrivateKey => {
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 3072).map_err(|e| e.to_string())?;
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| e.to_string())?;
            Ok(SecretValue::new(pem.as_bytes().to_vec()))
        }
        Generator::PublicKeyOf => {
            Err("a public key is derived from its private key, not generated".into())
        }
    }
}

/// The SubjectPublicKeyInfo PEM of a PKCS#8 PEM private key (EC P-256 or RSA).
pub fn public_key_of(private: &SecretValue) -> Result<SecretValue, String> {
    let pem = private.as_text().ok_or("the private key is not PEM text")?;
    let public = if let Ok(key) = p256::SecretKey::from_pkcs8_pem(pem) {
        key.public_key().to_public_key_pem(LineEnding::LF)
    } else if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
        rsa::RsaPublicKey::from(&key).to_public_key_pem(LineEnding::LF)
    } else {
        return Err("the private key is neither an EC P-256 nor an RSA key in PKCS#8 PEM".into());
    };
    public
        .map(|pem| SecretValue::new(pem.into_bytes()))
        .map_err(|e| e.to_string())
}

fn random_bytes(len: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    let mut bytes = zeroize::Zeroizing::new(vec![0u8; len]);
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| format!("the system's random source failed: {e}"))?;
    Ok(bytes)
}

fn text(value: String) -> SecretValue {
    SecretValue::new(value.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aes_key_is_32_random_bytes_in_base64() {
        let a = generate(Generator::Aes256).unwrap();
        let b = generate(Generator::Aes256).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(a.as_bytes())
            .unwrap();
        assert_eq!(decoded.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn a_session_secret_is_64_bytes_in_base64url() {
        let value = generate(Generator::Random64).unwrap();
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value.as_bytes())
            .unwrap();
        assert_eq!(decoded.len(), 64);
    }

    #[test]
    fn the_ec_signing_key_and_its_public_key_are_pem() {
        let private = generate(Generator::EcP256PrivateKey).unwrap();
        assert!(
            private
                .as_text()
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        let public = public_key_of(&private).unwrap();
        assert!(
            public
                .as_text()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        assert_eq!(
            public,
            public_key_of(&private).unwrap(),
            "derivation is deterministic"
        );
    }

    #[test]
    fn an_rsa_key_is_3072_bits() {
        use rsa::traits::PublicKeyParts;
        let private = generate(Generator::Rsa3072PrivateKey).unwrap();
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(private.as_text().unwrap()).unwrap();
        assert_eq!(key.size() * 8, 3072);
        assert!(public_key_of(&private).is_ok());
    }

    #[test]
    fn a_broken_private_key_is_reported() {
        let err = public_key_of(&SecretValue::new(b"not a key".to_vec())).unwrap_err();
        assert!(err.contains("neither an EC P-256 nor an RSA key"), "{err}");
    }
}
