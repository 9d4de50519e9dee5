//! Server-side apply and the ownership bookkeeping of ordinary writes.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::fields::{self, FieldPath, ManagedEntry};

/// Applies `body` for `manager` over `live` (an empty object when creating). Returns the
/// merged object, or the conflicting `(manager, field)` pairs when another manager owns a
/// field the body sets to a different value and `force` is off.
///
/// A manager is its name *and* its operation, as the real server keys managedFields: the
/// entry `kubectl-smi`/`Update` (left by a create, update or merge patch) is another
/// manager than `kubectl-smi`/`Apply`, so an apply by `kubectl-smi` that changes a value
/// its own earlier create set conflicts with it. The manager of a conflict is printed as
/// the real server prints it: `"name"` for an Apply entry, `"name" using v1` for an Update.
pub fn apply(
    live: &Value,
    managers: &mut Vec<ManagedEntry>,
    body: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    now: &str,
) -> Result<Value, Vec<(String, String)>> {
    let applied = fields::leaves(body);
    let mut conflicts = Vec::new();
    for path in &applied {
        let new_value = fields::get(body, path);
        let old_value = fields::get(live, path);
        if old_value.is_none() || old_value == new_value {
            continue;
        }
        for other in managers
            .iter()
            .filter(|e| e.manager != manager || e.operation != "Apply")
        {
            if overlaps(&other.fields, path) {
                conflicts.push((printed_manager(other), fields::display(path)));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        conflicts.sort();
        conflicts.dedup();
        return Err(conflicts);
    }

    let mut merged = live.clone();
    let previously: BTreeSet<FieldPath> = managers
        .iter()
        .find(|e| e.manager == manager && e.operation == "Apply")
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    for dropped in previously.difference(&applied) {
        let owned_elsewhere = managers.iter().any(|e| {
            !(e.manager == manager && e.operation == "Apply") && e.fields.contains(dropped)
        });
        if !owned_elsewhere {
            fields::remove(&mut merged, dropped);
        }
    }
    for path in &applied {
        if let Some(value) = fields::get(body, path) {
            fields::set(&mut merged, path, value.clone());
        }
    }
    for entry in managers.iter_mut() {
        if entry.manager == manager && entry.operation == "Apply" {
            continue;
        }
        // Forced or changed values move to the applier; equal values stay shared.
        entry.fields.retain(|path| {
            !applied.contains(path) || fields::get(live, path) == fields::get(body, path)
        });
    }
    upsert(managers, manager, "Apply", api_version, now, applied);
    managers.retain(|e| !e.fields.is_empty());
    Ok(merged)
}

/// Records an ordinary write (create, update, merge or JSON patch) by `manager`: it takes
/// the fields it changed; fields that disappeared belong to no one any more.
pub fn record_update(
    before: &Value,
    after: &Value,
    managers: &mut Vec<ManagedEntry>,
    manager: &str,
    api_version: &str,
    now: &str,
) {
    let before_leaves = fields::leaves(before);
    let after_leaves = fields::leaves(after);
    let changed: BTreeSet<FieldPath> = after_leaves
        .iter()
        .filter(|p| fields::get(before, p) != fields::get(after, p))
        .cloned()
        .collect();
    let removed: BTreeSet<FieldPath> = before_leaves.difference(&after_leaves).cloned().collect();
    for entry in managers.iter_mut() {
        entry
            .fields
            .retain(|p| !changed.contains(p) && !removed.contains(p));
    }
    if !changed.is_empty() {
        let mut owned = managers
            .iter()
            .find(|e| e.manager == manager && e.operation == "Update")
            .map(|e| e.fields.clone())
            .unwrap_or_default();
        owned.extend(changed);
        upsert(managers, manager, "Update", api_version, now, owned);
    }
    managers.retain(|e| !e.fields.is_empty());
}

/// How the real server names a manager in a conflict (`printManager` of apimachinery's
/// fieldmanager): the time is not part of the manager's identity, so it is not printed.
fn printed_manager(entry: &ManagedEntry) -> String {
    if entry.operation == "Update" {
        format!("\"{}\" using {}", entry.manager, entry.api_version)
    } else {
        format!("\"{}\"", entry.manager)
    }
}

fn overlaps(owned: &BTreeSet<FieldPath>, path: &FieldPath) -> bool {
    owned
        .iter()
        .any(|p| p.starts_with(path) || path.starts_with(p))
}

fn upsert(
    managers: &mut Vec<ManagedEntry>,
    manager: &str,
    operation: &str,
    api_version: &str,
    now: &str,
    fields: BTreeSet<FieldPath>,
) {
    match managers
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == operation)
    {
        Some(entry) => {
            if entry.fields != fields {
                entry.time = now.to_owned();
            }
            entry.fields = fields;
            entry.api_version = api_version.to_owned();
        }
        None => managers.push(ManagedEntry {
            manager: manager.to_owned(),
            operation: operation.to_owned(),
            api_version: api_version.to_owned(),
            time: now.to_owned(),
            fields,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": data})
    }

    #[test]
    fn a_field_dropped_from_the_next_apply_is_removed() {
        let mut managers = Vec::new();
        let first = apply(
            &json!({}),
            &mut managers,
            &secret(json!({"A": "YQ==", "B": "Yg=="})),
            "me",
            false,
            "v1",
            "t",
        )
        .unwrap();
        let second = apply(
            &first,
            &mut managers,
            &secret(json!({"A": "YQ=="})),
            "me",
            false,
            "v1",
            "t",
        )
        .unwrap();
        assert_eq!(second["data"], json!({"A": "YQ=="}));
    }

    #[test]
    fn another_managers_different_value_conflicts_unless_forced() {
        let mut managers = Vec::new();
        let live = secret(json!({"A": "YQ=="}));
        record_update(&json!({}), &live, &mut managers, "kubectl-edit", "v1", "t");
        let err = apply(
            &live,
            &mut managers,
            &secret(json!({"A": "Yg=="})),
            "me",
            false,
            "v1",
            "t",
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![("\"kubectl-edit\" using v1".to_owned(), ".data.A".to_owned())]
        );
        let forced = apply(
            &live,
            &mut managers,
            &secret(json!({"A": "Yg=="})),
            "me",
            true,
            "v1",
            "t",
        )
        .unwrap();
        assert_eq!(forced["data"]["A"], "Yg==");
    }

    #[test]
    fn the_same_name_with_another_operation_is_another_manager() {
        let mut managers = Vec::new();
        let live = secret(json!({"A": "YQ=="}));
        record_update(&json!({}), &live, &mut managers, "me", "v1", "t");
        let err = apply(
            &live,
            &mut managers,
            &secret(json!({"A": "Yg=="})),
            "me",
            false,
            "v1",
            "t",
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![("\"me\" using v1".to_owned(), ".data.A".to_owned())]
        );
    }

    #[test]
    fn the_same_value_is_shared_without_conflict() {
        let mut managers = Vec::new();
        let live = secret(json!({"A": "YQ=="}));
        record_update(
            &json!({}),
            &live,
            &mut managers,
            "kubectl-create",
            "v1",
            "t",
        );
        apply(&live, &mut managers, &live, "me", false, "v1", "t").unwrap();
        assert_eq!(managers.len(), 2);
    }
}
