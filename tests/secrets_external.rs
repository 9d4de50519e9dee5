//! `kubectl smi secrets external`: External Secrets Operator resources, checked against the
//! operator's own CRD schemas (../shared/data/crds) and pinned by golden files
//! (`UPDATE_GOLDEN=1` rewrites them).

use std::path::PathBuf;

use serde_json::Value;

use crate::support::golden::assert_golden;
use crate::support::{self, example, ok_output, write_file};

fn external(values: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let mut cmd = support::kubectl_smi();
    cmd.args(["secrets", "external"]).args(extra);
    for v in values {
        cmd.arg("-f").arg(v);
    }
    cmd.output().unwrap()
}

/// The v1 openAPIV3Schema of a CRD file of ../shared/data/crds.
fn crd_schema(file: &str) -> Option<Value> {
    let path = support::shared_data(&format!("crds/{file}"))?;
    let text = std::fs::read_to_string(path).unwrap();
    let crd: Value = serde_saphyr::from_str(&text).expect("the CRD reads");
    let version = crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == "v1")?
        .clone();
    Some(version["schema"]["openAPIV3Schema"].clone())
}

/// Fields the API server would drop silently (not in the schema): a typo, for us.
fn unknown_fields(schema: &Value, instance: &Value, path: &str, out: &mut Vec<String>) {
    match instance {
        Value::Object(map) => {
            let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true
                || schema.get("additionalProperties").is_some();
            let Some(properties) = schema["properties"].as_object() else {
                return;
            };
            for (key, value) in map {
                match properties.get(key) {
                    Some(child) => unknown_fields(child, value, &format!("{path}.{key}"), out),
                    None if !preserve => out.push(format!("{path}.{key}")),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                unknown_fields(&schema["items"], item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn assert_valid(objects: &[Value]) {
    let Some(external_secret) = crd_schema("external-secrets.io_externalsecrets.yaml") else {
        return;
    };
    let store = crd_schema("external-secrets.io_secretstores.yaml").unwrap();
    let cluster_store = crd_schema("external-secrets.io_clustersecretstores.yaml").unwrap();
    for object in objects {
        assert_eq!(object["apiVersion"], "external-secrets.io/v1");
        let schema = match object["kind"].as_str().unwrap() {
            "ExternalSecret" => &external_secret,
            "SecretStore" => &store,
            "ClusterSecretStore" => &cluster_store,
            other => panic!("unexpected kind {other}"),
        };
        let validator = jsonschema::validator_for(schema).expect("the CRD schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(object)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} {}: {errors:#?}",
            object["kind"],
            object["metadata"]["name"]
        );
        let mut unknown = Vec::new();
        unknown_fields(schema, object, "", &mut unknown);
        assert!(
            unknown.is_empty(),
            "{} {}: fields the CRD does not have: {unknown:?}",
            object["kind"],
            object["metadata"]["name"]
        );
    }
}

/// The items of a `-o json` List.
fn objects(stdout: &str) -> Vec<Value> {
    let list: Value = serde_json::from_str(stdout).unwrap();
    list["items"].as_array().unwrap().clone()
}

#[test]
fn aws_secrets_manager_resources_read_the_keys_the_aws_backup_writes() {
    let yaml = ok_output(&external(&[example("values-aws.yaml")], &[]));
    assert_golden("secrets-external-aws.yaml", &yaml);

    let json = ok_output(&external(&[example("values-aws.yaml")], &["-o", "json"]));
    let objects = objects(&json);
    assert_eq!(objects.len(), 11, "a SecretStore and ten ExternalSecrets");
    assert_eq!(
        objects[0]["spec"]["provider"]["aws"],
        serde_json::json!({"service": "SecretsManager", "region": "us-east-1"})
    );
    let session = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "smi-session")
        .unwrap();
    assert_eq!(
        session["spec"]["data"][1],
        serde_json::json!({"secretKey": "CSRF_SECRET", "remoteRef": {"key": "smi/prod/smi-session", "property": "CSRF_SECRET"}})
    );
    assert_eq!(session["spec"]["target"]["deletionPolicy"], "Retain");
    assert_valid(&objects);
}

#[test]
fn oci_vault_resources_use_workload_identity() {
    let dir = tempfile::tempdir().unwrap();
    let extra = write_file(
        dir.path(),
        "external.yaml",
        "smi:\n  secrets:\n    external:\n      oci:\n        vaultId: ocid1.vault.oc1.eu-frankfurt-1.aaaa\n        serviceAccount: external-secrets\n",
    );
    let objects = objects(&ok_output(&external(
        &[example("values-oci.yaml"), extra],
        &["-o", "json"],
    )));
    let oracle = &objects[0]["spec"]["provider"]["oracle"];
    assert_eq!(oracle["principalType"], "Workload");
    assert_eq!(oracle["vault"], "ocid1.vault.oc1.eu-frankfurt-1.aaaa");
    assert_eq!(oracle["region"], "eu-frankfurt-1");
    assert!(
        objects[1]["spec"]["data"][0]["remoteRef"]["key"]
            .as_str()
            .unwrap()
            .starts_with("smi-")
    );
    assert_valid(&objects);
}

#[test]
fn a_cluster_secret_store_with_irsa_names_its_service_account_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let extra = write_file(
        dir.path(),
        "external.yaml",
        "smi:\n  secrets:\n    external:\n      store: {name: platform, kind: ClusterSecretStore}\n      keyPrefix: dtp/\n      refreshInterval: 15m\n      aws: {serviceAccount: eso-reader, role: 'arn:aws:iam::123456789012:role/eso'}\n",
    );
    let objects = objects(&ok_output(&external(
        &[example("values-aws.yaml"), extra],
        &["-o", "json", "-n", "dtp"],
    )));
    assert_eq!(objects[0]["kind"], "ClusterSecretStore");
    assert!(objects[0]["metadata"].get("namespace").is_none());
    assert_eq!(
        objects[0]["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"],
        serde_json::json!({"name": "eso-reader", "namespace": "dtp"})
    );
    assert_eq!(
        objects[1]["spec"]["secretStoreRef"],
        serde_json::json!({"name": "platform", "kind": "ClusterSecretStore"})
    );
    assert_eq!(objects[1]["spec"]["refreshInterval"], "15m");
    assert_eq!(objects[1]["metadata"]["namespace"], "dtp");
    assert_eq!(
        objects[1]["spec"]["data"][0]["remoteRef"]["key"],
        "dtp/smi-postgresql"
    );
    assert_valid(&objects);
}

#[test]
fn an_oci_store_without_a_vault_is_refused() {
    let output = external(&[example("values-oci.yaml")], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("smi.secrets.external.oci.vaultId is needed"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn the_schema_check_catches_what_the_operator_would_refuse_or_drop() {
    let Some(schema) = crd_schema("external-secrets.io_externalsecrets.yaml") else {
        return;
    };
    let json = ok_output(&external(&[example("values-aws.yaml")], &["-o", "json"]));
    let mut object = objects(&json)[1].clone();
    object["spec"]["target"]["creationPolicy"] = "Sometimes".into();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&object), "an enum violation is caught");
    object["spec"]["target"]["creationPolicy"] = "Owner".into();
    object["spec"]["data"][0]["remoteREF"] = serde_json::json!({"key": "x"});
    let mut unknown = Vec::new();
    unknown_fields(&schema, &object, "", &mut unknown);
    assert_eq!(unknown, [".spec.data[0].remoteREF"]);
}
