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
        Generator::PublicKeyOf | Generator::SelfSignedCertificateOf => {
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

/// A self-signed X.509 certificate (PEM) of a PKCS#8 PEM private key: `CN=<subject>`, a
/// random serial, valid from now for `days`, signed with ECDSA P-256/SHA-256 or RSA
/// PKCS#1 v1.5/SHA-256.
pub fn self_signed_certificate(
    private: &SecretValue,
    subject: &str,
    days: u32,
) -> Result<SecretValue, String> {
    use std::str::FromStr;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;

    let pem = private.as_text().ok_or("the private key is not PEM text")?;
    let name = Name::from_str(&format!("CN={subject}"))
        .map_err(|e| format!("subject {subject:?}: {e}"))?;
    let mut serial = random_bytes(16)?;
    serial[0] &= 0x7f; // a positive INTEGER
    let serial = SerialNumber::new(&serial).map_err(|e| e.to_string())?;
    let validity = Validity::from_now(std::time::Duration::from_secs(u64::from(days) * 86_400))
        .map_err(|e| e.to_string())?;
    let profile = Profile::Leaf {
        issuer: name.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let certificate = if let Ok(key) = p256::SecretKey::from_pkcs8_pem(pem) {
        let signer = p256::ecdsa::SigningKey::from(key);
        let spki = SubjectPublicKeyInfoOwned::from_key(*signer.verifying_key())
            .map_err(|e| e.to_string())?;
        CertificateBuilder::new(profile, serial, validity, name, spki, &signer)
            .map_err(|e| e.to_string())?
            .build::<p256::ecdsa::DerSignature>()
    } else if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
        use rsa::signature::Keypair;
        let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(key);
        let spki = SubjectPublicKeyInfoOwned::from_key(signer.verifying_key())
            .map_err(|e| e.to_string())?;
        CertificateBuilder::new(profile, serial, validity, name, spki, &signer)
            .map_err(|e| e.to_string())?
            .build::<rsa::pkcs1v15::Signature>()
    } else {
        return Err("the private key is neither an EC P-256 nor an RSA key in PKCS#8 PEM".into());
    };
    let certificate = certificate.map_err(|e| e.to_string())?;
    let pem = certificate
        .to_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok(SecretValue::new(pem.into_bytes()))
}

/// Whether a PEM certificate is of this private key (same public key).
pub fn certificate_matches(certificate: &SecretValue, private: &SecretValue) -> bool {
    use x509_cert::der::{DecodePem, Encode};
    let Some(text) = certificate.as_text() else {
        return false;
    };
    let Ok(certificate) = x509_cert::Certificate::from_pem(text) else {
        return false;
    };
    let Ok(public) = public_key_of(private) else {
        return false;
    };
    let Some(public) = public.as_text() else {
        return false;
    };
    let Ok(expected) = x509_cert::spki::SubjectPublicKeyInfoOwned::from_pem(public) else {
        return false;
    };
    certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok()
        == expected.to_der().ok()
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
    fn a_certificate_is_issued_for_ec_and_rsa_keys_and_matched_to_its_key() {
        for generator in [Generator::EcP256PrivateKey, Generator::Rsa3072PrivateKey] {
            let private = generate(generator).unwrap();
            let certificate =
                self_signed_certificate(&private, "dtplatform identity", 365).unwrap();
            assert!(
                certificate
                    .as_text()
                    .unwrap()
                    .starts_with("-----BEGIN CERTIFICATE-----\n")
            );
            assert!(certificate_matches(&certificate, &private));
            let other = generate(generator).unwrap();
            assert!(!certificate_matches(&certificate, &other));
        }
        assert!(!certificate_matches(
            &SecretValue::new(b"junk".to_vec()),
            &generate(Generator::EcP256PrivateKey).unwrap()
        ));
    }

    #[test]
    fn openssl_reads_the_certificate_when_it_is_installed() {
        let private = generate(Generator::EcP256PrivateKey).unwrap();
        let certificate = self_signed_certificate(&private, "dtplatform identity", 30).unwrap();
        let Ok(mut child) = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-subject", "-enddate"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            eprintln!("SKIPPED: openssl is not installed");
            return;
        };
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(certificate.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success());
        assert!(
            text.contains("CN = dtplatform identity") || text.contains("CN=dtplatform identity"),
            "{text}"
        );
    }

    #[test]
    fn a_broken_private_key_is_reported() {
        let err = public_key_of(&SecretValue::new(b"not a key".to_vec())).unwrap_err();
        assert!(err.contains("neither an EC P-256 nor an RSA key"), "{err}");
    }
}
