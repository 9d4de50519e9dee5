//! The `smi:` section of the values file, as typed values. This is the contract every
//! command reads; `schemas/values.schema.json` describes the same shape for Helm and editors.

use serde::{Deserialize, Serialize};

/// The whole values file: only `smi` is ours; every other key belongs to the charts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Values {
    pub smi: Smi,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Smi {
    /// `env_name` of the installation guide: names the ServiceMonitor and the release labels.
    pub environment: String,
    /// The platform's namespace (one platform per namespace); `environment` when absent.
    #[serde(default)]
    pub namespace: Option<String>,
    pub dns: Dns,
    pub cloud: Cloud,
    #[serde(default)]
    pub network_policy: NetworkPolicy,
    pub prometheus: Prometheus,
    pub endpoints: Endpoints,
    #[serde(default)]
    pub secrets: Secrets,
    #[serde(default)]
    pub overlays: Overlays,
}

impl Smi {
    /// The namespace the platform runs in.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(&self.environment)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns {
    /// Web applications (static files for Reference, Console and CAD plugins).
    pub app: String,
    /// REST APIs and the server-side web application (login).
    pub api: String,
    /// The identity service.
    pub id: String,
    /// The load balancer the names must point to (hostname or IP), checked by preflight.
    #[serde(default)]
    pub load_balancer: Option<String>,
    /// Add external-dns hostname annotations to the platform's Services and Ingresses.
    #[serde(default)]
    pub external_dns: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cloud {
    pub provider: Provider,
    #[serde(default)]
    pub aws: Option<Aws>,
    #[serde(default)]
    pub oci: Option<Oci>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Oci,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Aws {
    pub region: String,
    /// 12-digit account id; resolved with STS GetCallerIdentity when absent.
    #[serde(default)]
    pub account_id: Option<String>,
    /// `aws`, `aws-cn` or `aws-us-gov`; derived from the region when absent.
    #[serde(default)]
    pub partition: Option<String>,
    pub cluster_name: String,
    #[serde(default)]
    pub identity: AwsIdentity,
    /// Role name = prefix + service account name.
    #[serde(default)]
    pub role_name_prefix: String,
    pub buckets: Buckets,
    /// Customer-managed KMS keys the buckets are encrypted with.
    #[serde(default)]
    pub kms_key_arns: Vec<String>,
    /// The cluster's OIDC issuer URL (IRSA only), e.g. https://oidc.eks.<region>.amazonaws.com/id/<id>.
    #[serde(default)]
    pub oidc_issuer: Option<String>,
    /// Emit ACK PodIdentityAssociation resources with the release (pod identity only).
    #[serde(default)]
    pub ack_pod_identity_associations: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AwsIdentity {
    /// EKS Pod Identity (the guide's choice): roles trust pods.eks.amazonaws.com.
    #[default]
    PodIdentity,
    /// IAM roles for service accounts: an OIDC trust and a role annotation per account.
    Irsa,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oci {
    pub region: String,
    /// The compartment that contains the cluster (COMPARTMENT_ID of the guide).
    pub compartment_id: String,
    /// The cluster's OCID (KUBERNETES_CLUSTER_ID of the guide).
    pub cluster_id: String,
    pub buckets: Buckets,
}

/// The five buckets of the guide, by purpose.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Buckets {
    pub kafka: String,
    pub filesvc: String,
    pub scriptmanager: String,
    pub datasourcesvc: String,
    pub workflowsvc: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    #[serde(default)]
    pub engine: PolicyEngine,
    /// Egress rules appended after the guide's rules (after the private-range deny).
    #[serde(default)]
    pub extra_egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyEngine {
    #[default]
    Calico,
    Kubernetes,
    None,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressRule {
    #[serde(default)]
    pub action: RuleAction,
    #[serde(default)]
    pub protocol: Option<Protocol>,
    /// Destination CIDRs.
    #[serde(default)]
    pub nets: Vec<String>,
    #[serde(default)]
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum RuleAction {
    #[default]
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Protocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prometheus {
    /// `prometheus_namespace` of the guide: where the ServiceMonitor goes.
    pub namespace: String,
    /// `prometheus_release_label_value` of the guide: the `release` label Prometheus selects.
    pub release_label: String,
    /// Scrape interval of the scriptmanager (the guide uses 5s).
    #[serde(default = "default_interval")]
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

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaler {
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Average queue size per scriptworker replica.
    pub target_queue_size: u32,
}

/// The external systems of the network table.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoints {
    pub postgresql: HostPort,
    pub mongodb: HostPort,
    pub redis: HostPort,
    pub kafka: Kafka,
    pub activemq: ActiveMq,
    pub neo4j: HostPort,
    pub smtp: HostPort,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kafka {
    /// Bootstrap brokers as `host:port` (e.g. MSK's SASL/SCRAM port 9096).
    pub bootstrap: Vec<String>,
    /// ZooKeeper nodes as `host:port`.
    #[serde(default)]
    pub zookeeper: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActiveMq {
    pub host: String,
    #[serde(default = "default_mqtt_port")]
    pub mqtt_port: u16,
    #[serde(default = "default_openwire_port")]
    pub openwire_port: u16,
}

fn default_mqtt_port() -> u16 {
    1183
}

fn default_openwire_port() -> u16 {
    61616
}

/// How `kubectl smi secrets` keeps key material safe, and changes to the secret catalog.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// Where generated key material is backed up before it reaches the cluster.
    #[serde(default)]
    pub backup: Option<SecretBackup>,
    /// Secrets added to, or replacing entries of, the built-in catalog.
    #[serde(default)]
    pub catalog: Vec<serde_json::Value>,
    /// Where `secrets external` reads the values from (External Secrets Operator).
    #[serde(default)]
    pub external: Option<ExternalSecrets>,
}

/// Backup targets of generated key material; every one configured is written, each before
/// any key reaches the cluster.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretBackup {
    /// age-encrypted files in a local directory, one new file per run that generates keys.
    #[serde(default)]
    pub file: Option<FileBackup>,
    /// AWS Secrets Manager: one secret per Kubernetes Secret, its keys as JSON properties.
    #[serde(default)]
    pub aws_secrets_manager: Option<AwsSecretsManagerBackup>,
    /// OCI Vault (not supported yet: kubectl-smi refuses with exit code 2).
    #[serde(default)]
    pub oci_vault: Option<OciVaultBackup>,
}

/// age-encrypted backup files: with a passphrase (scrypt) unless `recipients` are given.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileBackup {
    /// Directory of the backup files, relative to the values file.
    pub directory: String,
    /// age recipients (`age1...`) the files are encrypted to, instead of a passphrase.
    #[serde(default)]
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
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsSecretsManagerBackup {
    /// Region; `cloud.aws.region`, then the AWS configuration, when absent.
    #[serde(default)]
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

/// OCI Vault as the backup of generated keys.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OciVaultBackup {
    /// The vault's OCID.
    pub vault_id: String,
    /// The compartment the secrets are created in.
    pub compartment_id: String,
    /// The master encryption key's OCID.
    pub key_id: String,
}

/// External Secrets Operator resources for `secrets external`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
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
    pub refresh_interval: String,
    /// The store the ExternalSecrets read from.
    #[serde(default)]
    pub store: ExternalStore,
    #[serde(default)]
    pub aws: Option<ExternalAws>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ExternalProvider {
    AwsSecretsManager,
    OciVault,
}

/// The SecretStore (or ClusterSecretStore) the ExternalSecrets name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalStore {
    #[serde(default = "default_store_name")]
    pub name: String,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum StoreKind {
    #[default]
    SecretStore,
    ClusterSecretStore,
}

/// How the operator reaches AWS Secrets Manager.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalAws {
    /// Region; `cloud.aws.region` when absent.
    #[serde(default)]
    pub region: Option<String>,
    /// IAM role the operator assumes to read the secrets.
    #[serde(default)]
    pub role: Option<String>,
    /// Service account whose token the operator uses (IRSA); with EKS Pod Identity leave it
    /// out: the operator's own identity is used.
    #[serde(default)]
    pub service_account: Option<String>,
}

/// How the operator reaches OCI Vault.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalOci {
    /// The vault's OCID.
    pub vault_id: String,
    /// Region; `cloud.oci.region` when absent.
    #[serde(default)]
    pub region: Option<String>,
    /// Workload identity (OKE) of this service account; instance principal when absent.
    #[serde(default)]
    pub service_account: Option<String>,
}

/// JSON patches applied to the rendered manifests after the built-in injections.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Overlays {
    /// Apply the overlays shipped for the provider (overlays/aws, overlays/oci).
    #[serde(default = "yes")]
    pub defaults: bool,
    /// Directories of overlay files, relative to the values file.
    #[serde(default)]
    pub directories: Vec<String>,
    /// Overlays written inline.
    #[serde(default)]
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
