//! Each injection on small inputs, read like the installation guide.

use kubectl_smi::stream::{Limits, Stream};
use serde_json::Value;

use crate::support::{example, guide, kubectl_smi, ok_output, write_file};

/// Renders `input` with an example's values plus `override_yaml` (a second -f file, later wins).
fn render_with(
    values: &str,
    override_yaml: &str,
    input: &str,
    extra: &[&str],
) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let overrides = write_file(dir.path(), "override.yaml", override_yaml);
    kubectl_smi()
        .arg("render")
        .arg("-f")
        .arg(example(&format!("values-{values}.yaml")))
        .arg("-f")
        .arg(&overrides)
        .args(extra)
        .write_stdin(input.to_owned())
        .output()
        .unwrap()
}

fn objects(output: &std::process::Output) -> Vec<Value> {
    let text = ok_output(output);
    let mut stream = Stream::parse(text, Limits::default()).unwrap();
    stream
        .objects()
        .into_iter()
        .map(|o| stream.json(o).unwrap())
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in the output"))
}

fn count(objects: &[Value], kind: &str) -> usize {
    objects.iter().filter(|o| o["kind"] == kind).count()
}

const SERVICE_ACCOUNT: &str = "---\n# Source: c/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: filesvc\n";

fn deployment(name: &str, sa: &str, label: &str) -> String {
    format!(
        "---\n# Source: c/templates/{name}.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {label}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {label}\n    spec:\n      serviceAccountName: {sa}\n      initContainers:\n        - name: init\n          image: busybox\n      containers:\n        - name: main\n          image: app\n          envFrom:\n            - secretRef:\n                name: smi-kafka\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: smi-postgresql\n                  key: POSTGRES_PASSWORD\n"
    )
}

const SCRIPTMANAGER_SERVICE: &str = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: scriptmanager\n  labels:\n    app.kubernetes.io/instance: scriptmanager-prod\nspec:\n  selector:\n    app.kubernetes.io/name: dtplatform-scriptmanager\n  ports:\n    - name: http-web\n      port: 80\n";

#[test]
fn irsa_puts_the_role_arn_of_each_service_account_on_it() {
    let out = objects(&render_with("aws-irsa", "{}", SERVICE_ACCOUNT, &[]));
    let annotations = &find(&out, "ServiceAccount", "filesvc")["metadata"]["annotations"];
    assert_eq!(
        annotations["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::210987654321:role/dtp-staging-filesvc"
    );
    assert_eq!(
        annotations["eks.amazonaws.com/sts-regional-endpoints"],
        "true"
    );
    assert_eq!(annotations["smi.dtplatform.io/buckets"], "kafka,filesvc");
}

#[test]
fn the_partition_follows_the_region() {
    let out = objects(&render_with(
        "aws-irsa",
        "smi: {cloud: {aws: {region: cn-north-1}}}",
        SERVICE_ACCOUNT,
        &[],
    ));
    let arn = &find(&out, "ServiceAccount", "filesvc")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"];
    assert_eq!(arn, "arn:aws-cn:iam::210987654321:role/dtp-staging-filesvc");
}

#[test]
fn pod_identity_adds_one_ack_association_per_service_account_when_asked() {
    let input = format!(
        "{SERVICE_ACCOUNT}---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: aisvc\n"
    );
    let ack = "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}";
    let out = objects(&render_with("aws", ack, &input, &[]));
    assert_eq!(count(&out, "PodIdentityAssociation"), 2);
    let association = find(&out, "PodIdentityAssociation", "filesvc");
    assert_eq!(association["spec"]["clusterName"], "dtp-prod");
    assert_eq!(association["spec"]["namespace"], "prod");
    assert_eq!(association["spec"]["serviceAccount"], "filesvc");
    assert_eq!(
        association["spec"]["roleARN"],
        "arn:aws:iam::123456789012:role/dtp-prod-filesvc"
    );
    let sa = find(&out, "ServiceAccount", "filesvc");
    assert_eq!(
        sa["metadata"]["annotations"]["smi.dtplatform.io/role-arn"],
        "arn:aws:iam::123456789012:role/dtp-prod-filesvc"
    );
    assert!(
        sa["metadata"]["annotations"]
            .get("eks.amazonaws.com/role-arn")
            .is_none(),
        "pod identity needs no IRSA annotation"
    );
}

#[test]
fn an_association_the_chart_already_has_is_updated_not_duplicated() {
    let input = format!(
        "{SERVICE_ACCOUNT}---\napiVersion: eks.services.k8s.aws/v1alpha1\nkind: PodIdentityAssociation\nmetadata:\n  name: filesvc\nspec:\n  clusterName: old\n  namespace: prod\n  serviceAccount: filesvc\n"
    );
    let out = objects(&render_with(
        "aws",
        "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}",
        &input,
        &[],
    ));
    assert_eq!(count(&out, "PodIdentityAssociation"), 1);
    assert_eq!(
        find(&out, "PodIdentityAssociation", "filesvc")["spec"]["clusterName"],
        "dtp-prod"
    );
}

#[test]
fn oci_gives_every_container_of_the_pods_the_workload_identity_environment() {
    let input = format!(
        "{}{}",
        deployment("filesvc", "filesvc", "dtplatform-filesvc"),
        deployment("scriptworker", "scriptworker", "dtplatform-scriptworker")
    );
    let out = objects(&render_with("oci", "{}", &input, &[]));
    let spec = &find(&out, "Deployment", "filesvc")["spec"]["template"]["spec"];
    for container in [&spec["initContainers"][0], &spec["containers"][0]] {
        let env = container["env"].as_array().unwrap();
        assert!(
            env.iter()
                .any(|e| e["name"] == "OCI_RESOURCE_PRINCIPAL_VERSION" && e["value"] == "2.2"),
            "{container}"
        );
        assert!(env.iter().any(
            |e| e["name"] == "OCI_RESOURCE_PRINCIPAL_REGION" && e["value"] == "eu-frankfurt-1"
        ));
    }
    let worker =
        &find(&out, "Deployment", "scriptworker")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        !worker.to_string().contains("OCI_RESOURCE_PRINCIPAL"),
        "the Script Worker has no cloud identity: {worker}"
    );
}

#[test]
fn strict_mode_fails_on_missing_service_accounts_and_writes_nothing() {
    let out = render_with("aws", "{}", SERVICE_ACCOUNT, &["--strict"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("filesvc-migrations"), "{stderr}");
    let relaxed = render_with("aws", "{}", SERVICE_ACCOUNT, &[]);
    ok_output(&relaxed);
    assert!(
        String::from_utf8_lossy(&relaxed.stderr)
            .contains("warning: service accounts of the guide's table missing")
    );
}

#[test]
fn a_release_of_one_service_expects_only_that_services_accounts() {
    let out = render_with("aws", "{}", SERVICE_ACCOUNT, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("filesvc-migrations"), "{stderr}");
    assert!(!stderr.contains("itemsvc"), "{stderr}");
    let policies = objects(&out);
    assert_eq!(
        count(&policies, "NetworkPolicy"),
        0,
        "no Script Worker here, no policy"
    );
    assert_eq!(
        count(&policies, "ServiceMonitor"),
        0,
        "no scriptmanager here, no ServiceMonitor"
    );
}

#[test]
fn without_an_account_id_the_role_arns_cannot_be_written() {
    let out = render_with(
        "aws",
        "smi: {cloud: {aws: {accountId: null}}}",
        SERVICE_ACCOUNT,
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("smi.cloud.aws.accountId"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

/// The YAML block that follows `marker` in the installation guide.
fn guide_block(marker: &str) -> Option<Value> {
    let guide = guide()?;
    let after = &guide[guide.find(marker)?..];
    let start = after.find("```yaml\n")? + 8;
    let end = start + after[start..].find("```")?;
    serde_saphyr::from_str(&after[start..end]).ok()
}

#[test]
fn with_calico_the_script_worker_gets_exactly_the_guides_policy() {
    let Some(mut expected) = guide_block("## 4. Kubernetes network policy") else {
        return;
    };
    let input = deployment("scriptworker", "scriptworker", "dtplatform-scriptworker");
    let out = objects(&render_with("oci", "{}", &input, &[]));
    let mut policy = find(&out, "NetworkPolicy", "scriptworker-policy").clone();
    assert_eq!(
        policy["metadata"]["namespace"], "dtp",
        "in the platform's namespace"
    );
    policy["metadata"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "name");
    expected["metadata"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "name");
    assert_eq!(policy, expected);
}

#[test]
fn extra_egress_rules_come_after_the_private_range_deny() {
    let input = deployment("scriptworker", "scriptworker", "dtplatform-scriptworker");
    let out = objects(&render_with("aws", "{}", &input, &[]));
    let egress = find(&out, "NetworkPolicy", "scriptworker-policy")["spec"]["egress"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(egress[3]["action"], "Deny");
    assert_eq!(
        egress[4],
        serde_json::json!({"action": "Allow", "protocol": "TCP", "source": {}, "destination": {"nets": ["0.0.0.0/0"], "ports": [443]}})
    );
}

#[test]
fn with_plain_kubernetes_the_policy_allows_dns_and_the_script_manager_only() {
    let input = deployment("scriptworker", "scriptworker", "dtplatform-scriptworker");
    let out = objects(&render_with("aws-irsa", "{}", &input, &[]));
    let policy = find(&out, "NetworkPolicy", "scriptworker-policy");
    assert_eq!(policy["apiVersion"], "networking.k8s.io/v1");
    let spec = &policy["spec"];
    assert_eq!(
        spec["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert!(
        spec.get("ingress").is_none(),
        "no ingress rule: all ingress denied"
    );
    assert_eq!(
        spec["egress"][0]["ports"],
        serde_json::json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}])
    );
    assert_eq!(
        spec["egress"][1],
        serde_json::json!({
            "to": [{
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }),
        "DNS to the cluster DNS pods by selector too (the VPC CNI agent's except ranges)"
    );
    assert_eq!(
        spec["egress"][2]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "dtplatform-scriptmanager"
    );
    assert_eq!(
        spec["egress"][3]["to"][0]["ipBlock"],
        serde_json::json!({"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"]})
    );
    let deny = "smi: {networkPolicy: {extraEgress: [{action: Deny, nets: [8.8.8.8/32]}]}}";
    let refused = render_with("aws-irsa", deny, &input, &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("a Kubernetes NetworkPolicy can only allow")
    );
    let none = objects(&render_with(
        "aws-irsa",
        "smi: {networkPolicy: {engine: none}}",
        &input,
        &[],
    ));
    assert_eq!(count(&none, "NetworkPolicy"), 0);
}

#[test]
fn the_kubernetes_policy_with_a_node_local_dns_cache_is_a_valid_network_policy() {
    let input = deployment("scriptworker", "scriptworker", "dtplatform-scriptworker");
    let dns = "smi: {networkPolicy: {dns: {namespace: kube-system, podSelector: {k8s-app: kube-dns, app.kubernetes.io/name: coredns}, nodeLocalAddress: 169.254.20.10/32}}}";
    let out = objects(&render_with("aws-irsa", dns, &input, &[]));
    let policy = find(&out, "NetworkPolicy", "scriptworker-policy");
    assert_eq!(
        policy["spec"]["egress"][1]["to"],
        serde_json::json!([
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "coredns", "k8s-app": "kube-dns"}},
            },
            {"ipBlock": {"cidr": "169.254.20.10/32"}},
        ])
    );
    let problems = crate::support::kube_schema::validate(policy).expect("a core kind");
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_policy_the_chart_already_has_is_updated_not_duplicated() {
    let input = format!(
        "{}---\napiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata:\n  name: scriptworker-policy\nspec:\n  order: 10\n",
        deployment("scriptworker", "scriptworker", "dtplatform-scriptworker")
    );
    let out = objects(&render_with("oci", "{}", &input, &[]));
    assert_eq!(count(&out, "NetworkPolicy"), 1);
    assert_eq!(
        find(&out, "NetworkPolicy", "scriptworker-policy")["spec"]["order"],
        1000
    );
}

/// Issue 13, case 3: the Script Worker and its ServiceAccount state `staging`, the values `prod`.
const SCRIPTWORKER_IN_STAGING: &str = "\
---
# Source: dtplatform/charts/scriptworker/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: scriptworker
  namespace: staging
---
# Source: dtplatform/charts/scriptworker/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scriptworker
  namespace: staging
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: dtplatform-scriptworker
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-scriptworker
    spec:
      serviceAccountName: scriptworker
      containers:
        - name: scriptworker
          image: scriptworker
";

#[test]
fn a_script_worker_in_another_namespace_than_the_values_is_refused_with_what_to_set() {
    let out = render_with("aws", "{}", SCRIPTWORKER_IN_STAGING, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for says in [
        "error: Deployment/staging/scriptworker is in namespace staging, but the values put the platform in prod (smi.namespace): \
         the NetworkPolicy scriptworker-policy would be created in prod and isolate none of its pods",
        "hint: if the platform runs in staging, set smi.namespace: staging in the values; \
         otherwise render the chart into prod (`helm install -n prod`",
    ] {
        assert!(stderr.contains(says), "{says:?} in {stderr}");
    }
    let moved = objects(&render_with(
        "aws",
        "smi: {namespace: staging}",
        SCRIPTWORKER_IN_STAGING,
        &[],
    ));
    assert_eq!(
        find(&moved, "NetworkPolicy", "scriptworker-policy")["metadata"]["namespace"],
        "staging",
        "with smi.namespace: staging the policy goes where the pods are"
    );
}

#[test]
fn an_item_of_a_list_stating_another_namespace_is_refused_too() {
    let input = "---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: aisvc\n      namespace: staging\n";
    let out = render_with("aws", "{}", input, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: ServiceAccount/staging/aisvc is in namespace staging, but the values put the platform in prod"),
        "{stderr}"
    );
    let in_prod = objects(&render_with(
        "aws",
        "{}",
        &input.replace("staging", "prod"),
        &[],
    ));
    assert_eq!(
        find(&in_prod, "ServiceAccount", "aisvc")["metadata"]["annotations"]["smi.dtplatform.io/role-arn"],
        "arn:aws:iam::123456789012:role/dtp-prod-aisvc"
    );
}

/// The example release as charts that write `metadata.namespace` on every object render it
/// (`.Release.Namespace` under `helm template -n <namespace>`).
fn example_release_in(namespace: &str) -> String {
    std::fs::read_to_string(example("rendered-helm3.yaml"))
        .unwrap()
        .replace(
            "\nmetadata:\n  name: ",
            &format!("\nmetadata:\n  namespace: {namespace}\n  name: "),
        )
}

#[test]
fn a_release_stating_the_values_namespace_gets_everything_there_and_one_stating_another_is_refused()
{
    let ack = "smi: {cloud: {aws: {ackPodIdentityAssociations: true}}}";
    let out = objects(&render_with("aws", ack, &example_release_in("prod"), &[]));
    assert_eq!(
        find(&out, "NetworkPolicy", "scriptworker-policy")["metadata"]["namespace"],
        "prod"
    );
    assert_eq!(
        find(&out, "ServiceMonitor", "scriptmanager-prod")["spec"]["namespaceSelector"],
        serde_json::json!({"matchNames": ["prod"]})
    );
    let association = find(&out, "PodIdentityAssociation", "filesvc");
    assert_eq!(association["metadata"]["namespace"], "prod");
    assert_eq!(association["spec"]["namespace"], "prod");

    let refused = render_with("aws", ack, &example_release_in("staging"), &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("is in namespace staging, but the values put the platform in prod"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let staging = "smi: {namespace: staging, cloud: {aws: {ackPodIdentityAssociations: true}}}";
    let out = objects(&render_with(
        "aws",
        staging,
        &example_release_in("staging"),
        &[],
    ));
    assert_eq!(
        find(&out, "NetworkPolicy", "scriptworker-policy")["metadata"]["namespace"],
        "staging"
    );
    assert_eq!(
        find(&out, "ServiceMonitor", "scriptmanager-prod")["spec"]["namespaceSelector"],
        serde_json::json!({"matchNames": ["staging"]})
    );
    let association = find(&out, "PodIdentityAssociation", "filesvc");
    assert_eq!(association["metadata"]["namespace"], "staging");
    assert_eq!(association["spec"]["namespace"], "staging");
}

#[test]
fn the_service_monitor_is_the_guides_with_the_values_substituted() {
    let Some(expected) = guide_block("With kube-prometheus-stack and its CRDs") else {
        return;
    };
    let expected = serde_json::to_string(&expected)
        .unwrap()
        .replace("${var.env_name}", "prod")
        .replace("${var.prometheus_namespace}", "monitoring")
        .replace(
            "${var.prometheus_release_label_value}",
            "kube-prometheus-stack",
        );
    let mut expected: Value = serde_json::from_str(&expected).unwrap();
    let out = objects(&render_with(
        "aws",
        "smi: {namespace: prod}",
        SCRIPTMANAGER_SERVICE,
        &[],
    ));
    let mut monitor = find(&out, "ServiceMonitor", "scriptmanager-prod").clone();
    monitor["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("annotations");
    expected["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("annotations");
    assert_eq!(monitor, expected);
}

#[test]
fn a_scriptmanager_service_without_http_web_is_an_error() {
    let input = SCRIPTMANAGER_SERVICE.replace("name: http-web", "name: http");
    let out = render_with("aws", "{}", &input, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Service/scriptmanager") && stderr.contains("http-web"),
        "{stderr}"
    );
}

#[test]
fn the_scriptworker_autoscaler_is_checked_and_added_when_asked() {
    let worker = deployment("scriptworker", "scriptworker", "dtplatform-scriptworker");
    let wrong = format!(
        "{worker}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: scriptworker\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: scriptworker}}\n  maxReplicas: 3\n  metrics:\n    - type: Resource\n      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}\n"
    );
    let out = render_with("aws", "{}", &wrong, &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("does not follow the external metric scriptmanager_job_queue_size")
    );
    let ask = "smi: {prometheus: {scriptworkerAutoscaler: {minReplicas: 1, maxReplicas: 10, targetQueueSize: 5}}}";
    let added = objects(&render_with("aws", ask, &worker, &[]));
    let hpa = find(&added, "HorizontalPodAutoscaler", "scriptworker");
    assert_eq!(
        hpa["spec"]["metrics"][0]["external"]["metric"]["name"],
        "scriptmanager_job_queue_size"
    );
    assert_eq!(
        hpa["spec"]["metrics"][0]["external"]["target"]["averageValue"],
        "5"
    );
    let kept = objects(&render_with("aws", ask, &wrong, &[]));
    assert_eq!(
        count(&kept, "HorizontalPodAutoscaler"),
        1,
        "the chart's HPA is not duplicated"
    );
}

#[test]
fn workloads_receive_their_secrets_once() {
    let input = deployment("itemsvc", "itemsvc", "dtplatform-itemsvc");
    let out = objects(&render_with("aws", "{}", &input, &[]));
    let container =
        &find(&out, "Deployment", "itemsvc")["spec"]["template"]["spec"]["containers"][0];
    let env_from: Vec<&str> = container["envFrom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["secretRef"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        env_from,
        [
            "smi-kafka",
            "smi-mongodb",
            "smi-redis",
            "smi-neo4j",
            "smi-data-encryption"
        ]
    );
    assert!(
        !env_from.contains(&"smi-postgresql"),
        "already referenced key by key"
    );
}

#[test]
fn mounted_secrets_become_read_only_volumes() {
    let input = deployment("passportsvc", "passportsvc", "dtplatform-passportsvc");
    let out = objects(&render_with("aws", "{}", &input, &[]));
    let spec = &find(&out, "Deployment", "passportsvc")["spec"]["template"]["spec"];
    assert_eq!(
        spec["volumes"][0],
        serde_json::json!({"name": "smi-identity-signing", "secret": {"secretName": "smi-identity-signing"}})
    );
    assert_eq!(
        spec["containers"][0]["volumeMounts"][0],
        serde_json::json!({"name": "smi-identity-signing", "mountPath": "/etc/smi/identity", "readOnly": true})
    );
}

#[test]
fn items_of_a_list_are_injected_too() {
    let input = "---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: aisvc\n";
    let out = render_with("aws", "{}", input, &[]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let list: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(
        list["items"][0]["metadata"]["annotations"]["smi.dtplatform.io/role-arn"],
        "arn:aws:iam::123456789012:role/dtp-prod-aisvc"
    );
}

#[test]
fn overlays_patch_their_targets_with_values_substituted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("team.yaml"),
        "target: {kind: ServiceAccount, name: filesvc}\npatch:\n  - op: add\n    path: /metadata/labels/team\n    value: ${smi.environment}-files\n",
    )
    .unwrap();
    let out = objects(&render_with(
        "aws",
        "{}",
        SERVICE_ACCOUNT,
        &["--overlays", dir.path().to_str().unwrap()],
    ));
    assert_eq!(
        find(&out, "ServiceAccount", "filesvc")["metadata"]["labels"]["team"],
        "prod-files"
    );
}

#[test]
fn an_overlay_that_matches_nothing_or_fails_names_the_file_and_operation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nothing.yaml"),
        "target: {kind: Secret}\npatch: [{op: remove, path: /data}]\n",
    )
    .unwrap();
    let out = render_with(
        "aws",
        "{}",
        SERVICE_ACCOUNT,
        &["--overlays", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing.yaml") && stderr.contains("matches no object"),
        "{stderr}"
    );

    std::fs::write(
        dir.path().join("nothing.yaml"),
        "target: {kind: ServiceAccount}\npatch: [{op: remove, path: /spec/missing}]\n",
    )
    .unwrap();
    let out = render_with(
        "aws",
        "{}",
        SERVICE_ACCOUNT,
        &["--overlays", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing.yaml") && stderr.contains("operation 0 (remove /spec/missing)"),
        "{stderr}"
    );
}

#[test]
fn external_dns_hostnames_come_from_the_shipped_overlay_when_asked() {
    let input = "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: platform\nspec:\n  rules: []\n";
    let off = objects(&render_with("aws", "{}", input, &[]));
    assert!(
        find(&off, "Ingress", "platform")["metadata"]
            .get("annotations")
            .is_none()
    );
    let on = objects(&render_with(
        "aws",
        "smi: {dns: {externalDns: true}}",
        input,
        &[],
    ));
    assert_eq!(
        find(&on, "Ingress", "platform")["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/hostname"],
        "app.example-domain.com,api.example-domain.com,id.example-domain.com"
    );
}

#[test]
fn inline_overlays_from_values_apply_too() {
    let inline = "smi: {overlays: {patches: [{target: {kind: ServiceAccount}, patch: [{op: add, path: /automountServiceAccountToken, value: false}]}]}}";
    let out = objects(&render_with("aws", inline, SERVICE_ACCOUNT, &[]));
    assert_eq!(
        find(&out, "ServiceAccount", "filesvc")["automountServiceAccountToken"],
        false
    );
}

#[test]
fn explain_says_what_changed_and_why() {
    let out = render_with("aws", "{}", SERVICE_ACCOUNT, &["--explain=json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json_start = stderr.find('[').unwrap();
    let changes: Value = serde_json::from_str(&stderr[json_start..]).unwrap();
    assert_eq!(changes[0]["object"], "ServiceAccount/filesvc");
    assert_eq!(changes[0]["filter"], "identity");
    assert!(
        changes[0]["reason"]
            .as_str()
            .unwrap()
            .contains("dtp-prod-filesvc")
    );
    assert!(
        changes[0]["patch"]
            .to_string()
            .contains("smi.dtplatform.io/role-arn")
    );
}

/// Issue 13, case 2, as reported.
const INTERNAL_MQTT: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: itemsvc-mqtt\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-type: external\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internal\nspec: {type: LoadBalancer, selector: {app.kubernetes.io/name: dtplatform-itemsvc}, ports: [{name: mqtt, port: 1883}]}\n";

#[test]
fn a_shipped_default_never_turns_an_internal_load_balancer_public() {
    let out = render_with("aws", "{}", INTERNAL_MQTT, &["--explain"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        INTERNAL_MQTT,
        "the Service leaves as the chart wrote it"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no object added or changed") && !stderr.contains("warning"),
        "{stderr}"
    );
}

#[test]
fn a_user_overlay_that_opens_the_charts_internal_load_balancer_is_applied_with_a_warning() {
    let inline = "smi: {overlays: {patches: [{target: {kind: Service, name: itemsvc-mqtt}, patch: [{op: replace, path: /metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-scheme, value: internet-facing}]}]}}";
    let out = render_with("aws", inline, INTERNAL_MQTT, &["--explain"]);
    let objects = objects(&out);
    assert_eq!(
        find(&objects, "Service", "itemsvc-mqtt")["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"],
        "internet-facing"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = "Service/itemsvc-mqtt: overlay smi.overlays.patches[0] changes the load balancer the chart chose: service.beta.kubernetes.io/aws-load-balancer-scheme was \"internal\" in the chart, now \"internet-facing\"";
    assert!(stderr.contains(said), "a warning: {stderr}");
    assert!(
        stderr.contains("changes the chart's load balancer choice: service.beta.kubernetes.io/aws-load-balancer-scheme was \"internal\" in the chart, now \"internet-facing\""),
        "and --explain: {stderr}"
    );
}

#[test]
fn an_msk_bootstrap_string_renders_as_the_list_does() {
    let input = deployment("scriptworker", "scriptworker", "dtplatform-scriptworker");
    let msk = "smi: {endpoints: {kafka: {bootstrap: 'b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096, b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096', zookeeper: 'z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181'}}}";
    let with_string = render_with("aws", msk, &input, &[]);
    let with_list = render_with("aws", "{}", &input, &[]);
    assert_eq!(ok_output(&with_string), ok_output(&with_list));
}
