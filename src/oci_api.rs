//! A small OCI REST client: the API key of the OCI CLI's config file, requests signed as OCI
//! requires, sent over HTTPS (rustls on ring, the system's roots). There is no OCI SDK for
//! Rust we want to depend on; the two Vault APIs `secrets create` uses need only this.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer};
use zeroize::Zeroizing;

/// Connecting gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A whole request (response body included) gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The API key of one profile of the OCI config file.
pub struct ApiKey {
    /// `<tenancy>/<user>/<fingerprint>`.
    key_id: String,
    key: SigningKey<Sha256>,
    /// The profile's `region`, if it has one.
    pub region: Option<String>,
    /// Where the key came from, for messages: `FILE [PROFILE]`.
    pub source: String,
}

impl ApiKey {
    /// The profile `OCI_CLI_PROFILE` (default `DEFAULT`) of `OCI_CLI_CONFIG_FILE` (default
    /// `~/.oci/config`), as the OCI CLI reads it: keys of `[DEFAULT]` apply to every profile.
    pub fn from_environment() -> Result<ApiKey, String> {
        let path = match std::env::var_os("OCI_CLI_CONFIG_FILE") {
            Some(path) if !path.is_empty() => expand_home(Path::new(&path)),
            _ => home().join(".oci").join("config"),
        };
        let profile = std::env::var("OCI_CLI_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "DEFAULT".to_owned());
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read the OCI config file {}: {e} (set OCI_CLI_CONFIG_FILE, or run `oci setup config`)",
                path.display()
            )
        })?;
        Self::from_config(&text, &path, &profile)
    }

    /// Reads `profile` from the text of an OCI config file at `path` (keys of `[DEFAULT]` apply to
    /// every profile) and loads its `key_file` (relative to the config file).
    /// Errors: a message when the profile or one of `user`, `tenancy`, `fingerprint`, `key_file` is
    /// missing, the profile uses session tokens, or the key cannot be read or parsed.
    pub fn from_config(text: &str, path: &Path, profile: &str) -> Result<ApiKey, String> {
        let source = format!("{} [{profile}]", path.display());
        let sections = parse_config(text);
        if !sections.contains_key(profile) {
            return Err(format!(
                "the OCI config file {} has no profile [{profile}]",
                path.display()
            ));
        }
        let lookup = |key: &str| {
            sections
                .get(profile)
                .and_then(|s| s.get(key))
                .or_else(|| sections.get("DEFAULT").and_then(|s| s.get(key)))
                .cloned()
        };
        let required = |key: &str| lookup(key).ok_or_else(|| format!("{source} has no {key}"));
        if lookup("user").is_none() && lookup("security_token_file").is_some() {
            return Err(format!(
                "{source} uses session tokens (security_token_file); kubectl-smi signs with an API key only: give the profile user, fingerprint and key_file"
            ));
        }
        let user = required("user")?;
        let tenancy = required("tenancy")?;
        let fingerprint = required("fingerprint")?;
        let key_file = expand_home(Path::new(&required("key_file")?));
        // A relative key_file is relative to the config file, as the OCI CLI reads it.
        let key_file = match path.parent() {
            Some(dir) if key_file.is_relative() => dir.join(key_file),
            _ => key_file,
        };
        let pem = Zeroizing::new(std::fs::read_to_string(&key_file).map_err(|e| {
            format!(
                "cannot read key_file {} of {source}: {e}",
                key_file.display()
            )
        })?);
        let key = parse_private_key(&pem)
            .map_err(|why| format!("key_file {} of {source}: {why}", key_file.display()))?;
        Ok(ApiKey {
            key_id: format!("{tenancy}/{user}/{fingerprint}"),
            key: SigningKey::<Sha256>::new(key),
            region: lookup("region"),
            source,
        })
    }

    /// The `Authorization` header of a request (OCI signature version 1).
    ///
    /// The rules, from "Request Signatures" (https://docs.oracle.com/iaas/Content/API/Concepts/signingrequests.htm,
    /// based on draft-cavage-http-signatures-08): the `Signature` scheme in the
    /// `Authorization` header with `version="1"`, `keyId="<tenancy>/<user>/<fingerprint>"`,
    /// `algorithm="rsa-sha256"`; the signing string is the listed headers, each
    /// `name: value` with a lower-case name, joined by `\n` in the order of `headers`;
    /// `(request-target)` is the lower-case method, a space, and the path with its query.
    /// GET and DELETE sign `date (request-target) host`; PUT and POST also sign
    /// `content-length`, `content-type` and `x-content-sha256` (base64 of the SHA-256 of
    /// the body, also for an empty body).
    pub fn authorization(&self, headers: &[(&str, String)]) -> String {
        let signing_string = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect::<Vec<_>>()
            .join("\n");
        let names = headers
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(" ");
        let signature = STANDARD.encode(self.key.sign(signing_string.as_bytes()).to_bytes());
        format!(
            "Signature version=\"1\",keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{names}\",signature=\"{signature}\"",
            self.key_id
        )
    }
}

/// PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`) PEM, unencrypted.
fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, String> {
    if pem.contains("ENCRYPTED") {
        return Err(
            "the key is encrypted with a passphrase; kubectl-smi reads unencrypted keys only (decrypt a copy with `openssl rsa -in KEY -out KEY.plain`, mode 0600)"
                .to_owned(),
        );
    }
    if pem.contains("BEGIN RSA PRIVATE KEY") {
        RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| format!("not a PKCS#1 RSA key: {e}"))
    } else if pem.contains("BEGIN PRIVATE KEY") {
        RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| format!("not a PKCS#8 RSA key: {e}"))
    } else {
        Err("not a PEM RSA private key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)".to_owned())
    }
}

/// Sections of an INI file: `[NAME]` then `key = value` lines; `#` and `;` start comments.
fn parse_config(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_owned();
            sections.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    sections
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn expand_home(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home().join(rest),
        Err(_) => path.to_owned(),
    }
}

/// A response: status, body, and the `opc-request-id` OCI support asks for.
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response body (wiped on drop: Vault responses carry secret values).
    pub body: Zeroizing<Vec<u8>>,
    /// The `opc-request-id` header, if the response has one.
    pub request_id: Option<String>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `HTTP 404 NotAuthorizedOrNotFound: message (opc-request-id ...)`; the body of an OCI
    /// error is `{"code", "message"}` and never holds secret content.
    pub fn error_text(&self) -> String {
        let json: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        let mut text = format!("HTTP {}", self.status);
        if let Some(code) = json["code"].as_str() {
            text.push_str(&format!(" {code}"));
        }
        if let Some(message) = json["message"].as_str() {
            text.push_str(&format!(": {message}"));
        }
        if let Some(id) = &self.request_id {
            text.push_str(&format!(" (opc-request-id {id})"));
        }
        text
    }

    /// The OCI error code of the JSON body (e.g. `NotAuthorizedOrNotFound`), if it has one.
    pub fn code(&self) -> Option<String> {
        let json: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        json["code"].as_str().map(str::to_owned)
    }
}

/// Signs and sends requests.
pub struct Client {
    key: ApiKey,
    http: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Client {
    /// A client signing with `key`.
    /// Errors: a message when the system's CA certificates cannot be loaded.
    pub fn new(key: ApiKey) -> Result<Client, String> {
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("cannot load the system's CA certificates: {e}"))?
            // Plain HTTP only for endpoints given as http:// (a local double, a proxy).
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = HyperClient::builder(TokioExecutor::new()).build(https);
        Ok(Client { key, http })
    }

    /// The API key requests are signed with.
    pub fn key(&self) -> &ApiKey {
        &self.key
    }

    /// Sends one signed request; `body` is JSON for POST and PUT. Errors are transport
    /// errors (no response); HTTP errors come back as a `Response`.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Response, String> {
        let uri: Uri = url.parse().map_err(|e| format!("bad URL {url}: {e}"))?;
        let host = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .ok_or_else(|| format!("bad URL {url}: no host"))?;
        let target = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let date = jiff::Timestamp::now()
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut signed = vec![
            ("date", date),
            (
                "(request-target)",
                format!("{} {target}", method.as_str().to_lowercase()),
            ),
            ("host", host),
        ];
        let has_body = method == Method::POST || method == Method::PUT;
        let body = Bytes::copy_from_slice(body.unwrap_or_default());
        if has_body {
            signed.push(("x-content-sha256", STANDARD.encode(Sha256::digest(&body))));
            signed.push(("content-type", "application/json".to_owned()));
            signed.push(("content-length", body.len().to_string()));
        }
        let authorization = self.key.authorization(&signed);
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in &signed {
            if *name != "(request-target)" {
                request = request.header(*name, value);
            }
        }
        let request = request
            .header("authorization", authorization)
            .header("accept", HeaderValue::from_static("application/json"))
            .header(
                "user-agent",
                concat!("kubectl-smi/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let exchange = async {
            let response = self.http.request(request).await.map_err(|e| {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    text.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                text
            })?;
            let status = response.status().as_u16();
            let request_id = response
                .headers()
                .get("opc-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("reading the response: {e}"))?
                .to_bytes();
            Ok::<_, String>(Response {
                status,
                body: Zeroizing::new(body.to_vec()),
                request_id,
            })
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    use rsa::signature::Verifier;

    fn key() -> RsaPrivateKey {
        let mut rng = rand_core::OsRng;
        RsaPrivateKey::new(&mut rng, 1024).unwrap()
    }

    #[test]
    fn profiles_inherit_default_and_keys_read_as_pkcs1_and_pkcs8() {
        let dir = tempfile::tempdir().unwrap();
        let private = key();
        std::fs::write(
            dir.path().join("pkcs1.pem"),
            private.to_pkcs1_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("pkcs8.pem"),
            private.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        let config = "# comment\n[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint = aa:bb\ntenancy=ocid1.tenancy.oc1..t\nregion=eu-frankfurt-1\nkey_file=pkcs1.pem\n\n[OTHER]\nkey_file = pkcs8.pem\nregion = us-ashburn-1\n";
        let path = dir.path().join("config");
        for (profile, region) in [("DEFAULT", "eu-frankfurt-1"), ("OTHER", "us-ashburn-1")] {
            let key = ApiKey::from_config(config, &path, profile).unwrap();
            assert_eq!(key.key_id, "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb");
            assert_eq!(key.region.as_deref(), Some(region));
            let header = key.authorization(&[("date", "x".into()), ("host", "h".into())]);
            let signature = header.split("signature=\"").nth(1).unwrap();
            let signature = STANDARD.decode(signature.trim_end_matches('"')).unwrap();
            let verifying = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(private.to_public_key());
            let signature = rsa::pkcs1v15::Signature::try_from(&signature[..]).unwrap();
            verifying.verify(b"date: x\nhost: h", &signature).unwrap();
            assert!(header.contains("headers=\"date host\""), "{header}");
        }
        let missing = ApiKey::from_config(config, &path, "NOPE").err().unwrap();
        assert!(missing.contains("no profile [NOPE]"), "{missing}");
        let no_user = ApiKey::from_config("[DEFAULT]\ntenancy=t\n", &path, "DEFAULT")
            .err()
            .unwrap();
        assert!(no_user.ends_with("has no user"), "{no_user}");
    }

    #[test]
    fn encrypted_keys_are_refused_with_a_reason() {
        let why = parse_private_key("-----BEGIN ENCRYPTED PRIVATE KEY-----\n").unwrap_err();
        assert!(why.contains("encrypted with a passphrase"), "{why}");
    }
}
