//! The schema keywords the derive cannot infer from the types (model.rs names them with
//! `#[schemars(transform = ...)]`): the formats of `format/` on string fields, and the rules
//! that tie one field to another.

use schemars::Schema;

use super::format;

pub(super) fn environment(s: &mut Schema) {
    format::DNS_LABEL.apply(s);
    // `scriptmanager-<environment>` is a label value: 63 characters at most.
    s.insert("maxLength".into(), (63 - "scriptmanager-".len()).into());
}
pub(super) fn dns_label(s: &mut Schema) {
    format::DNS_LABEL.apply(s)
}
pub(super) fn dns_name(s: &mut Schema) {
    format::DNS_NAME.apply(s)
}
pub(super) fn host(s: &mut Schema) {
    format::HOST.apply(s)
}
/// A list of `host:port`, or the same in one comma-separated string (Kafka's
/// `bootstrap.servers` form): `items` and `minItems` apply to a list, `pattern` to a string,
/// so Helm's validator and ours read one schema the same way.
pub(super) fn host_port_list(s: &mut Schema) {
    format::HOST_PORT.apply(s);
    s.insert("type".into(), serde_json::json!(["array", "string"]));
    for (key, value) in format::HOST_PORT_LIST.keywords() {
        s.insert(key, value);
    }
}
pub(super) fn label_value(s: &mut Schema) {
    format::LABEL_VALUE.apply(s)
}
/// A label selector's `matchLabels`: at least one label, each value a label value (an
/// empty selector would select every pod of the namespace).
pub(super) fn label_selector(s: &mut Schema) {
    if let Some(values) = s
        .get_mut("additionalProperties")
        .and_then(|v| <&mut Schema>::try_from(v).ok())
    {
        format::LABEL_VALUE.apply(values);
    }
    s.insert("minProperties".into(), 1.into());
}
pub(super) fn duration(s: &mut Schema) {
    format::DURATION.apply(s)
}
pub(super) fn cidrs(s: &mut Schema) {
    format::CIDR.apply(s)
}
pub(super) fn aws_region(s: &mut Schema) {
    format::AWS_REGION.apply(s)
}
pub(super) fn aws_account_id(s: &mut Schema) {
    format::AWS_ACCOUNT_ID.apply(s)
}
pub(super) fn eks_cluster_name(s: &mut Schema) {
    format::EKS_CLUSTER_NAME.apply(s)
}
pub(super) fn iam_role_prefix(s: &mut Schema) {
    format::IAM_ROLE_PREFIX.apply(s)
}
pub(super) fn kms_key_arns(s: &mut Schema) {
    format::KMS_KEY_ARN.apply(s)
}
pub(super) fn security_group_id(s: &mut Schema) {
    format::SECURITY_GROUP_ID.apply(s)
}
pub(super) fn oidc_issuer(s: &mut Schema) {
    format::OIDC_ISSUER.apply(s)
}
pub(super) fn oci_region(s: &mut Schema) {
    format::OCI_REGION.apply(s)
}
pub(super) fn oci_compartment(s: &mut Schema) {
    format::OCI_COMPARTMENT_OCID.apply(s)
}
pub(super) fn oci_cluster(s: &mut Schema) {
    format::OCI_CLUSTER_OCID.apply(s)
}
pub(super) fn oci_vault(s: &mut Schema) {
    format::OCI_VAULT_OCID.apply(s)
}
pub(super) fn oci_key(s: &mut Schema) {
    format::OCI_KEY_OCID.apply(s)
}
pub(super) fn iam_role_arn(s: &mut Schema) {
    format::IAM_ROLE_ARN.apply(s)
}
pub(super) fn go_duration(s: &mut Schema) {
    format::GO_DURATION.apply(s)
}
pub(super) fn age_recipients(s: &mut Schema) {
    format::AGE_RECIPIENT.apply(s)
}
pub(super) fn s3_buckets(s: &mut Schema) {
    each_property(s, &format::S3_BUCKET)
}
pub(super) fn oci_buckets(s: &mut Schema) {
    each_property(s, &format::OCI_BUCKET)
}

/// The secret catalog's entries: names as Kubernetes takes them, and each key's fields as
/// its source and generator need them.
pub(super) fn secret_catalog(s: &mut Schema) {
    let formats = [
        ("/items/properties/name", &format::OBJECT_NAME),
        ("/items/properties/consumers", &format::OBJECT_NAME),
        (
            "/items/properties/keys/items/properties/name",
            &format::SECRET_KEY,
        ),
        (
            "/items/properties/keys/items/properties/subject",
            &format::CERTIFICATE_SUBJECT,
        ),
    ];
    for (pointer, format) in formats {
        if let Some(field) = s
            .pointer_mut(pointer)
            .and_then(|v| <&mut Schema>::try_from(v).ok())
        {
            format.apply(field);
        }
    }
    let when = |field: &str, value: &str| serde_json::json!({"properties": {field: {"const": value}}, "required": [field]});
    // Present and not left empty (`generator:`), since an empty value counts as absent.
    let given = |field: &str| serde_json::json!({"required": [field], "properties": {field: {"not": {"type": "null"}}}});
    let rules = [
        serde_json::json!({"if": when("source", "generated"), "then": given("generator")}),
        serde_json::json!({"if": when("source", "supplied"), "then": {"properties": {"generator": false}}}),
        serde_json::json!({"if": when("generator", "publicKeyOf"), "then": given("of")}),
        serde_json::json!({"if": when("generator", "selfSignedCertificateOf"), "then": given("of")}),
        serde_json::json!({
            "if": when("generator", "selfSignedCertificateOf"),
            "else": {"properties": {"subject": false, "validityDays": false}}
        }),
    ];
    if let Some(key) = s
        .pointer_mut("/items/properties/keys/items")
        .and_then(|v| <&mut Schema>::try_from(v).ok())
    {
        append_all_of(key, rules);
    }
}

/// Buckets is one type for both clouds; each cloud's naming rules go on its own copy.
fn each_property(schema: &mut Schema, format: &format::Format) {
    let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for property in properties.values_mut() {
        if let Ok(property) = <&mut Schema>::try_from(property) {
            format.apply(property);
        }
    }
}

/// `provider: aws` requires the `aws` section and forbids `oci`; likewise for `oci`.
pub(super) fn provider_sections(schema: &mut Schema) {
    let rule = |chosen: &str, other: &str| {
        serde_json::json!({
            "if": {"properties": {"provider": {"const": chosen}}, "required": ["provider"]},
            "then": {"required": [chosen], "properties": {other: false}}
        })
    };
    append_all_of(schema, [rule("aws", "oci"), rule("oci", "aws")]);
}

/// ACK PodIdentityAssociations are for EKS Pod Identity; with IRSA they would do nothing.
pub(super) fn ack_needs_pod_identity(schema: &mut Schema) {
    append_all_of(
        schema,
        [serde_json::json!({
            "if": {"properties": {"identity": {"const": "irsa"}}, "required": ["identity"]},
            "then": {"properties": {"ackPodIdentityAssociations": {"const": false}}}
        })],
    );
}

/// Calico and Kubernetes both need a protocol for a rule with ports.
pub(super) fn ports_need_protocol(schema: &mut Schema) {
    append_all_of(
        schema,
        [serde_json::json!({
            "if": {"properties": {"ports": {"minItems": 1}}, "required": ["ports"]},
            "then": {"required": ["protocol"]}
        })],
    );
}

fn append_all_of<const N: usize>(schema: &mut Schema, rules: [serde_json::Value; N]) {
    let all_of = schema
        .ensure_object()
        .entry("allOf")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let Some(all_of) = all_of.as_array_mut() {
        all_of.extend(rules);
    }
}
