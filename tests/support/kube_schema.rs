//! Validation of rendered objects: core kinds against the Kubernetes API types
//! (k8s-openapi) with unknown-field detection, custom resources against the upstream CRD
//! schemas in ../shared/data/crds/ with unknown fields refused (as `kubectl apply
//! --validate=strict` would).

use serde_json::Value;

/// Problems with one object; empty when it is valid. `None` when there is nothing to check
/// it against (an unknown kind, or the CRDs are absent).
pub fn validate(object: &Value) -> Option<Vec<String>> {
    let api_version = object["apiVersion"].as_str()?;
    let kind = object["kind"].as_str()?;
    match (api_version, kind) {
        ("v1", "ServiceAccount") => {
            Some(core::<k8s_openapi::api::core::v1::ServiceAccount>(object))
        }
        ("v1", "Service") => Some(core::<k8s_openapi::api::core::v1::Service>(object)),
        ("v1", "ConfigMap") => Some(core::<k8s_openapi::api::core::v1::ConfigMap>(object)),
        ("apps/v1", "Deployment") => Some(core::<k8s_openapi::api::apps::v1::Deployment>(object)),
        ("batch/v1", "Job") => Some(core::<k8s_openapi::api::batch::v1::Job>(object)),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => Some(core::<
            k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
        >(object)),
        ("networking.k8s.io/v1", "NetworkPolicy") => Some(core::<
            k8s_openapi::api::networking::v1::NetworkPolicy,
        >(object)),
        ("networking.k8s.io/v1", "Ingress") => {
            Some(core::<k8s_openapi::api::networking::v1::Ingress>(object))
        }
        ("crd.projectcalico.org/v1", "NetworkPolicy") => {
            crd("crd.projectcalico.org_networkpolicies.yaml", object)
        }
        ("monitoring.coreos.com/v1", "ServiceMonitor") => {
            crd("monitoring.coreos.com_servicemonitors.yaml", object)
        }
        ("eks.services.k8s.aws/v1alpha1", "PodIdentityAssociation") => {
            crd("eks.services.k8s.aws_podidentityassociations.yaml", object)
        }
        _ => None,
    }
}

fn core<T: serde::de::DeserializeOwned>(object: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let result: Result<T, _> =
        serde_ignored::deserialize(object, |path| unknown.push(path.to_string()));
    let mut problems: Vec<String> = unknown
        .into_iter()
        .filter(|p| p != "apiVersion" && p != "kind")
        .map(|p| format!("unknown field {p}"))
        .collect();
    if let Err(e) = result {
        problems.push(e.to_string());
    }
    problems
}

fn crd(file: &str, object: &Value) -> Option<Vec<String>> {
    let path = super::shared_data(&format!("crds/{file}"))?;
    let text = std::fs::read_to_string(path).ok()?;
    let crd: Value = serde_saphyr::from_str(&text).expect("a CRD");
    let version = object["apiVersion"].as_str()?.rsplit('/').next()?;
    let schema = crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == version)?["schema"]["openAPIV3Schema"]
        .clone();
    let mut schema = schema;
    refuse_unknown_fields(&mut schema);
    let validator = jsonschema::draft4::new(&schema).expect("the CRD schema compiles");
    Some(
        validator
            .iter_errors(object)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect(),
    )
}

/// Structural schemas silently prune unknown fields; refuse them instead, except where the
/// schema preserves them.
fn refuse_unknown_fields(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserves {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        // metadata is validated by the API server itself, not the CRD schema.
        props.values_mut().for_each(refuse_unknown_fields);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            refuse_unknown_fields(child);
        }
    }
    for key in ["anyOf", "allOf", "oneOf"] {
        if let Some(Value::Array(list)) = map.get_mut(key) {
            list.iter_mut().for_each(refuse_unknown_fields);
        }
    }
}
