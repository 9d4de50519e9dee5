//! A Service's load balancer choices (its exposure and type) as the chart wrote them: the
//! shipped defaults leave a Service that chose alone, and a user overlay that changes a
//! choice is reported.

use json_patch::PatchOperation;
use serde_json::Value;

use crate::catalog::{AWS_LOAD_BALANCER_CHOICES, LoadBalancerChoice, OCI_LOAD_BALANCER_CHOICES};
use crate::values::Provider;

/// Where the provider's load balancer controllers read a Service's exposure and type.
#[derive(Debug, Clone, Copy)]
pub(super) struct ExposureGuard {
    choices: &'static [LoadBalancerChoice],
}

/// The value an object has at each of the guard's choices (none where unset), read before
/// any overlay ran.
#[derive(Debug)]
pub(super) struct ChartChoices(Vec<Option<Value>>);

impl ChartChoices {
    /// Whether the chart chose the exposure or the type, in any form.
    pub(super) fn any(&self) -> bool {
        self.0.iter().any(Option::is_some)
    }
}

impl ExposureGuard {
    /// The guard of the controllers that run on `provider`'s clusters.
    pub(super) fn new(provider: Provider) -> ExposureGuard {
        let choices = match provider {
            Provider::Aws => AWS_LOAD_BALANCER_CHOICES,
            Provider::Oci => OCI_LOAD_BALANCER_CHOICES,
        };
        ExposureGuard { choices }
    }

    /// What `object` chose.
    pub(super) fn read(&self, object: &Value) -> ChartChoices {
        ChartChoices(
            self.choices
                .iter()
                .map(|c| object.pointer(c.pointer).cloned())
                .collect(),
        )
    }

    /// Whether the patch writes a choice (so a default with it could decide exposure).
    pub(super) fn writes_a_choice(&self, patch: &[PatchOperation]) -> bool {
        patch.iter().any(|op| {
            let path = op.path().to_string();
            self.choices.iter().any(|c| c.pointer == path)
        })
    }

    /// The choices an overlay changed (`before` → `after`) on an object whose chart chose:
    /// one sentence each, naming the key, the chart's value and the new one.
    pub(super) fn overridden(
        &self,
        chart: &ChartChoices,
        before: &Value,
        after: &Value,
    ) -> Vec<String> {
        if !chart.any() {
            return Vec::new();
        }
        let shown = |v: Option<&Value>| v.map_or_else(|| "unset".to_owned(), Value::to_string);
        let chosen: Vec<String> = self
            .choices
            .iter()
            .zip(&chart.0)
            .filter_map(|(c, v)| v.as_ref().map(|v| format!("{}: {v}", c.key)))
            .collect();
        self.choices
            .iter()
            .zip(&chart.0)
            .filter(|(c, _)| before.pointer(c.pointer) != after.pointer(c.pointer))
            .map(|(c, was)| {
                format!(
                    "{} was {} in the chart, now {} (the chart chose {})",
                    c.key,
                    shown(was.as_ref()),
                    shown(after.pointer(c.pointer)),
                    chosen.join(", ")
                )
            })
            .collect()
    }
}
