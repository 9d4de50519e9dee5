//! The plan, case by case: what stays, what is generated, restored, rotated or refused.

use super::*;
use crate::catalog::default_secrets;
use crate::secrets::error::Origin;
use crate::secrets::manifest::KeyRecord;

fn value(text: &str) -> SecretValue {
    SecretValue::new(text.as_bytes().to_vec())
}

fn id(secret: &str, key: &str) -> (String, String) {
    (secret.to_owned(), key.to_owned())
}

fn origin() -> Origin {
    Origin {
        file: "creds.env".into(),
        line: Some(1),
    }
}

/// Plans one secret of the default catalog.
struct Case {
    live: BTreeMap<String, LiveSecret>,
    supplied: Supplied,
    rotate: BTreeSet<(String, String)>,
    backed_up: BTreeMap<(String, String), SecretValue>,
}

impl Case {
    fn new() -> Self {
        Case {
            live: BTreeMap::new(),
            supplied: Supplied::new(),
            rotate: BTreeSet::new(),
            backed_up: BTreeMap::new(),
        }
    }

    fn live(mut self, secret: &str, keys: &[(&str, &str)], recorded: &[&str]) -> Self {
        let records = recorded
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    KeyRecord {
                        source: "generated".into(),
                        created: "2025-01-01T00:00:00Z".into(),
                        rotated: None,
                    },
                )
            })
            .collect();
        self.live.insert(
            secret.to_owned(),
            LiveSecret {
                resource_version: Some("7".into()),
                data: keys
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), value(v)))
                    .collect(),
                records,
                secret_type: "Opaque".into(),
                ..LiveSecret::default()
            },
        );
        self
    }

    fn plan(&self, secret: &str) -> (Result<SecretPlan, SecretsError>, Vec<Problem>, Vec<String>) {
        let catalog = default_secrets();
        let spec = catalog.iter().find(|s| s.name == secret).unwrap();
        let inputs = PlanInputs {
            catalog: &catalog,
            live: &self.live,
            supplied: &self.supplied,
            rotate: &self.rotate,
            backed_up: &self.backed_up,
            now: "2025-06-01T00:00:00Z",
        };
        let (mut problems, mut warnings) = (Vec::new(), Vec::new());
        let plan = plan_secret(
            spec,
            &inputs,
            &mut Generated::new(),
            &mut problems,
            &mut warnings,
        );
        (plan, problems, warnings)
    }
}

fn origins(plan: &SecretPlan) -> Vec<(&str, KeyOrigin)> {
    plan.keys
        .iter()
        .map(|k| (k.name.as_str(), k.origin))
        .collect()
}

#[test]
fn an_existing_key_is_never_overwritten_even_by_a_different_supplied_value() {
    let mut case = Case::new().live("smi-redis", &[("REDIS_PASSWORD", "old")], &[]);
    case.supplied
        .insert(id("smi-redis", "REDIS_PASSWORD"), (value("new"), origin()));
    let (plan, problems, warnings) = case.plan("smi-redis");
    let plan = plan.unwrap();
    assert!(problems.is_empty());
    assert_eq!(plan.keys[0].value, value("old"));
    assert_eq!(plan.keys[0].origin, KeyOrigin::Existing);
    assert!(
        warnings[0]
            .contains("the cluster's is kept (--rotate smi-redis/REDIS_PASSWORD replaces it)"),
        "{warnings:?}"
    );
}

#[test]
fn only_the_missing_key_of_an_existing_secret_is_generated() {
    let case = Case::new().live("smi-session", &[("SESSION_SECRET", "s")], &[]);
    let plan = case.plan("smi-session").0.unwrap();
    assert_eq!(
        origins(&plan),
        [
            ("SESSION_SECRET", KeyOrigin::Existing),
            ("CSRF_SECRET", KeyOrigin::Generated)
        ]
    );
    assert!(plan.keys[1].needs_backup());
    assert!(!plan.keys[0].needs_backup());
}

#[test]
fn a_recorded_key_that_disappeared_comes_back_from_the_backup_or_is_reported_lost() {
    let case = Case::new().live(
        "smi-session",
        &[("SESSION_SECRET", "s")],
        &["SESSION_SECRET", "CSRF_SECRET"],
    );
    let (_, problems, _) = case.plan("smi-session");
    assert_eq!(
        problems,
        [Problem::Lost {
            secret: "smi-session".into(),
            key: "CSRF_SECRET".into(),
            created: "2025-01-01T00:00:00Z".into()
        }]
    );

    let mut case = case;
    case.backed_up
        .insert(id("smi-session", "CSRF_SECRET"), value("from-backup"));
    let (plan, problems, _) = case.plan("smi-session");
    assert!(problems.is_empty());
    let plan = plan.unwrap();
    assert_eq!(plan.key("CSRF_SECRET").unwrap().value, value("from-backup"));
    assert_eq!(plan.key("CSRF_SECRET").unwrap().origin, KeyOrigin::Restored);
    assert!(
        !plan.key("CSRF_SECRET").unwrap().needs_backup(),
        "it is in a backup already"
    );
}

#[test]
fn a_rotated_generated_key_keeps_its_previous_value_for_the_backup() {
    let mut case = Case::new().live(
        "smi-data-encryption",
        &[("DATA_ENCRYPTION_KEY", "a"), ("FILE_ENCRYPTION_KEY", "b")],
        &["DATA_ENCRYPTION_KEY", "FILE_ENCRYPTION_KEY"],
    );
    case.rotate
        .insert(id("smi-data-encryption", "FILE_ENCRYPTION_KEY"));
    let plan = case.plan("smi-data-encryption").0.unwrap();
    let rotated = plan.key("FILE_ENCRYPTION_KEY").unwrap();
    assert_eq!(rotated.origin, KeyOrigin::Rotated);
    assert_eq!(rotated.previous, Some(value("b")));
    assert_ne!(rotated.value, value("b"));
    assert_eq!(
        plan.records["FILE_ENCRYPTION_KEY"].rotated.as_deref(),
        Some("2025-06-01T00:00:00Z")
    );
    assert_eq!(
        plan.records["FILE_ENCRYPTION_KEY"].created,
        "2025-01-01T00:00:00Z"
    );
    assert_eq!(
        plan.key("DATA_ENCRYPTION_KEY").unwrap().origin,
        KeyOrigin::Existing
    );
}

#[test]
fn missing_credentials_are_all_reported() {
    let (_, problems, _) = Case::new().plan("smi-postgresql");
    assert_eq!(problems.len(), 2);
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, Problem::MissingSupplied { .. }))
    );
}

#[test]
fn the_public_key_and_the_certificate_follow_their_private_key() {
    let plan = Case::new().plan("smi-identity-signing").0.unwrap();
    assert_eq!(
        origins(&plan),
        [
            ("signing-key.pem", KeyOrigin::Generated),
            ("signing-key.pub.pem", KeyOrigin::Derived),
            ("signing-cert.pem", KeyOrigin::Derived),
        ]
    );
    assert_eq!(plan.records["signing-key.pub.pem"].source, "derived");
    assert_eq!(plan.records["signing-cert.pem"].source, "derived");
    let text = |name: &str| plan.key(name).unwrap().value.as_text().unwrap().to_owned();
    let (private, public, certificate) = (
        text("signing-key.pem"),
        text("signing-key.pub.pem"),
        text("signing-cert.pem"),
    );
    let live = [
        ("signing-key.pem", private.as_str()),
        ("signing-key.pub.pem", public.as_str()),
        ("signing-cert.pem", certificate.as_str()),
    ];
    let case = Case::new().live("smi-identity-signing", &live, &[]);
    let again = case.plan("smi-identity-signing").0.unwrap();
    assert!(
        origins(&again)
            .iter()
            .all(|(_, o)| *o == KeyOrigin::Existing),
        "{:?}",
        origins(&again)
    );

    let mut rotated = Case::new().live("smi-identity-signing", &live, &[]);
    rotated
        .rotate
        .insert(id("smi-identity-signing", "signing-key.pem"));
    let plan = rotated.plan("smi-identity-signing").0.unwrap();
    assert_eq!(
        origins(&plan),
        [
            ("signing-key.pem", KeyOrigin::Rotated),
            ("signing-key.pub.pem", KeyOrigin::Derived),
            ("signing-cert.pem", KeyOrigin::Derived),
        ],
        "a new key gets a new certificate"
    );

    let mut reissued = Case::new().live("smi-identity-signing", &live, &[]);
    reissued
        .rotate
        .insert(id("smi-identity-signing", "signing-cert.pem"));
    let plan = reissued.plan("smi-identity-signing").0.unwrap();
    assert_eq!(
        plan.key("signing-cert.pem").unwrap().origin,
        KeyOrigin::Rotated
    );
    assert_eq!(
        plan.key("signing-key.pem").unwrap().origin,
        KeyOrigin::Existing,
        "same key, new certificate"
    );
}

#[test]
fn keys_outside_the_catalog_are_kept() {
    let case = Case::new().live(
        "smi-redis",
        &[("REDIS_PASSWORD", "p"), ("REDIS_TLS_CA", "ca")],
        &[],
    );
    let plan = case.plan("smi-redis").0.unwrap();
    assert_eq!(plan.extra.keys().collect::<Vec<_>>(), ["REDIS_TLS_CA"]);
}

#[test]
fn an_unchanged_secret_managed_by_kubectl_smi_needs_no_write() {
    let mut case = Case::new().live("smi-redis", &[("REDIS_PASSWORD", "p")], &[]);
    let first = case.plan("smi-redis").0.unwrap();
    assert!(first.changes(), "adopted: labels and records are added");
    let live = case.live.get_mut("smi-redis").unwrap();
    live.records = first.records.clone();
    live.labels = BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), FIELD_MANAGER.to_owned()),
        (ENVIRONMENT_LABEL.to_owned(), "prod".to_owned()),
    ]);
    assert!(!case.plan("smi-redis").0.unwrap().changes());
}
