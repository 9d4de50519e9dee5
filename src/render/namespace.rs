//! The namespace the platform's objects are in, and the one check of it every filter runs.
//!
//! Helm passes a post-renderer no namespace, and charts usually leave `metadata.namespace`
//! out (Helm installs such objects in the release's namespace), so the values' namespace
//! (`smi.namespace`, or `smi.environment`) is where the tool puts what it adds and what those
//! objects select: the Script Worker policy, the ServiceMonitor's `namespaceSelector`, the
//! ACK associations, the HorizontalPodAutoscaler, and the namespace the cloud roles and the
//! secrets are made for. An object the tool keys on that states another namespace would be
//! left out by all of them (a policy that isolates no pod), so it is refused; an object that
//! states none is fine.

use serde_json::Value;

use super::RenderError;
use crate::stream::{ObjectRef, Stream};
use crate::values::Smi;

/// The platform's namespace, from the values: where added objects go, and what the objects
/// the filters key on may state.
#[derive(Debug, Clone)]
pub struct PlatformNamespace {
    /// The namespace.
    name: String,
    /// The values key it comes from: `smi.namespace`, or `smi.environment` when that is unset.
    setting: &'static str,
}

impl PlatformNamespace {
    /// The values' namespace.
    pub fn new(smi: &Smi) -> PlatformNamespace {
        PlatformNamespace {
            name: smi.namespace().to_owned(),
            setting: smi.namespace_setting(),
        }
    }

    /// The namespace, for the objects the tool adds.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses `object`, which the running filter keys on, when it states a namespace other
    /// than the platform's; `consequence` says, given the platform's namespace, what would
    /// miss the object.
    pub fn check(
        &self,
        stream: &mut Stream,
        object: ObjectRef,
        consequence: impl FnOnce(&str) -> String,
    ) -> Result<(), RenderError> {
        match stream.header(object).namespace.as_deref() {
            None => return Ok(()),
            Some(written) if written == self.name => return Ok(()),
            Some(_) => {}
        }
        // The header holds the text as written: `namespace: ~`, `null` or `""` state none.
        let found = match stream.pointer(object, "/metadata/namespace")? {
            Some(Value::String(found)) if !found.is_empty() => found,
            Some(Value::String(_) | Value::Null) | None => return Ok(()),
            Some(other) => other.to_string(),
        };
        if found == self.name {
            return Ok(());
        }
        let expected = &self.name;
        Err(RenderError::Namespace(Box::new(NamespaceMismatch {
            object: stream.header(object).display_name(),
            consequence: consequence(expected),
            hint: format!(
                "if the platform runs in {found}, set smi.namespace: {found} in the values; \
                 otherwise render the chart into {expected} (`helm install -n {expected}`, \
                 or the chart's namespace value if it sets metadata.namespace)"
            ),
            found,
            expected: expected.clone(),
            setting: self.setting,
        })))
    }
}

/// An object a filter keys on states a namespace other than the values' namespace.
#[derive(Debug, thiserror::Error)]
#[error(
    "{object} is in namespace {found}, but the values put the platform in {expected} ({setting}): {consequence}"
)]
pub struct NamespaceMismatch {
    /// The object, as `Kind/namespace/name`.
    pub object: String,
    /// The namespace its `metadata.namespace` states.
    pub found: String,
    /// The values' namespace.
    pub expected: String,
    /// The values key the namespace comes from.
    pub setting: &'static str,
    /// What the tool adds or selects in the values' namespace, which would miss the object.
    pub consequence: String,
    /// What to set, naming both namespaces.
    pub hint: String,
}
