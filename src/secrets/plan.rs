//! What `secrets create` will do to each secret, decided before anything is written: which
//! keys stay, which are supplied, generated, restored from a backup or rotated. Pure: the
//! cluster's state, the supplied values and the backup's values come in as data.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Generator, KeySource, KeySpec, SecretSpec};

use super::error::{Problem, SecretsError};
use super::generate;
use super::manifest::{ENVIRONMENT_LABEL, FIELD_MANAGER, KeyRecord, KeyRecords, MANAGED_BY_LABEL};
use super::sources::Supplied;
use super::value::{MAX_SECRET_BYTES, SecretValue};

/// A secret as read from the cluster.
#[derive(Debug, Clone, Default)]
pub struct LiveSecret {
    pub resource_version: Option<String>,
    pub data: BTreeMap<String, SecretValue>,
    pub records: KeyRecords,
    pub secret_type: String,
    pub labels: BTreeMap<String, String>,
    /// The ExternalSecret that owns it, when External Secrets Operator manages it.
    pub external_owner: Option<String>,
}

/// Where a key's value comes from in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyOrigin {
    /// In the cluster already; left as it is.
    Existing,
    /// Given by the operator.
    Supplied,
    /// Made now.
    Generated,
    /// Missing from the cluster, taken back from a backup.
    Restored,
    /// Replaced on request (`--rotate`); the old value is backed up first.
    Rotated,
    /// A public key computed from its private key.
    Derived,
}

impl KeyOrigin {
    /// The word reports use for the origin: `unchanged`, `supplied`, `generated`, `restored from
    /// backup`, `rotated` or `derived`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyOrigin::Existing => "unchanged",
            KeyOrigin::Supplied => "supplied",
            KeyOrigin::Generated => "generated",
            KeyOrigin::Restored => "restored from backup",
            KeyOrigin::Rotated => "rotated",
            KeyOrigin::Derived => "derived",
        }
    }
}

/// One key of the catalog, as it will be.
#[derive(Debug, Clone)]
pub struct PlannedKey {
    pub name: String,
    pub source: KeySource,
    pub origin: KeyOrigin,
    pub value: SecretValue,
    /// The value replaced by a rotation.
    pub previous: Option<SecretValue>,
    /// A public key computed from a private key of the same secret.
    pub derived: bool,
}

impl PlannedKey {
    /// Key material the platform owns (backed up before it reaches the cluster).
    pub fn is_key_material(&self) -> bool {
        self.source == KeySource::Generated
    }

    /// A value the cluster has never held and no backup has yet.
    pub fn needs_backup(&self) -> bool {
        self.is_key_material()
            && matches!(
                self.origin,
                KeyOrigin::Generated | KeyOrigin::Rotated | KeyOrigin::Supplied
            )
            || self.previous.is_some()
    }
}

/// One secret, as it will be.
#[derive(Debug, Clone)]
pub struct SecretPlan {
    pub name: String,
    pub secret_type: String,
    pub live: Option<LiveSecret>,
    pub keys: Vec<PlannedKey>,
    /// Keys of the live secret that the catalog does not list: kept, never removed.
    pub extra: BTreeMap<String, SecretValue>,
    pub records: KeyRecords,
    /// Why the secret is left alone (managed by External Secrets Operator).
    pub skipped: Option<String>,
}

impl SecretPlan {
    /// Whether applying it would change the cluster.
    pub fn changes(&self) -> bool {
        if self.skipped.is_some() {
            return false;
        }
        let Some(live) = &self.live else {
            return true;
        };
        self.keys.iter().any(|k| k.origin != KeyOrigin::Existing)
            || self.records != live.records
            || live.labels.get(MANAGED_BY_LABEL).map(String::as_str) != Some(FIELD_MANAGER)
            || !live.labels.contains_key(ENVIRONMENT_LABEL)
    }

    pub fn key(&self, name: &str) -> Option<&PlannedKey> {
        self.keys.iter().find(|k| k.name == name)
    }
}

/// Everything a plan is made from.
pub struct PlanInputs<'a> {
    pub catalog: &'a [SecretSpec],
    pub live: &'a BTreeMap<String, LiveSecret>,
    pub supplied: &'a Supplied,
    pub rotate: &'a BTreeSet<(String, String)>,
    /// Values of generated keys found in a backup, by (secret, key).
    pub backed_up: &'a BTreeMap<(String, String), SecretValue>,
    pub now: &'a str,
}

/// Values generated in this run, by (secret, key): a retry reuses them, so what was backed
/// up is what gets applied.
pub type Generated = BTreeMap<(String, String), SecretValue>;

/// The whole plan and the warnings met on the way.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub secrets: Vec<SecretPlan>,
    pub warnings: Vec<String>,
}

/// Plans every secret of the catalog; all problems are reported at once.
pub fn plan(inputs: &PlanInputs<'_>, generated: &mut Generated) -> Result<Plan, SecretsError> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    for spec in inputs.catalog {
        let secret = plan_secret(spec, inputs, generated, &mut problems, &mut plan.warnings)?;
        plan.secrets.push(secret);
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(SecretsError::Plan(problems))
    }
}

/// Plans one secret (also used to re-plan it after a conflict).
pub fn plan_secret(
    spec: &SecretSpec,
    inputs: &PlanInputs<'_>,
    generated: &mut Generated,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> Result<SecretPlan, SecretsError> {
    let live = inputs.live.get(&spec.name).cloned();
    let mut plan = SecretPlan {
        name: spec.name.clone(),
        secret_type: spec.secret_type.clone(),
        extra: live
            .as_ref()
            .map(|l| {
                l.data
                    .iter()
                    .filter(|(k, _)| !spec.keys.iter().any(|s| &s.name == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        records: KeyRecords::new(),
        keys: Vec::new(),
        skipped: None,
        live,
    };
    if let Some(owner) = plan.live.as_ref().and_then(|l| l.external_owner.clone()) {
        plan.skipped = Some(format!(
            "managed by External Secrets Operator (ExternalSecret {owner})"
        ));
        warnings.push(format!(
            "secret {} is managed by External Secrets Operator (ExternalSecret {owner}): left alone; keep its keys in the secret store",
            spec.name
        ));
        return Ok(plan);
    }
    let (derived, direct): (Vec<&KeySpec>, Vec<&KeySpec>) =
        spec.keys.iter().partition(|k| k.is_derived());
    for key in direct {
        if let Some(planned) = plan_key(spec, key, &plan, inputs, generated, problems, warnings)? {
            plan.keys.push(planned);
        }
    }
    for key in derived {
        if let Some(planned) = plan_derived(spec, key, &plan, inputs, generated)? {
            plan.keys.push(planned);
        }
    }
    plan.records = records(&plan, inputs.now);
    let bytes: usize = plan.keys.iter().map(|k| k.value.len()).sum::<usize>()
        + plan.extra.values().map(SecretValue::len).sum::<usize>();
    if bytes > MAX_SECRET_BYTES {
        problems.push(Problem::TooLarge {
            secret: spec.name.clone(),
            bytes,
        });
    }
    Ok(plan)
}

fn plan_key(
    spec: &SecretSpec,
    key: &KeySpec,
    plan: &SecretPlan,
    inputs: &PlanInputs<'_>,
    generated: &mut Generated,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> Result<Option<PlannedKey>, SecretsError> {
    let id = (spec.name.clone(), key.name.clone());
    let live = plan.live.as_ref().and_then(|l| l.data.get(&key.name));
    let supplied = inputs.supplied.get(&id);
    let rotate = inputs.rotate.contains(&id);
    let planned = |origin, value: SecretValue, previous: Option<SecretValue>| {
        Some(PlannedKey {
            name: key.name.clone(),
            source: key.source,
            origin,
            value,
            previous,
            derived: false,
        })
    };
    if let Some(current) = live {
        if rotate {
            let new = match (key.source, supplied) {
                (_, Some((value, _))) => value.clone(),
                (KeySource::Generated, None) => fresh(spec, key, generated)?,
                (KeySource::Supplied, None) => {
                    problems.push(Problem::RotateWithoutValue {
                        secret: spec.name.clone(),
                        key: key.name.clone(),
                    });
                    return Ok(None);
                }
            };
            if &new == current {
                return Ok(planned(KeyOrigin::Existing, new, None));
            }
            return Ok(planned(KeyOrigin::Rotated, new, Some(current.clone())));
        }
        if let Some((value, origin)) = supplied
            && value != current
        {
            warnings.push(format!(
                "{}/{}: the cluster's value differs from the one supplied at {origin}; the cluster's is kept (--rotate {}/{} replaces it)",
                spec.name, key.name, spec.name, key.name
            ));
        }
        return Ok(planned(KeyOrigin::Existing, current.clone(), None));
    }
    if let Some((value, _)) = supplied {
        return Ok(planned(KeyOrigin::Supplied, value.clone(), None));
    }
    match key.source {
        KeySource::Supplied => {
            problems.push(Problem::MissingSupplied {
                secret: spec.name.clone(),
                key: key.name.clone(),
            });
            Ok(None)
        }
        KeySource::Generated => {
            if !rotate {
                if let Some(value) = inputs.backed_up.get(&id) {
                    return Ok(planned(KeyOrigin::Restored, value.clone(), None));
                }
                if let Some(record) = plan.live.as_ref().and_then(|l| l.records.get(&key.name)) {
                    problems.push(Problem::Lost {
                        secret: spec.name.clone(),
                        key: key.name.clone(),
                        created: record.created.clone(),
                    });
                    return Ok(None);
                }
            }
            Ok(planned(
                KeyOrigin::Generated,
                fresh(spec, key, generated)?,
                None,
            ))
        }
    }
}

/// A public key follows its private key: computed from it, replaced when it no longer matches.
fn plan_derived(
    spec: &SecretSpec,
    key: &KeySpec,
    plan: &SecretPlan,
    inputs: &PlanInputs<'_>,
    generated: &mut Generated,
) -> Result<Option<PlannedKey>, SecretsError> {
    let Some(private) = key.of.as_deref().and_then(|of| plan.key(of)) else {
        return Ok(None);
    };
    let id = (spec.name.clone(), key.name.clone());
    let fail = |message| SecretsError::Generate {
        secret: spec.name.clone(),
        key: key.name.clone(),
        message,
    };
    let live = plan.live.as_ref().and_then(|l| l.data.get(&key.name));
    let (origin, value) = if key.generator == Some(Generator::SelfSignedCertificateOf) {
        // A certificate is not reproducible (serial, dates): kept while it matches its key.
        let rotate = inputs.rotate.contains(&id);
        match live {
            Some(current) if !rotate && generate::certificate_matches(current, &private.value) => {
                (KeyOrigin::Existing, current.clone())
            }
            _ if !rotate
                && inputs
                    .backed_up
                    .get(&id)
                    .is_some_and(|c| generate::certificate_matches(c, &private.value)) =>
            {
                (KeyOrigin::Restored, inputs.backed_up[&id].clone())
            }
            _ => {
                let value = match generated.get(&id) {
                    Some(value) => value.clone(),
                    None => {
                        let subject = key.subject.as_deref().unwrap_or(&spec.name);
                        let days = key.validity_days.unwrap_or(DEFAULT_CERTIFICATE_DAYS);
                        let value =
                            generate::self_signed_certificate(&private.value, subject, days)
                                .map_err(fail)?;
                        generated.insert(id, value.clone());
                        value
                    }
                };
                let origin = if rotate && live.is_some() {
                    KeyOrigin::Rotated
                } else {
                    KeyOrigin::Derived
                };
                (origin, value)
            }
        }
    } else {
        let value = generate::public_key_of(&private.value).map_err(fail)?;
        let origin = if live == Some(&value) {
            KeyOrigin::Existing
        } else {
            KeyOrigin::Derived
        };
        (origin, value)
    };
    Ok(Some(PlannedKey {
        name: key.name.clone(),
        source: key.source,
        origin,
        previous: live.filter(|_| origin != KeyOrigin::Existing).cloned(),
        value,
        derived: true,
    }))
}

/// Validity of a `selfSignedCertificateOf` key when the catalog gives none.
const DEFAULT_CERTIFICATE_DAYS: u32 = 3650;

fn fresh(
    spec: &SecretSpec,
    key: &KeySpec,
    generated: &mut Generated,
) -> Result<SecretValue, SecretsError> {
    let id = (spec.name.clone(), key.name.clone());
    if let Some(value) = generated.get(&id) {
        return Ok(value.clone());
    }
    let generator = key.generator.ok_or_else(|| SecretsError::Generate {
        secret: spec.name.clone(),
        key: key.name.clone(),
        message: "no generator in the catalog".into(),
    })?;
    let value = generate::generate(generator).map_err(|message| SecretsError::Generate {
        secret: spec.name.clone(),
        key: key.name.clone(),
        message,
    })?;
    generated.insert(id, value.clone());
    Ok(value)
}

/// The annotation's records after this run: kept for unchanged keys, started for new ones,
/// stamped for rotated ones.
fn records(plan: &SecretPlan, now: &str) -> KeyRecords {
    let old = plan
        .live
        .as_ref()
        .map(|l| l.records.clone())
        .unwrap_or_default();
    let mut records = KeyRecords::new();
    for key in &plan.keys {
        let source = match key.source {
            KeySource::Supplied => "supplied",
            KeySource::Generated if key.derived => "derived",
            KeySource::Generated => "generated",
        };
        let previous = old.get(&key.name);
        let record = match (key.origin, previous) {
            (KeyOrigin::Existing | KeyOrigin::Restored, Some(record)) => record.clone(),
            (KeyOrigin::Rotated, Some(record)) | (KeyOrigin::Derived, Some(record)) => KeyRecord {
                rotated: Some(now.to_owned()),
                ..record.clone()
            },
            _ => KeyRecord {
                source: source.to_owned(),
                created: now.to_owned(),
                rotated: None,
            },
        };
        records.insert(key.name.clone(), record);
    }
    records
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
