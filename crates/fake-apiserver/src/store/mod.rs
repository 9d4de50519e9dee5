//! The objects, their resourceVersions and owners, and the verbs that change them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::admission;
use crate::apply;
use crate::fields::{self, ManagedEntry};
use crate::resources::{self, ResourceType};
use crate::status::Failure;
use crate::webhooks::{self, Webhook};

mod patch;

/// Where a request points: a resource type, a namespace ("" for cluster scope or all
/// namespaces), and a name for single-object verbs.
#[derive(Debug, Clone)]
pub struct Target {
    pub rtype: ResourceType,
    pub namespace: String,
    pub name: String,
}

/// Options of a write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub field_manager: String,
    pub force: bool,
    /// A test's own seeding or editing (`Handle::insert`, `Handle::edit`): admission
    /// (namespace lifecycle, service accounts, webhooks, quota) is skipped and a given
    /// namespace `status` is kept, as if the cluster had been in that state already.
    pub seed: bool,
}

/// The patch formats the API server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Apply,
    Merge,
    Strategic,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ObjectKey {
    group: String,
    plural: String,
    namespace: String,
    name: String,
}

#[derive(Debug, Clone)]
struct Stored {
    object: Value,
    managers: Vec<ManagedEntry>,
}

/// A write's result: the HTTP code, the object, and whether the store changed.
pub struct Written {
    pub code: u16,
    pub object: Value,
    pub changed: bool,
}

/// Everything the server holds.
#[derive(Debug)]
pub struct Store {
    pub types: Vec<ResourceType>,
    /// Validating admission webhooks, in the order registered.
    pub webhooks: Vec<Webhook>,
    objects: BTreeMap<ObjectKey, Stored>,
    resource_version: u64,
    uid: u64,
}

impl Store {
    pub fn new() -> Self {
        let mut store = Store {
            types: resources::builtin(),
            webhooks: Vec::new(),
            objects: BTreeMap::new(),
            resource_version: 100,
            uid: 0,
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let target = store
                .target("namespaces", "", ns)
                .expect("namespaces are built in");
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = store.create(
                &target,
                body,
                &WriteOptions {
                    field_manager: "kube-apiserver".into(),
                    seed: true,
                    ..Default::default()
                },
            );
            store.ensure_default_service_account(ns);
        }
        store
    }

    /// What kube-controller-manager's service account controller does for every namespace:
    /// a `default` ServiceAccount (nothing when it exists or the namespace is gone).
    pub fn ensure_default_service_account(&mut self, namespace: &str) {
        let Some(target) = self.target("serviceaccounts", namespace, "default") else {
            return;
        };
        if self.objects.contains_key(&Self::key(&target, "default"))
            || self.namespace(namespace).is_none()
        {
            return;
        }
        let body = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "default", "namespace": namespace}});
        let _ = self.create(
            &target,
            body,
            &WriteOptions {
                field_manager: "kube-controller-manager".into(),
                seed: true,
                ..Default::default()
            },
        );
    }

    /// The stored namespace of that name.
    fn namespace(&self, name: &str) -> Option<&Value> {
        self.objects
            .get(&ObjectKey {
                group: String::new(),
                plural: "namespaces".into(),
                namespace: String::new(),
                name: name.to_owned(),
            })
            .map(|s| &s.object)
    }

    /// What the namespace controller does once a Terminating namespace's content is gone:
    /// removes every namespace being deleted, with everything still in it. Returns their
    /// names.
    pub fn finalize_namespaces(&mut self) -> Vec<String> {
        let terminating: Vec<String> = self
            .objects
            .iter()
            .filter(|(k, s)| {
                k.plural == "namespaces"
                    && k.group.is_empty()
                    && s.object["status"]["phase"] == "Terminating"
            })
            .map(|(k, _)| k.name.clone())
            .collect();
        for name in &terminating {
            self.objects.retain(|k, _| {
                k.namespace != *name
                    && !(k.plural == "namespaces" && k.group.is_empty() && k.name == *name)
            });
            self.resource_version += 1;
        }
        terminating
    }

    /// The resource type named `plural` or `plural.group` (any served version).
    pub fn find_type(&self, resource: &str) -> Option<&ResourceType> {
        let (plural, group) = resource.split_once('.').unwrap_or((resource, ""));
        self.types
            .iter()
            .find(|t| t.plural == plural && t.group == group)
    }

    pub fn target(&self, resource: &str, namespace: &str, name: &str) -> Option<Target> {
        self.find_type(resource).map(|rtype| Target {
            rtype: rtype.clone(),
            namespace: if rtype.namespaced {
                namespace.to_owned()
            } else {
                String::new()
            },
            name: name.to_owned(),
        })
    }

    fn key(target: &Target, name: &str) -> ObjectKey {
        ObjectKey {
            group: target.rtype.group.clone(),
            plural: target.rtype.plural.clone(),
            namespace: target.namespace.clone(),
            name: name.to_owned(),
        }
    }

    fn render(target: &Target, stored: &Stored) -> Value {
        let mut object = fields::with_managed_fields(&stored.object, &stored.managers);
        object["apiVersion"] = json!(target.rtype.api_version());
        object
    }

    pub fn get(&self, target: &Target) -> Result<Value, Failure> {
        self.objects
            .get(&Self::key(target, &target.name))
            .map(|stored| Self::render(target, stored))
            .ok_or_else(|| not_found(target))
    }

    /// A list, filtered by label and field selectors (already parsed).
    pub fn list(&self, target: &Target, keep: impl Fn(&Value) -> bool) -> Value {
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|(k, _)| k.group == target.rtype.group && k.plural == target.rtype.plural)
            .filter(|(k, _)| target.namespace.is_empty() || k.namespace == target.namespace)
            .map(|(_, stored)| Self::render(target, stored))
            .filter(|object| keep(object))
            .collect();
        json!({
            "apiVersion": target.rtype.api_version(),
            "kind": format!("{}List", target.rtype.kind),
            "metadata": {"resourceVersion": self.resource_version.to_string()},
            "items": items,
        })
    }

    pub fn create(
        &mut self,
        target: &Target,
        mut body: Value,
        options: &WriteOptions,
    ) -> Result<Written, Failure> {
        admission::check_identity(target, &body)?;
        let name = match body["metadata"]["name"].as_str() {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => match body["metadata"]["generateName"].as_str() {
                Some(prefix) => {
                    self.uid += 1;
                    format!("{prefix}{:05x}", self.uid)
                }
                None => {
                    return Err(Failure::invalid(
                        &target.rtype.kind,
                        &target.rtype.group,
                        "",
                        &[(
                            "metadata.name".into(),
                            "Required value: name or generateName is required".into(),
                        )],
                    ));
                }
            },
        };
        body["metadata"]["name"] = json!(name);
        let target = Target {
            name: name.clone(),
            ..target.clone()
        };
        self.require_namespace(&target)?;
        if !options.seed {
            self.refuse_terminating(&target)?;
            if target.rtype.group.is_empty() && target.rtype.plural == "pods" {
                self.admit_service_account(&target, &mut body)?;
            }
        }
        if self.objects.contains_key(&Self::key(&target, &name)) {
            return Err(Failure::already_exists(
                &target.rtype.plural,
                &target.rtype.group,
                &name,
            ));
        }
        let mut managers = Vec::new();
        let object = admission::admit(&target, body, None, options.seed)?;
        apply::record_update(
            &json!({}),
            &object,
            &mut managers,
            &options.field_manager,
            &target.rtype.api_version(),
            &admission::now(),
        );
        self.store(&target, None, object, managers, options, 201)
    }

    pub fn update(
        &mut self,
        target: &Target,
        body: Value,
        options: &WriteOptions,
    ) -> Result<Written, Failure> {
        admission::check_identity(target, &body)?;
        let current = self.existing(target)?;
        match body["metadata"]["resourceVersion"].as_str() {
            None | Some("") => {
                return Err(Failure::invalid(
                    &target.rtype.kind,
                    &target.rtype.group,
                    &target.name,
                    &[(
                        "metadata.resourceVersion".into(),
                        "Invalid value: 0x0: must be specified for an update".into(),
                    )],
                ));
            }
            Some(rv) if rv != current.object["metadata"]["resourceVersion"] => {
                return Err(conflict(target));
            }
            Some(_) => {}
        }
        let mut managers = current.managers.clone();
        let object = admission::admit(target, body, Some(&current.object), false)?;
        apply::record_update(
            &current.object,
            &object,
            &mut managers,
            &options.field_manager,
            &target.rtype.api_version(),
            &admission::now(),
        );
        self.store(target, Some(current), object, managers, options, 200)
    }

    pub fn delete(&mut self, target: &Target, dry_run: bool) -> Result<Value, Failure> {
        let key = Self::key(target, &target.name);
        let stored = self
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| not_found(target))?;
        let is_namespace = target.rtype.plural == "namespaces" && target.rtype.group.is_empty();
        if is_namespace && stored.object["status"]["phase"] == "Terminating" {
            return Err(Failure::conflict_because(
                "namespaces",
                &target.name,
                "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
            ));
        }
        if dry_run {
            return Ok(Self::render(target, &stored));
        }
        if is_namespace {
            // Graceful: the namespace is marked and stays, with its content, until the
            // namespace controller has emptied it (`finalize_namespaces`).
            let mut stored = stored;
            stored.object["metadata"]["deletionTimestamp"] = json!(admission::now());
            stored.object["status"] = json!({"phase": "Terminating"});
            self.resource_version += 1;
            stored.object["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
            let rendered = Self::render(target, &stored);
            self.objects.insert(key, stored);
            return Ok(rendered);
        }
        self.objects.remove(&key);
        self.resource_version += 1;
        if target.rtype.plural == "customresourcedefinitions" {
            let gone = resources::from_crd(&stored.object);
            self.types.retain(|t| !gone.contains(t));
        }
        Ok(crate::status::success(
            &target.rtype.plural,
            &target.rtype.group,
            &target.name,
        ))
    }

    /// Changes an object directly, as another client (`manager`) would with an update.
    pub fn edit(
        &mut self,
        target: &Target,
        manager: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<Value, Failure> {
        let current = self.existing(target)?;
        let mut edited = current.object.clone();
        change(&mut edited);
        let options = WriteOptions {
            field_manager: manager.to_owned(),
            seed: true,
            ..Default::default()
        };
        let mut managers = current.managers.clone();
        let object = admission::admit(target, edited, Some(&current.object), true)?;
        apply::record_update(
            &current.object,
            &object,
            &mut managers,
            manager,
            &target.rtype.api_version(),
            &admission::now(),
        );
        self.store(target, Some(current), object, managers, &options, 200)
            .map(|w| w.object)
    }

    fn existing(&self, target: &Target) -> Result<Stored, Failure> {
        self.objects
            .get(&Self::key(target, &target.name))
            .cloned()
            .ok_or_else(|| not_found(target))
    }

    /// The NamespaceLifecycle admission plugin: no new object in a namespace being deleted.
    pub(crate) fn refuse_terminating(&self, target: &Target) -> Result<(), Failure> {
        if !target.rtype.namespaced {
            return Ok(());
        }
        match self.namespace(&target.namespace) {
            Some(ns) if ns["status"]["phase"] == "Terminating" => {
                Err(Failure::namespace_terminating(
                    &target.rtype.plural,
                    &target.rtype.group,
                    &target.name,
                    &target.namespace,
                ))
            }
            _ => Ok(()),
        }
    }

    /// The ServiceAccount admission plugin: a pod runs as `spec.serviceAccountName`
    /// (`default` when unset, and written so), which must exist.
    fn admit_service_account(&self, target: &Target, pod: &mut Value) -> Result<(), Failure> {
        let account = pod["spec"]["serviceAccountName"]
            .as_str()
            .filter(|a| !a.is_empty())
            .unwrap_or("default")
            .to_owned();
        if pod["spec"].is_object() {
            pod["spec"]["serviceAccountName"] = json!(account);
            pod["spec"]["serviceAccount"] = json!(account);
        }
        let exists = self
            .target("serviceaccounts", &target.namespace, &account)
            .is_some_and(|t| self.objects.contains_key(&Self::key(&t, &account)));
        if exists {
            return Ok(());
        }
        // The name is not known yet for a generateName create (admission runs before it).
        let name = pod["metadata"]["name"].as_str().unwrap_or("");
        Err(Failure::admission_forbidden(
            &target.rtype.plural,
            &target.rtype.group,
            if pod["metadata"]["generateName"].is_string() {
                ""
            } else {
                name
            },
            &format!(
                "error looking up service account {}/{account}: serviceaccount \"{account}\" not found",
                target.namespace
            ),
        ))
    }

    fn require_namespace(&self, target: &Target) -> Result<(), Failure> {
        if !target.rtype.namespaced {
            return Ok(());
        }
        let key = ObjectKey {
            group: String::new(),
            plural: "namespaces".into(),
            namespace: String::new(),
            name: target.namespace.clone(),
        };
        if self.objects.contains_key(&key) {
            Ok(())
        } else {
            Err(Failure::not_found("namespaces", "", &target.namespace))
        }
    }

    fn store(
        &mut self,
        target: &Target,
        current: Option<Stored>,
        mut object: Value,
        managers: Vec<ManagedEntry>,
        options: &WriteOptions,
        code: u16,
    ) -> Result<Written, Failure> {
        if !options.seed {
            self.validating_admission(target, &object, current.is_none(), options.dry_run)?;
        }
        let unchanged = current.as_ref().is_some_and(|c| {
            c.object == object
                && c.managers
                    .iter()
                    .map(|m| (&m.manager, &m.operation, &m.fields))
                    .eq(managers
                        .iter()
                        .map(|m| (&m.manager, &m.operation, &m.fields)))
        });
        if unchanged {
            let current = current.expect("checked above");
            return Ok(Written {
                code,
                object: Self::render(target, &current),
                changed: false,
            });
        }
        if current.is_none() {
            self.uid += 1;
            object["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.uid));
            object["metadata"]["creationTimestamp"] = json!(admission::now());
        }
        let stored = Stored { object, managers };
        if options.dry_run {
            let mut rendered = Self::render(target, &stored);
            if current.is_none() {
                rendered["metadata"]
                    .as_object_mut()
                    .map(|m| m.remove("resourceVersion"));
            }
            return Ok(Written {
                code,
                object: rendered,
                changed: false,
            });
        }
        self.resource_version += 1;
        let mut stored = stored;
        stored.object["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
        if target.rtype.plural == "customresourcedefinitions" {
            for t in resources::from_crd(&stored.object) {
                if !self.types.contains(&t) {
                    self.types.push(t);
                }
            }
        }
        let rendered = Self::render(target, &stored);
        self.objects.insert(Self::key(target, &target.name), stored);
        Ok(Written {
            code,
            object: rendered,
            changed: true,
        })
    }

    /// Validating admission after the object's own validation: webhooks, then
    /// ResourceQuota's object count (creates only).
    fn validating_admission(
        &self,
        target: &Target,
        object: &Value,
        creating: bool,
        dry_run: bool,
    ) -> Result<(), Failure> {
        webhooks::validate(
            &self.webhooks,
            &target.rtype.group,
            &target.rtype.plural,
            object,
            creating,
            dry_run,
        )?;
        if !creating || !target.rtype.namespaced {
            return Ok(());
        }
        let quotas: Vec<Value> = self
            .objects
            .iter()
            .filter(|(k, _)| {
                k.plural == "resourcequotas"
                    && k.group.is_empty()
                    && k.namespace == target.namespace
            })
            .map(|(_, s)| s.object.clone())
            .collect();
        if quotas.is_empty() {
            return Ok(());
        }
        let existing = self
            .objects
            .keys()
            .filter(|k| {
                k.plural == target.rtype.plural
                    && k.group == target.rtype.group
                    && k.namespace == target.namespace
            })
            .count();
        webhooks::check_quota(
            &quotas,
            &target.rtype.qualified(),
            existing,
            &target.rtype.plural,
            &target.rtype.group,
            &target.name,
        )
    }

    /// The current resourceVersion of the whole store.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }
}

fn not_found(target: &Target) -> Failure {
    Failure::not_found(&target.rtype.plural, &target.rtype.group, &target.name)
}

fn conflict(target: &Target) -> Failure {
    Failure::conflict(&target.rtype.qualified(), &target.rtype.group, &target.name)
}
