//! The resource types the server knows: what discovery lists and what the REST paths accept.
//! Custom resources join the list when their CustomResourceDefinition is stored.

use serde_json::{Value, json};

/// One REST resource (`secrets`, `daemonsets`, ...), as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// The API group; empty for the core group (`/api/v1`).
    pub group: String,
    /// The API version, e.g. `v1`.
    pub version: String,
    /// The plural name used in paths.
    pub plural: String,
    /// The kind of its objects, e.g. `Secret`.
    pub kind: String,
    /// Whether its objects live in namespaces.
    pub namespaced: bool,
    /// kubectl's abbreviations (`ds`, `crd`).
    pub short_names: Vec<String>,
}

impl ResourceType {
    /// A resource type with no short names (add them with [`ResourceType::short`]).
    pub fn new(group: &str, version: &str, plural: &str, kind: &str, namespaced: bool) -> Self {
        ResourceType {
            group: group.to_owned(),
            version: version.to_owned(),
            plural: plural.to_owned(),
            kind: kind.to_owned(),
            namespaced,
            short_names: Vec::new(),
        }
    }

    /// The same type with kubectl's abbreviations.
    pub fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// `v1` or `group/version`, as written in an object's apiVersion.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `secrets` or `daemonsets.apps`: how Kubernetes names the resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Whether writes to this resource are reviews answered at once, never stored.
    pub fn is_review(&self) -> bool {
        self.group == "authorization.k8s.io"
    }

    fn discovery_entry(&self) -> Value {
        let verbs: &[&str] = if self.is_review() {
            &["create"]
        } else {
            &["create", "delete", "get", "list", "patch", "update"]
        };
        json!({
            "name": self.plural,
            "singularName": self.kind.to_lowercase(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": verbs,
            "shortNames": self.short_names,
        })
    }
}

/// The resources a fresh server knows: enough for the platform's commands (secrets,
/// preflight) and for kubectl's own discovery.
pub fn builtin() -> Vec<ResourceType> {
    let r = ResourceType::new;
    vec![
        r("", "v1", "namespaces", "Namespace", false).short(&["ns"]),
        r("", "v1", "secrets", "Secret", true),
        r("", "v1", "configmaps", "ConfigMap", true).short(&["cm"]),
        r("", "v1", "serviceaccounts", "ServiceAccount", true).short(&["sa"]),
        r("", "v1", "resourcequotas", "ResourceQuota", true).short(&["quota"]),
        r("", "v1", "services", "Service", true).short(&["svc"]),
        r("", "v1", "pods", "Pod", true).short(&["po"]),
        r("", "v1", "nodes", "Node", false).short(&["no"]),
        r("apps", "v1", "deployments", "Deployment", true).short(&["deploy"]),
        r("apps", "v1", "daemonsets", "DaemonSet", true).short(&["ds"]),
        r("apps", "v1", "statefulsets", "StatefulSet", true).short(&["sts"]),
        r(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "NetworkPolicy",
            true,
        )
        .short(&["netpol"]),
        r(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
        )
        .short(&["crd", "crds"]),
        r(
            "apiregistration.k8s.io",
            "v1",
            "apiservices",
            "APIService",
            false,
        ),
        r(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "SelfSubjectAccessReview",
            false,
        ),
    ]
}

/// The resource types a CustomResourceDefinition declares (one per served version).
pub fn from_crd(crd: &Value) -> Vec<ResourceType> {
    let spec = &crd["spec"];
    let (Some(group), Some(plural), Some(kind)) = (
        spec["group"].as_str(),
        spec["names"]["plural"].as_str(),
        spec["names"]["kind"].as_str(),
    ) else {
        return Vec::new();
    };
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let short: Vec<&str> = spec["names"]["shortNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .collect();
    spec["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["served"].as_bool().unwrap_or(true))
        .filter_map(|v| v["name"].as_str())
        .map(|version| ResourceType::new(group, version, plural, kind, namespaced).short(&short))
        .collect()
}

/// `GET /api`.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}
    ]})
}

/// `GET /apis`: every group with its versions.
pub fn group_list(types: &[ResourceType]) -> Value {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for t in types.iter().filter(|t| !t.group.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, versions)) if !versions.contains(&t.version) => {
                versions.push(t.version.clone())
            }
            Some(_) => {}
            None => groups.push((t.group.clone(), vec![t.version.clone()])),
        }
    }
    let groups: Vec<Value> = groups.iter().map(|(g, v)| group_entry(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`.
pub fn group(types: &[ResourceType], group: &str) -> Option<Value> {
    let mut versions: Vec<String> = Vec::new();
    for t in types.iter().filter(|t| t.group == group) {
        if !versions.contains(&t.version) {
            versions.push(t.version.clone());
        }
    }
    if versions.is_empty() {
        return None;
    }
    let mut entry = group_entry(group, &versions);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({"name": group, "versions": versions.clone(), "preferredVersion": versions[0]})
}

/// `GET /api/v1` or `GET /apis/<group>/<version>`.
pub fn resource_list(types: &[ResourceType], group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = types
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .map(ResourceType::discovery_entry)
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}
