//! Admission after validation, as the real server runs it for the objects this double
//! stores: validating admission webhooks (registered by the test, answered in-process), then
//! ResourceQuota's `count/<resource>`.

use std::sync::Arc;

use serde_json::Value;

use crate::faults::Verb;
use crate::status::Failure;

/// A webhook's `sideEffects` (admissionregistration.k8s.io/v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideEffects {
    /// `None`: safe to call on dry runs.
    None,
    /// `NoneOnDryRun`: safe to call on dry runs.
    NoneOnDryRun,
    /// `Some`: the API server answers every dry run it matches with 400.
    Some,
    /// `Unknown`: the API server answers every dry run it matches with 400.
    Unknown,
}

impl SideEffects {
    /// Whether the real server may call the webhook for a dry run
    /// (`webhookerrors.NewDryRunUnsupportedErr` otherwise).
    pub fn allows_dry_run(self) -> bool {
        matches!(self, SideEffects::None | SideEffects::NoneOnDryRun)
    }
}

/// The decision function of a webhook: `Ok(())` admits, `Err((code, message))` refuses.
pub type Verdict = Arc<dyn Fn(&Value) -> Result<(), (u16, String)> + Send + Sync>;

/// A validating admission webhook, as a `ValidatingWebhookConfiguration` entry would
/// declare it: its name, the resources and operations its rules match, its `sideEffects`,
/// and what it answers (a Rust function instead of an HTTPS service).
///
/// ```
/// use fake_apiserver::{SideEffects, Verb, Webhook};
/// let _ = Webhook::validating("secrets.policy.example.com")
///     .resource("secrets")
///     .operations(&[Verb::Create])
///     .side_effects(SideEffects::None)
///     .refuse(403, "secrets in this namespace need the label team");
/// ```
#[derive(Clone)]
pub struct Webhook {
    pub(crate) name: String,
    resources: Vec<String>,
    operations: Vec<Verb>,
    pub(crate) side_effects: SideEffects,
    verdict: Verdict,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Webhook({})", self.name)
    }
}

impl Webhook {
    /// A webhook that matches every resource on create and update, `sideEffects: None`,
    /// and admits everything until told otherwise.
    pub fn validating(name: &str) -> Self {
        Webhook {
            name: name.to_owned(),
            resources: Vec::new(),
            operations: vec![Verb::Create, Verb::Update],
            side_effects: SideEffects::None,
            verdict: Arc::new(|_| Ok(())),
        }
    }

    /// Only this resource (`secrets`, `deployments.apps`); may be given several times.
    pub fn resource(mut self, resource: &str) -> Self {
        self.resources.push(resource.to_owned());
        self
    }

    /// The admission operations it matches: [`Verb::Create`] (a POST, or an apply that
    /// creates) and [`Verb::Update`] (a PUT or PATCH of an existing object).
    pub fn operations(mut self, operations: &[Verb]) -> Self {
        self.operations = operations.to_vec();
        self
    }

    /// Its `sideEffects`.
    pub fn side_effects(mut self, side_effects: SideEffects) -> Self {
        self.side_effects = side_effects;
        self
    }

    /// Refuses every request it matches with `code` and `message`.
    pub fn refuse(self, code: u16, message: &str) -> Self {
        let message = message.to_owned();
        self.decide(move |_| Err((code, message.clone())))
    }

    /// Decides with `verdict`, called with the object as it would be stored.
    pub fn decide(
        mut self,
        verdict: impl Fn(&Value) -> Result<(), (u16, String)> + Send + Sync + 'static,
    ) -> Self {
        self.verdict = Arc::new(verdict);
        self
    }

    fn matches(&self, group: &str, plural: &str, creating: bool) -> bool {
        let operation = if creating { Verb::Create } else { Verb::Update };
        let qualified = if group.is_empty() {
            plural.to_owned()
        } else {
            format!("{plural}.{group}")
        };
        self.operations.contains(&operation)
            && (self.resources.is_empty()
                || self.resources.iter().any(|r| *r == qualified || r == "*"))
    }
}

/// Runs the webhooks that match, in order: a dry run they cannot take is refused with 400
/// before any is called; else the first refusal answers.
pub fn validate(
    webhooks: &[Webhook],
    group: &str,
    plural: &str,
    object: &Value,
    creating: bool,
    dry_run: bool,
) -> Result<(), Failure> {
    for webhook in webhooks
        .iter()
        .filter(|w| w.matches(group, plural, creating))
    {
        if dry_run && !webhook.side_effects.allows_dry_run() {
            return Err(Failure::webhook_no_dry_run(&webhook.name));
        }
        if let Err((code, message)) = (webhook.verdict)(object) {
            return Err(Failure::webhook_denied(&webhook.name, code, &message));
        }
    }
    Ok(())
}

/// ResourceQuota's object count: a create is refused when a quota of the namespace limits
/// `count/<resource>` and as many objects exist already. Dry runs are checked the same way
/// and consume nothing (the count is of stored objects).
pub fn check_quota(
    quotas: &[Value],
    qualified: &str,
    existing: usize,
    resource: &str,
    group: &str,
    name: &str,
) -> Result<(), Failure> {
    let counted = format!("count/{qualified}");
    for quota in quotas {
        let Some(hard) = quota["spec"]["hard"][&counted]
            .as_str()
            .and_then(|h| h.parse::<usize>().ok())
            .or_else(|| quota["spec"]["hard"][&counted].as_u64().map(|h| h as usize))
        else {
            continue;
        };
        if existing + 1 > hard {
            let quota_name = quota["metadata"]["name"].as_str().unwrap_or("");
            return Err(Failure::admission_forbidden(
                resource,
                group,
                name,
                &format!(
                    "exceeded quota: {quota_name}, requested: {counted}=1, used: {counted}={existing}, limited: {counted}={hard}"
                ),
            ));
        }
    }
    Ok(())
}
