//! `secrets create --dry-run=client` with no cluster configured (no kubeconfig found, no
//! `--server`, not in a pod): every input is checked and the plan made as for an empty
//! namespace, so credentials and values can be checked before there is cluster access.
//!
//! Keys are generated as in a real run (the same plan, so certificates are issued with the
//! catalog's subject, public keys derived and sizes checked), but their values are never
//! shown: a key made by a plan is never applied or backed up, so `--show-secrets` shows it
//! as `<generated when applied: N bytes>`, which `kubectl apply` refuses.

use serde_json::Value;

use crate::cluster::ClusterError;

use super::create::{self, CreateOptions, CreateReport, DryRun};
use super::error::SecretsError;
use super::plan::KeyOrigin;
use super::value::SecretValue;

/// The first line of an offline plan's report.
pub const OFFLINE_NOTE: &str =
    "no cluster configured: planned against an empty namespace (nothing read, nothing sent)";

/// Plans `secrets create` without a cluster, as a client dry run against an empty namespace:
/// the report says what would be created, and its objects hold supplied and restored values
/// (redacted unless `show_secrets`) but never generated ones.
/// Errors: [`ClusterError::NoConfig`] unless `options.dry_run` is [`DryRun::Client`]; otherwise
/// every [`SecretsError`] of a real run that needs no cluster (missing
/// credentials, all of them; rotations; backup targets that could not be written).
pub async fn plan_offline(options: CreateOptions) -> Result<CreateReport, SecretsError> {
    if options.dry_run != DryRun::Client {
        return Err(SecretsError::Cluster(ClusterError::NoConfig));
    }
    let remote = options.backups.remote();
    let mut report = create::run(None, options).await?;
    report.offline = true;
    withhold_generated(&mut report);
    if !remote.is_empty() {
        report.warnings.push(format!(
            "offline: {} not contacted: keys it holds were not looked up and writing to it was not checked",
            remote.join(" and ")
        ));
    }
    Ok(report)
}

/// Values made by this plan, replaced in the output objects (already redacted ones too, so
/// the output says which keys the real run makes).
fn withhold_generated(report: &mut CreateReport) {
    for secret in &report.secrets {
        let made: Vec<&str> = secret
            .keys
            .iter()
            .filter(|(_, origin)| {
                matches!(
                    origin,
                    KeyOrigin::Generated | KeyOrigin::Derived | KeyOrigin::Rotated
                )
            })
            .map(|(key, _)| key.as_str())
            .collect();
        let object = report.objects.iter_mut().find(|o| {
            o["kind"] == "Secret" && o["metadata"]["name"].as_str() == Some(&secret.name)
        });
        let Some(Value::Object(data)) = object.and_then(|o| o.get_mut("data")) else {
            continue;
        };
        for key in made {
            if let Some(entry) = data.get_mut(key) {
                *entry = Value::from(withheld(length(entry)));
            }
        }
    }
}

/// The length of an output value: base64 as shown, or the marker `<redacted: N bytes>`.
fn length(entry: &Value) -> usize {
    let text = entry.as_str().unwrap_or_default();
    if let Some(decoded) = SecretValue::from_base64(text) {
        return decoded.len();
    }
    text.trim_start_matches("<redacted: ")
        .trim_end_matches(" bytes>")
        .parse()
        .unwrap_or(0)
}

/// What an offline plan shows for a key it generated. Not base64, like the redaction marker.
fn withheld(len: usize) -> String {
    format!("<generated when applied: {len} bytes>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_of_a_generated_key_is_not_base64() {
        assert!(SecretValue::from_base64(&withheld(44)).is_none());
    }

    #[test]
    fn lengths_are_read_from_shown_and_redacted_values() {
        assert_eq!(length(&Value::from("aHVudGVyMg==")), 7);
        assert_eq!(length(&Value::from(super::super::redacted(86))), 86);
    }
}
