//! PATCH: server-side apply, JSON merge (and strategic merge, treated as a JSON merge: no
//! built-in type this double serves has a list merged by key), and JSON patch.

use serde_json::{Value, json};

use super::{PatchKind, Store, Target, WriteOptions, Written, conflict, not_found};
use crate::admission;
use crate::apply;
use crate::status::Failure;

impl Store {
    pub fn patch(
        &mut self,
        target: &Target,
        kind: PatchKind,
        patch: Value,
        options: &WriteOptions,
    ) -> Result<Written, Failure> {
        let current = self.objects.get(&Self::key(target, &target.name)).cloned();
        // The store compares a resourceVersion precondition with the stored object only: an
        // apply of an object that is gone creates it (201) and no version is compared
        // (registry/generic/registry/store.go, Update with forceAllowCreate); any other patch
        // of it is 404.
        if let (Some(rv), Some(current)) = (patch["metadata"]["resourceVersion"].as_str(), &current)
            && current.object["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err(conflict(target));
        }
        if kind != PatchKind::Apply {
            let current = current.ok_or_else(|| not_found(target))?;
            let mut patched = current.object.clone();
            match kind {
                PatchKind::Json => {
                    let ops: json_patch::Patch = serde_json::from_value(patch)
                        .map_err(|e| Failure::bad_request(format!("invalid JSON patch: {e}")))?;
                    json_patch::patch(&mut patched, &ops).map_err(|e| {
                        Failure::invalid(
                            &target.rtype.kind,
                            &target.rtype.group,
                            &target.name,
                            &[("".into(), e.to_string())],
                        )
                    })?;
                }
                _ => json_patch::merge(&mut patched, &patch),
            }
            let mut managers = current.managers.clone();
            let object = admission::admit(target, patched, Some(&current.object), false)?;
            apply::record_update(
                &current.object,
                &object,
                &mut managers,
                &options.field_manager,
                &target.rtype.api_version(),
                &admission::now(),
            );
            return self.store(target, Some(current), object, managers, options, 200);
        }
        admission::check_identity(target, &patch)?;
        if options.field_manager.is_empty() {
            return Err(Failure::bad_request(
                "PATCH, PUT, POST requests with Content-Type application/apply-patch+yaml must specify the fieldManager query parameter",
            ));
        }
        self.require_namespace(target)?;
        if current.is_none() && !options.seed {
            self.refuse_terminating(target)?;
        }
        let mut patch = patch;
        if current.is_none() {
            // Created: the version of an object that is gone means nothing.
            patch["metadata"]
                .as_object_mut()
                .map(|m| m.remove("resourceVersion"));
        }
        let base = match &current {
            Some(c) => c.object.clone(),
            None => {
                json!({"apiVersion": target.rtype.api_version(), "kind": target.rtype.kind, "metadata": {"name": target.name}})
            }
        };
        let mut managers = current
            .as_ref()
            .map(|c| c.managers.clone())
            .unwrap_or_default();
        let merged = apply::apply(
            &base,
            &mut managers,
            &patch,
            &options.field_manager,
            options.force,
            &target.rtype.api_version(),
            &admission::now(),
        )
        .map_err(|conflicts| {
            Failure::apply_conflicts(
                &target.rtype.plural,
                &target.rtype.group,
                &target.name,
                &conflicts,
            )
        })?;
        let code = if current.is_some() { 200 } else { 201 };
        let old = current.as_ref().map(|c| &c.object);
        let object = admission::admit(target, merged, old, false)?;
        self.store(target, current, object, managers, options, code)
    }
}
