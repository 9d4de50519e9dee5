//! The `smi:` section of the values file, as typed values. This is the contract every
//! command reads. `schemas/values.schema.json` is generated from these types (doc comments
//! become descriptions, `format::*` adds the patterns), so the two cannot drift.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::keywords;
use crate::catalog::{Bucket, SecretSpec};

/// The values file given to Helm: only `smi` is kubectl-smi's; every other key belongs to the platform's charts and is not checked here.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Values {
    /// Everything kubectl-smi needs to install the platform: DNS names, cloud, network policy, Prometheus and the external systems.
    pub smi: Smi,
}

/// Everything kubectl-smi needs to install the platform.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Smi {
    /// `env_name` of the installation guide: names the ServiceMonitor (`scriptmanager-<environment>`) and the instance label it selects, and is the namespace unless `namespace` is set. A DNS-1123 label of at most 49 characters, so that `scriptmanager-<environment>` fits a label value.
    #[schemars(transform = keywords::environment)]
    pub environment: String,
    /// The platform's namespace (one platform per namespace); `environment` when absent.
    #[serde(default)]
    #[schemars(transform = keywords::dns_label)]
    pub namespace: Option<String>,
    /// The three DNS names of step 1 of the guide; they must be distinct.
    pub dns: Dns,
    /// The cloud the cluster runs in, and what step 3 (cloud access policies) needs.
    pub cloud: Cloud,
    /// The Script Worker isolation policy of step 4.
    #[serde(default)]
    pub network_policy: NetworkPolicy,
    /// The Prometheus configuration of step 5.
    pub prometheus: Prometheus,
    /// The external systems of the network table of step 2.
    pub endpoints: Endpoints,
    /// How `kubectl smi secrets` keeps key material safe, and changes to the secret catalog (step 6).
    #[serde(default)]
    pub secrets: Secrets,
    /// JSON patches the post-renderer applies after its own injections.
    #[serde(default)]
    pub overlays: Overlays,
    /// The exposure the shipped default overlays give a Service of type LoadBalancer whose chart chooses neither its exposure nor its load balancer type.
    #[serde(default)]
    pub load_balancer: LoadBalancer,
}

impl Smi {
    /// The namespace the platform runs in.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(&self.environment)
    }

    /// Where [`Smi::namespace`] comes from, in words for messages: `smi.namespace`, or
    /// `smi.environment, as smi.namespace is unset`.
    pub fn namespace_setting(&self) -> &'static str {
        if self.namespace.is_some() {
            "smi.namespace"
        } else {
            "smi.environment, as smi.namespace is unset"
        }
    }
}

/// The three DNS names of step 1 of the guide.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns {
    /// Web applications: static files for Reference, Console and CAD plugins.
    #[schemars(transform = keywords::dns_name)]
    pub app: String,
    /// REST APIs and the server-side web application (login).
    #[schemars(transform = keywords::dns_name)]
    pub api: String,
    /// The identity service.
    #[schemars(transform = keywords::dns_name)]
    pub id: String,
    /// The load balancer the names must point to (host name or IP address), checked by `kubectl smi preflight`.
    #[serde(default)]
    #[schemars(transform = keywords::host)]
    pub load_balancer: Option<String>,
    /// Add external-dns hostname annotations to the platform's Services and Ingresses.
    #[serde(default)]
    pub external_dns: bool,
}

/// The cloud the cluster runs in. Only the section of the chosen provider may be present.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(transform = keywords::provider_sections)]
pub struct Cloud {
    /// The cloud provider: `aws` (EKS) or `oci` (OKE). Its section (`aws` or `oci`) is required and the other one is not allowed.
    pub provider: Provider,
    /// AWS EKS settings; required when `provider` is `aws`.
    #[serde(default)]
    pub aws: Option<Aws>,
    /// Oracle OKE settings; required when `provider` is `oci`.
    #[serde(default)]
    pub oci: Option<Oci>,
}

/// The cloud provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Amazon EKS.
    Aws,
    /// Oracle OKE.
    Oci,
}

impl Provider {
    /// The name as values write it.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Oci => "oci",
        }
    }
}

/// AWS EKS settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(transform = keywords::ack_needs_pod_identity)]
pub struct Aws {
    /// The region of the cluster and the buckets.
    #[schemars(transform = keywords::aws_region)]
    pub region: String,
    /// 12-digit account id, as a quoted string. Needed by `render` and `gitops flux` (the role ARNs on the service accounts); `policies` resolves it with STS GetCallerIdentity when absent.
    #[serde(default)]
    #[schemars(transform = keywords::aws_account_id)]
    pub account_id: Option<String>,
    /// The AWS partition; derived from the region when absent.
    #[serde(default)]
    #[schemars(extend("enum" = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-f", "aws-eusc", null]))]
    pub partition: Option<String>,
    /// The EKS cluster's name (pod identity associations are made in it).
    #[schemars(transform = keywords::eks_cluster_name)]
    pub cluster_name: String,
    /// How pods get AWS credentials.
    #[serde(default)]
    pub identity: AwsIdentity,
    /// Role name = prefix + service account name; IAM limits role names to 64 characters.
    #[serde(default)]
    #[schemars(transform = keywords::iam_role_prefix)]
    pub role_name_prefix: String,
    /// The S3 bucket of each purpose of the guide.
    #[schemars(transform = keywords::s3_buckets)]
    pub buckets: Buckets,
    /// Customer-managed KMS keys the buckets are encrypted with: adds the extra statement the guide mentions.
    #[serde(default)]
    #[schemars(transform = keywords::kms_key_arns)]
    pub kms_key_arns: Vec<String>,
    /// The cluster's OIDC issuer URL (IRSA only), e.g. https://oidc.eks.<region>.amazonaws.com/id/<id>.
    #[serde(default)]
    #[schemars(transform = keywords::oidc_issuer)]
    pub oidc_issuer: Option<String>,
    /// Emit ACK PodIdentityAssociation resources with the release (pod identity only).
    #[serde(default)]
    pub ack_pod_identity_associations: bool,
    /// The EC2 security groups `kubectl smi network rules --apply` puts step 2's rules on.
    #[serde(default)]
    pub security_groups: Option<AwsSecurityGroups>,
}

/// The EC2 security groups of step 2's rules (`network rules --apply`; flags win).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsSecurityGroups {
    /// The worker nodes' security group: egress to the external systems.
    #[serde(default)]
    #[schemars(transform = keywords::security_group_id)]
    pub nodes: Option<String>,
    /// A security group you attach to the load balancer with the AWS Load Balancer
    /// Controller's service.beta.kubernetes.io/aws-load-balancer-security-groups annotation:
    /// ingress on 80/443 from the internet. Without it the controller manages its own
    /// frontend group and the ingress rules are only printed.
    #[serde(default)]
    #[schemars(transform = keywords::security_group_id)]
    pub load_balancer: Option<String>,
}

impl Aws {
    /// The partition: from values, else from the region (cn-* and us-gov-* have their own).
    pub fn partition(&self) -> &str {
        self.partition
            .as_deref()
            .unwrap_or_else(|| partition_of_region(&self.region))
    }

    /// The IAM role name of a service account: prefix + name.
    pub fn role_name(&self, service_account: &str) -> String {
        format!("{}{}", self.role_name_prefix, service_account)
    }

    /// The IAM role ARN of a service account in `account`.
    pub fn role_arn(&self, account: &str, service_account: &str) -> String {
        format!(
            "arn:{}:iam::{}:role/{}",
            self.partition(),
            account,
            self.role_name(service_account)
        )
    }
}

/// The partition a region belongs to (cn-north-1 is in aws-cn, us-gov-west-1 in aws-us-gov).
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// How pods get AWS credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AwsIdentity {
    /// EKS Pod Identity (the guide's choice): roles trust pods.eks.amazonaws.com.
    #[default]
    PodIdentity,
    /// IAM roles for service accounts: an OIDC trust and a role annotation per account.
    Irsa,
}

/// Oracle OKE settings (an enhanced cluster with OKE workload identity).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oci {
    /// The region identifier of the cluster and the buckets.
    #[schemars(transform = keywords::oci_region)]
    pub region: String,
    /// The compartment that contains the cluster (COMPARTMENT_ID of the guide); the tenancy OCID for the root compartment.
    #[schemars(transform = keywords::oci_compartment)]
    pub compartment_id: String,
    /// The cluster's OCID (KUBERNETES_CLUSTER_ID of the guide).
    #[schemars(transform = keywords::oci_cluster)]
    pub cluster_id: String,
    /// The Object Storage bucket of each purpose of the guide.
    #[schemars(transform = keywords::oci_buckets)]
    pub buckets: Buckets,
}

/// The five buckets of the guide, by purpose.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Buckets {
    /// The Kafka bucket: every service account of the guide reaches it.
    pub kafka: String,
    /// Files of filesvc, itemsvc and passportsvc (and their migrations and workers).
    pub filesvc: String,
    /// Scripts of the scriptmanager.
    pub scriptmanager: String,
    /// Data of the datasourcesvc.
    pub datasourcesvc: String,
    /// Workflows of workflowsvc-api, workflowsvc-backend and workflowwkr-backend.
    pub workflowsvc: String,
}

impl Buckets {
    /// The real bucket name configured for one of the guide's five purposes.
    pub fn name(&self, bucket: Bucket) -> &str {
        match bucket {
            Bucket::Kafka => &self.kafka,
            Bucket::Filesvc => &self.filesvc,
            Bucket::Scriptmanager => &self.scriptmanager,
            Bucket::Datasourcesvc => &self.datasourcesvc,
            Bucket::Workflowsvc => &self.workflowsvc,
        }
    }
}

/// The Script Worker isolation policy of step 4.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Which policy isolates the Script Worker pods.
    #[serde(default)]
    pub engine: PolicyEngine,
    /// Egress rules appended after the guide's rules (after the private-range deny).
    #[serde(default)]
    pub extra_egress: Vec<EgressRule>,
    /// Where the Script Worker's DNS queries go, allowed by address as well as by port (engine `kubernetes` only; the Calico policy is the guide's).
    #[serde(default)]
    pub dns: PolicyDns,
}

/// The cluster DNS the `kubernetes` engine's policy allows by selector and address, besides
/// port 53 to anywhere: the AWS VPC CNI network policy agent lets the `except` ranges of
/// another rule deny DNS allowed by port only (docs/injections.md).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyDns {
    /// The namespace of the cluster DNS pods, matched by its `kubernetes.io/metadata.name` label.
    #[serde(default = "default_dns_namespace")]
    #[schemars(transform = keywords::dns_label)]
    pub namespace: String,
    /// The labels of the cluster DNS pods, each value a label value; default `k8s-app: kube-dns` (CoreDNS on EKS and OKE, and the selector of the `kube-dns` Service).
    #[serde(default = "default_dns_pods")]
    #[schemars(transform = keywords::label_selector)]
    pub pod_selector: std::collections::BTreeMap<String, String>,
    /// The address of a NodeLocal DNSCache the pods query, as a CIDR (e.g. `169.254.20.10/32`, inside the guide's denied link-local range); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = keywords::cidrs)]
    pub node_local_address: Option<String>,
}

impl Default for PolicyDns {
    fn default() -> Self {
        PolicyDns {
            namespace: default_dns_namespace(),
            pod_selector: default_dns_pods(),
            node_local_address: None,
        }
    }
}

fn default_dns_namespace() -> String {
    "kube-system".to_owned()
}

fn default_dns_pods() -> std::collections::BTreeMap<String, String> {
    [("k8s-app".to_owned(), "kube-dns".to_owned())].into()
}

/// Which policy isolates the Script Worker pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyEngine {
    /// A crd.projectcalico.org/v1 NetworkPolicy, exactly as the guide writes it.
    #[default]
    Calico,
    /// An equivalent networking.k8s.io/v1 NetworkPolicy.
    Kubernetes,
    /// No policy (isolate the Script Worker some other way).
    None,
}

/// One egress rule added to the Script Worker policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(transform = keywords::ports_need_protocol)]
pub struct EgressRule {
    /// Allow or deny the matching traffic.
    #[serde(default)]
    pub action: RuleAction,
    /// TCP or UDP; required when `ports` is set.
    #[serde(default)]
    pub protocol: Option<Protocol>,
    /// Destination networks (CIDR); all destinations when empty.
    #[serde(default)]
    #[schemars(transform = keywords::cidrs)]
    pub nets: Vec<String>,
    /// Destination ports; all ports when empty.
    #[serde(default)]
    #[schemars(inner(range(min = 1)))]
    pub ports: Vec<u16>,
}

/// What an egress rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub enum RuleAction {
    /// Let the traffic through.
    #[default]
    Allow,
    /// Drop the traffic.
    Deny,
}

/// An IP protocol of a network rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Protocol {
    /// TCP.
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
}

/// The Prometheus configuration of step 5.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prometheus {
    /// `prometheus_namespace` of the guide: where the ServiceMonitor goes.
    #[schemars(transform = keywords::dns_label)]
    pub namespace: String,
    /// `prometheus_release_label_value` of the guide: the `release` label Prometheus selects ServiceMonitors by.
    #[schemars(transform = keywords::label_value)]
    pub release_label: String,
    /// Scrape interval of the scriptmanager (the guide uses 5s).
    #[serde(default = "default_interval")]
    #[schemars(transform = keywords::duration)]
    pub interval: String,
    /// Add the scriptmanager ServiceMonitor to the release.
    #[serde(default = "yes")]
    pub service_monitor: bool,
    /// Add a scriptworker HorizontalPodAutoscaler when the chart has none.
    #[serde(default)]
    pub scriptworker_autoscaler: Option<Autoscaler>,
}

fn default_interval() -> String {
    "5s".to_owned()
}

fn yes() -> bool {
    true
}

/// The scriptworker HorizontalPodAutoscaler, scaling on the scriptmanager's queue size.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaler {
    /// Fewest scriptworker replicas (at least 1).
    #[schemars(range(min = 1))]
    pub min_replicas: u32,
    /// Most scriptworker replicas (at least `minReplicas`).
    #[schemars(range(min = 1))]
    pub max_replicas: u32,
    /// Average queue size per scriptworker replica.
    #[schemars(range(min = 1))]
    pub target_queue_size: u32,
}

/// The external systems of the network table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoints {
    /// PostgreSQL, or its proxy (5432/tcp in the guide).
    pub postgresql: HostPort,
    /// MongoDB (27017/tcp in the guide).
    pub mongodb: HostPort,
    /// Redis (6379/tcp in the guide).
    pub redis: HostPort,
    /// Kafka: bootstrap brokers and ZooKeeper.
    pub kafka: Kafka,
    /// ActiveMQ: MQTT and OpenWire.
    pub activemq: ActiveMq,
    /// Neo4j (7687/tcp in the guide).
    pub neo4j: HostPort,
    /// SMTP (587/tcp in the guide; adjust to the mail service).
    pub smtp: HostPort,
}

/// A host and a TCP port.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostPort {
    /// Host name or IP address.
    #[schemars(transform = keywords::host)]
    pub host: String,
    /// TCP port, 1-65535.
    #[schemars(range(min = 1))]
    pub port: u16,
    /// Destination networks (CIDR blocks) for the cloud egress rules of `kubectl smi network
    /// rules`; any address (0.0.0.0/0) when empty, since a security rule cannot name a host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = keywords::cidrs)]
    pub cidrs: Vec<String>,
}

/// Kafka (AWS MSK or Apache Kafka).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kafka {
    /// Bootstrap brokers as `host:port` (e.g. MSK's SASL/SCRAM port 9096), at least one: a list, or one comma-separated string as `aws kafka get-bootstrap-brokers` prints it.
    #[serde(deserialize_with = "host_port_list")]
    #[schemars(transform = keywords::host_port_list, length(min = 1))]
    pub bootstrap: Vec<String>,
    /// ZooKeeper nodes as `host:port` (2181 in the guide): a list, or one comma-separated string.
    #[serde(default, deserialize_with = "host_port_list")]
    #[schemars(transform = keywords::host_port_list)]
    pub zookeeper: Vec<String>,
    /// Destination networks (CIDR blocks) for the cloud egress rules of `kubectl smi network
    /// rules`; any address (0.0.0.0/0) when empty, since a security rule cannot name a host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = keywords::cidrs)]
    pub cidrs: Vec<String>,
}

/// A list of `host:port`, or one string of them separated by commas (each item trimmed).
/// The schema has refused empty items already; they are refused here too.
fn host_port_list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    match ListOrText::deserialize(deserializer)? {
        ListOrText::List(items) => Ok(items),
        ListOrText::Text(text) => super::format::list_items(&text)
            .into_iter()
            .map(|(_, item)| {
                if item.is_empty() {
                    Err(serde::de::Error::custom(
                        "an empty item in a comma-separated list of host:port",
                    ))
                } else {
                    Ok(item.to_owned())
                }
            })
            .collect(),
    }
}

/// ActiveMQ (AWS MQ or Apache ActiveMQ).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActiveMq {
    /// Host name or IP address of the broker.
    #[schemars(transform = keywords::host)]
    pub host: String,
    /// MQTT port, 1-65535.
    #[serde(default = "default_mqtt_port")]
    #[schemars(range(min = 1))]
    pub mqtt_port: u16,
    /// OpenWire (TCP) port, 1-65535.
    #[serde(default = "default_openwire_port")]
    #[schemars(range(min = 1))]
    pub openwire_port: u16,
    /// Destination networks (CIDR blocks) for the cloud egress rules of `kubectl smi network
    /// rules`; any address (0.0.0.0/0) when empty, since a security rule cannot name a host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = keywords::cidrs)]
    pub cidrs: Vec<String>,
}

fn default_mqtt_port() -> u16 {
    1183
}

fn default_openwire_port() -> u16 {
    61616
}

/// How `kubectl smi secrets` keeps key material safe, and changes to the secret catalog.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// Where generated key material is backed up before it reaches the cluster (see `kubectl smi secrets create`).
    #[serde(default)]
    pub backup: Option<SecretBackup>,
    /// Secrets added to, or replacing entries of, the built-in catalog (`src/catalog/secrets.yaml`): an entry named like a built-in secret replaces it whole, any other is added; each name once.
    #[serde(default)]
    #[schemars(transform = keywords::secret_catalog)]
    pub catalog: Vec<SecretSpec>,
    /// Where `kubectl smi secrets external` reads the values from (External Secrets Operator).
    #[serde(default)]
    pub external: Option<ExternalSecrets>,
}

/// Backup targets of generated key material; every one configured is written, each before
/// any key reaches the cluster.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretBackup {
    /// age-encrypted files in a local directory, one new file per run that generates keys.
    #[serde(default)]
    pub file: Option<FileBackup>,
    /// AWS Secrets Manager: one secret per Kubernetes Secret, its keys as JSON properties.
    #[serde(default)]
    pub aws_secrets_manager: Option<AwsSecretsManagerBackup>,
    /// OCI Vault: one secret per Kubernetes Secret, `smi-<namespace>-<secret>`, its keys as JSON properties (API key of the OCI CLI config file).
    #[serde(default)]
    pub oci_vault: Option<OciVaultBackup>,
}

/// age-encrypted backup files: with a passphrase (scrypt) unless `recipients` are given.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileBackup {
    /// Directory of the backup files, relative to the values file.
    #[schemars(length(min = 1))]
    pub directory: String,
    /// age recipients (`age1...`) the files are encrypted to, instead of a passphrase.
    #[serde(default)]
    #[schemars(transform = keywords::age_recipients)]
    pub recipients: Vec<String>,
    /// age identity file to read backups encrypted to `recipients` (restores, retries).
    #[serde(default)]
    pub identity_file: Option<String>,
    /// Environment variable holding the passphrase.
    #[serde(default = "default_passphrase_env")]
    pub passphrase_env: String,
    /// File holding the passphrase (first line), instead of the environment variable.
    #[serde(default)]
    pub passphrase_file: Option<String>,
}

fn default_passphrase_env() -> String {
    "SMI_BACKUP_PASSPHRASE".to_owned()
}

/// AWS Secrets Manager as the backup of generated keys (credentials from the usual AWS chain).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsSecretsManagerBackup {
    /// Region; `cloud.aws.region`, then the AWS configuration, when absent.
    #[serde(default)]
    #[schemars(transform = keywords::aws_region)]
    pub region: Option<String>,
    /// Secret names are `<prefix><namespace>/<secret>` (default prefix `smi/`).
    #[serde(default = "default_aws_prefix")]
    pub prefix: String,
    /// KMS key for new secrets (alias, id or ARN); the account's default key when absent.
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

fn default_aws_prefix() -> String {
    "smi/".to_owned()
}

/// OCI Vault as the backup of generated keys (the API key of `~/.oci/config`, or `OCI_CLI_CONFIG_FILE` and `OCI_CLI_PROFILE`; region `cloud.oci.region`, else the profile's).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OciVaultBackup {
    /// The vault's OCID.
    #[schemars(transform = keywords::oci_vault)]
    pub vault_id: String,
    /// The compartment the secrets are created in.
    #[schemars(transform = keywords::oci_compartment)]
    pub compartment_id: String,
    /// The master encryption key's OCID (an AES key of the vault) new secrets are encrypted with.
    #[schemars(transform = keywords::oci_key)]
    pub key_id: String,
}

/// External Secrets Operator resources for `secrets external`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalSecrets {
    /// The secret store; `cloud.provider` decides when absent (aws: Secrets Manager, oci: Vault).
    #[serde(default)]
    pub provider: Option<ExternalProvider>,
    /// Remote secret names are `<keyPrefix><secret>`; default `smi/<namespace>/` for AWS
    /// (the same names as the AWS backup) and `smi-<namespace>-` for OCI Vault.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// How often the operator re-reads the store (ExternalSecret refreshInterval).
    #[serde(default = "default_refresh_interval")]
    #[schemars(transform = keywords::go_duration)]
    pub refresh_interval: String,
    /// The store the ExternalSecrets read from.
    #[serde(default)]
    pub store: ExternalStore,
    /// How the operator reaches AWS Secrets Manager.
    #[serde(default)]
    pub aws: Option<ExternalAws>,
    /// How the operator reaches OCI Vault (required for the OCI Vault provider).
    #[serde(default)]
    pub oci: Option<ExternalOci>,
}

impl Default for ExternalSecrets {
    fn default() -> Self {
        ExternalSecrets {
            provider: None,
            key_prefix: None,
            refresh_interval: default_refresh_interval(),
            store: ExternalStore::default(),
            aws: None,
            oci: None,
        }
    }
}

fn default_refresh_interval() -> String {
    "1h".to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
/// The secret store External Secrets Operator reads.
pub enum ExternalProvider {
    /// AWS Secrets Manager.
    AwsSecretsManager,
    /// OCI Vault.
    OciVault,
}

/// The SecretStore (or ClusterSecretStore) the ExternalSecrets name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalStore {
    /// The store's name (default `smi-secrets`).
    #[serde(default = "default_store_name")]
    #[schemars(transform = keywords::dns_label)]
    pub name: String,
    /// SecretStore (in the release namespace) or ClusterSecretStore.
    #[serde(default)]
    pub kind: StoreKind,
    /// Emit the store too; false when the store exists already.
    #[serde(default = "yes")]
    pub create: bool,
}

impl Default for ExternalStore {
    fn default() -> Self {
        ExternalStore {
            name: default_store_name(),
            kind: StoreKind::default(),
            create: true,
        }
    }
}

fn default_store_name() -> String {
    "smi-secrets".to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
/// The kind of the External Secrets store.
pub enum StoreKind {
    /// A SecretStore in the release namespace.
    #[default]
    SecretStore,
    /// A ClusterSecretStore, which every namespace can use.
    ClusterSecretStore,
}

/// How the operator reaches AWS Secrets Manager.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalAws {
    /// Region; `cloud.aws.region` when absent.
    #[serde(default)]
    #[schemars(transform = keywords::aws_region)]
    pub region: Option<String>,
    /// IAM role the operator assumes to read the secrets.
    #[serde(default)]
    #[schemars(transform = keywords::iam_role_arn)]
    pub role: Option<String>,
    /// Service account whose token the operator uses (IRSA); with EKS Pod Identity leave it
    /// out: the operator's own identity is used.
    #[serde(default)]
    #[schemars(transform = keywords::dns_label)]
    pub service_account: Option<String>,
}

/// How the operator reaches OCI Vault.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalOci {
    /// The vault's OCID.
    #[schemars(transform = keywords::oci_vault)]
    pub vault_id: String,
    /// Region; `cloud.oci.region` when absent.
    #[serde(default)]
    #[schemars(transform = keywords::oci_region)]
    pub region: Option<String>,
    /// Workload identity (OKE) of this service account; instance principal when absent.
    #[serde(default)]
    #[schemars(transform = keywords::dns_label)]
    pub service_account: Option<String>,
}

/// JSON patches applied to the rendered manifests after the built-in injections.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Overlays {
    /// Apply the overlays shipped for the provider (overlays/aws, overlays/oci).
    #[serde(default = "yes")]
    pub defaults: bool,
    /// Directories of overlay files, relative to the values file.
    #[serde(default)]
    #[schemars(inner(length(min = 1)))]
    pub directories: Vec<String>,
    /// Overlays written inline: each a target selector and RFC 6902 JSON patch operations.
    #[serde(default)]
    #[schemars(extend("items" = {"type": "object"}))]
    pub patches: Vec<serde_json::Value>,
}

impl Default for Overlays {
    fn default() -> Self {
        Overlays {
            defaults: true,
            directories: Vec::new(),
            patches: Vec::new(),
        }
    }
}

/// The exposure the shipped default overlays give a Service of type LoadBalancer whose chart chooses neither its exposure nor its load balancer type (a Service whose chart chooses either, in any form its controller reads, keeps its own: see docs/injections.md).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// Who can reach such a load balancer; `internet-facing` (the guide's step 1: the three DNS names point at it) when absent.
    #[serde(default)]
    pub scheme: LoadBalancerScheme,
}

/// Who can reach a load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadBalancerScheme {
    /// reachable from the internet (AWS scheme `internet-facing`; on OCI, a network load balancer without the internal annotation).
    #[default]
    InternetFacing,
    /// reachable from the VPC or VCN only (AWS scheme `internal`; on OCI, `oci-network-load-balancer.oraclecloud.com/internal: "true"`).
    Internal,
}
