//! One mistake per values file, each rejected by `kubectl smi validate` with the right YAML
//! path and line, and by the post-renderer with nothing on standard output.

use std::path::Path;

use serde_json::Value;

use crate::support::{example, kubectl_smi};

/// The file a case starts from.
#[derive(Clone, Copy)]
enum Base {
    Aws,
    Irsa,
    Oci,
    /// No base: `replace` is the whole file.
    Text,
}

/// The line a problem must be reported at.
#[derive(Clone, Copy)]
enum Line {
    /// The first line of the case's file that starts with this text (indentation included).
    At(&'static str),
    /// This line number.
    No(usize),
    /// The first line that starts with this text, at this column (1-based).
    AtColumn(&'static str, usize),
}

struct Case {
    mistake: &'static str,
    base: Base,
    /// Text of the base to change (exactly once), and what it becomes.
    find: &'static str,
    replace: &'static str,
    /// The YAML path the problem must name ("" for the whole file), and where.
    path: &'static str,
    line: Line,
    /// Words the problem must contain.
    says: &'static str,
}

const fn case(
    mistake: &'static str,
    base: Base,
    find: &'static str,
    replace: &'static str,
    path: &'static str,
    line: Line,
    says: &'static str,
) -> Case {
    Case {
        mistake,
        base,
        find,
        replace,
        path,
        line,
        says,
    }
}

use Base::*;
use Line::*;

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Buckets (step 3)
    case("a missing bucket", Aws, "        filesvc: dtp-prod-filesvc\n", "", "smi.cloud.aws.buckets.filesvc", At("      buckets:"), "an S3 bucket name"),
    case("an S3 bucket name in capitals", Aws, "kafka: dtp-prod-kafka", "kafka: Dtp-Prod-Kafka", "smi.cloud.aws.buckets.kafka", At("        kafka: Dtp"), "lowercase letters"),
    case("an S3 bucket name too short", Aws, "kafka: dtp-prod-kafka", "kafka: ab", "smi.cloud.aws.buckets.kafka", At("        kafka: ab"), "at least 3 characters"),
    case("an S3 bucket name with two dots", Aws, "kafka: dtp-prod-kafka", "kafka: dtp..kafka", "smi.cloud.aws.buckets.kafka", At("        kafka: dtp..kafka"), "no two adjacent dots"),
    case("an S3 bucket name that is an IP address", Aws, "kafka: dtp-prod-kafka", "kafka: 192.168.5.4", "smi.cloud.aws.buckets.kafka", At("        kafka: 192"), "IP address"),
    case("an S3 bucket name with a reserved prefix", Aws, "kafka: dtp-prod-kafka", "kafka: xn--dtp-kafka", "smi.cloud.aws.buckets.kafka", At("        kafka: xn--"), "reserved by AWS"),
    case("an OCI bucket name with a space", Oci, "kafka: dtp-prod-kafka", "kafka: \"dtp prod kafka\"", "smi.cloud.oci.buckets.kafka", At("        kafka: \"dtp"), "OCI Object Storage bucket name"),
    case("a misspelt bucket purpose", Aws, "workflowsvc: dtp", "workflowsvcs: dtp", "smi.cloud.aws.buckets.workflowsvcs", At("        workflowsvcs:"), "did you mean `workflowsvc`"),
    // OCIDs, regions, accounts, ARNs
    case("a cluster OCID as compartment", Oci, "compartmentId: ocid1.compartment.oc1..", "compartmentId: ocid1.cluster.oc1.eu-frankfurt-1.", "smi.cloud.oci.compartmentId", At("      compartmentId:"), "a compartment OCID"),
    case("an OCID without its unique part", Oci, "clusterId: ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaqd6cmfnt3szakqlcwf3ck2n2djgwkldfkvdkzphqtyzm7pbr2gwq", "clusterId: ocid1.cluster.oc1.eu-frankfurt-1", "smi.cloud.oci.clusterId", At("      clusterId:"), "a cluster OCID"),
    case("an OCI region that is not one", Oci, "region: eu-frankfurt-1", "region: FRA", "smi.cloud.oci.region", At("      region: FRA"), "an OCI region identifier"),
    case("an OCI region in the AWS section", Aws, "region: us-east-1", "region: eu-frankfurt-1", "smi.cloud.aws.region", At("      region: eu-frankfurt-1"), "an AWS region"),
    case("the account id as a number", Aws, "accountId: \"123456789012\"", "accountId: 123456789012", "smi.cloud.aws.accountId", At("      accountId:"), "the number 123456789012"),
    case("the account id unquoted with a leading zero", Aws, "accountId: \"123456789012\"", "accountId: 012345678901", "smi.cloud.aws.accountId", At("      accountId:"), "`012345678901`, which YAML reads as the number"),
    case("an 11-digit account id", Aws, "accountId: \"123456789012\"", "accountId: \"12345678901\"", "smi.cloud.aws.accountId", At("      accountId:"), "exactly 12 digits"),
    case("a KMS key id instead of its ARN", Aws, "- arn:aws:kms:us-east-1:123456789012:key/", "- ", "smi.cloud.aws.kmsKeyArns[0]", At("        - 1234abcd"), "a KMS key ARN"),
    case("a cluster name with a space", Aws, "clusterName: dtp-prod", "clusterName: dtp prod", "smi.cloud.aws.clusterName", At("      clusterName:"), "an EKS cluster name"),
    case("an identity written the wrong way", Aws, "identity: podIdentity", "identity: pod-identity", "smi.cloud.aws.identity", At("      identity:"), "did you mean `podIdentity`"),
    case("a role name prefix too long for IAM", Aws, "roleNamePrefix: dtp-prod-", "roleNamePrefix: dtp-production-eu-central-platform-", "smi.cloud.aws.roleNamePrefix", At("      roleNamePrefix:"), "at most 33 characters"),
    case("a snake_case key", Aws, "roleNamePrefix: dtp-prod-", "role_name_prefix: dtp-prod-", "smi.cloud.aws.role_name_prefix", At("      role_name_prefix:"), "did you mean `roleNamePrefix`"),
    case("a partition that does not match the region", Aws, "      region: us-east-1\n", "      region: us-east-1\n      partition: aws-cn\n", "smi.cloud.aws.partition", At("      partition:"), "the partition of region us-east-1"),
    case("ACK associations with IRSA", Irsa, "      identity: irsa\n", "      identity: irsa\n      ackPodIdentityAssociations: true\n", "smi.cloud.aws.ackPodIdentityAssociations", At("      ackPodIdentityAssociations:"), "when `identity` is `irsa`"),
    // Provider sections
    case("the other provider's section", Aws, "provider: aws", "provider: oci", "smi.cloud.aws", At("    aws:"), "no `aws` section (when `provider` is `oci`)"),
    case("no section for the provider", Oci, "provider: oci", "provider: aws", "smi.cloud.aws", At("  cloud:"), "(when `provider` is `aws`)"),
    case("both provider sections", Aws, "  networkPolicy:\n", "    oci:\n      region: eu-frankfurt-1\n  networkPolicy:\n", "smi.cloud.oci", At("    oci:"), "no `oci` section"),
    case("an unknown provider", Aws, "provider: aws", "provider: gcp", "smi.cloud.provider", At("    provider:"), "one of `aws`, `oci`"),
    case("a provider in capitals", Aws, "provider: aws", "provider: AWS", "smi.cloud.provider", At("    provider:"), "did you mean `aws`"),
    // DNS names (step 1)
    case("a duplicate DNS name", Aws, "id: id.example-domain.com", "id: app.example-domain.com", "smi.dns.id", At("    id:"), "a name other than smi.dns.app"),
    case("a DNS name that is not fully qualified", Aws, "app: app.example-domain.com", "app: app", "smi.dns.app", At("    app:"), "fully qualified DNS name"),
    case("a DNS name in capitals", Aws, "api: api.example-domain.com", "api: API.example-domain.com", "smi.dns.api", At("    api:"), "fully qualified DNS name"),
    case("a URL instead of a DNS name", Aws, "id: id.example-domain.com", "id: https://id.example-domain.com", "smi.dns.id", At("    id:"), "fully qualified DNS name"),
    case("a missing DNS name", Aws, "    api: api.example-domain.com\n", "", "smi.dns.api", At("  dns:"), "no `api` key"),
    case("externalDns as a word", Aws, "    loadBalancer:", "    externalDns: please\n    loadBalancer:", "smi.dns.externalDns", At("    externalDns:"), "true or false"),
    // Names and labels
    case("an unknown key under smi", Aws, "  namespace: prod", "  namspace: prod", "smi.namspace", At("  namspace:"), "did you mean `namespace`"),
    case("a key one level too high", Aws, "  namespace: prod\n", "  namespace: prod\n  region: us-east-1\n", "smi.region", At("  region:"), "`smi.cloud.aws.region`"),
    case("an environment in capitals", Aws, "environment: prod", "environment: Prod", "smi.environment", At("  environment:"), "a DNS-1123 label"),
    case("an environment too long for the ServiceMonitor", Aws, "environment: prod", "environment: production-environment-for-the-digital-twin-platfo", "smi.environment", At("  environment:"), "at most 49 characters"),
    case("a namespace with an underscore", Aws, "  namespace: prod", "  namespace: dtp_prod", "smi.namespace", At("  namespace:"), "a DNS-1123 label"),
    // Network policy (step 4)
    case("an unknown policy engine", Aws, "engine: calico", "engine: cilium", "smi.networkPolicy.engine", At("    engine:"), "one of `calico`, `kubernetes`, `none`"),
    case("egress ports without a protocol", Oci, "    engine: calico\n", "    engine: calico\n    extraEgress:\n      - ports: [443]\n", "smi.networkPolicy.extraEgress[0].protocol", At("      - ports:"), "when `ports` is not empty"),
    case("an egress network that is not CIDR", Oci, "    engine: calico\n", "    engine: calico\n    extraEgress:\n      - nets: [10.0.0.0/33]\n", "smi.networkPolicy.extraEgress[0].nets[0]", At("      - nets:"), "CIDR"),
    // Prometheus (step 5)
    case("a missing Prometheus namespace", Aws, "    namespace: monitoring\n", "", "smi.prometheus.namespace", At("  prometheus:"), "no `namespace` key"),
    case("an unquoted `on` as release label", Aws, "releaseLabel: kube-prometheus-stack", "releaseLabel: on", "smi.prometheus.releaseLabel", At("    releaseLabel:"), "the boolean true"),
    case("a duration without a unit", Aws, "interval: 5s", "interval: 5sec", "smi.prometheus.interval", At("    interval:"), "a Prometheus duration"),
    case("fewer replicas at most than at least", Aws, "    interval: 5s\n", "    interval: 5s\n    scriptworkerAutoscaler: {minReplicas: 4, maxReplicas: 2, targetQueueSize: 10}\n", "smi.prometheus.scriptworkerAutoscaler.maxReplicas", At("    scriptworkerAutoscaler:"), "at least minReplicas (4)"),
    // Endpoints (step 2)
    case("port 70000", Aws, "port: 27017", "port: 70000", "smi.endpoints.mongodb.port", At("    mongodb:"), "a port number from 1 to 65535"),
    case("port 0", Aws, "port: 587", "port: 0", "smi.endpoints.smtp.port", At("    smtp:"), "a port number from 1 to 65535"),
    case("a port as a string", Aws, "port: 7687", "port: \"7687\"", "smi.endpoints.neo4j.port", At("    neo4j:"), "a port number"),
    case("a host with a port in it", Aws, "host: dtp-prod-mongo.example-domain.com", "host: \"dtp-prod-mongo.example-domain.com:27017\"", "smi.endpoints.mongodb.host", At("    mongodb:"), "a host name or IP address"),
    case("an ActiveMQ port out of range", Aws, "mqttPort: 1183", "mqttPort: 99999", "smi.endpoints.activemq.mqttPort", At("    activemq:"), "1 to 65535"),
    case("no Kafka bootstrap broker", Aws, "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "      bootstrap: []\n", "smi.endpoints.kafka.bootstrap", At("      bootstrap:"), "at least 1 item"),
    case("a Kafka broker without its port", Aws, "- b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096", "- b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com", "smi.endpoints.kafka.bootstrap[0]", At("        - b-1."), "a host:port address"),
    case("an MSK bootstrap string with a trailing comma", Aws, "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "      bootstrap: \"b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096, b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096,\"\n", "smi.endpoints.kafka.bootstrap[2]", At("      bootstrap:"), "a trailing comma"),
    case("an MSK bootstrap string with an empty item", Aws, "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "      bootstrap: b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096,,b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "smi.endpoints.kafka.bootstrap[1]", AtColumn("      bootstrap:", 75), "an empty item between two commas"),
    case("an MSK bootstrap string with a broker without its port", Aws, "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "      bootstrap: \"b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096, b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com\"\n", "smi.endpoints.kafka.bootstrap[1]", AtColumn("      bootstrap:", 77), "item 2 of the comma-separated string; expected a host:port address"),
    case("an empty bootstrap string", Aws, "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "      bootstrap: \"\"\n", "smi.endpoints.kafka.bootstrap[0]", At("      bootstrap:"), "found an empty string"),
    case("a ZooKeeper string with a node out of range", Aws, "- z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181", "z-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:2181, z-2:70000", "smi.endpoints.kafka.zookeeper[1]", At("        z-1."), "item 2 of the comma-separated string"),
    case("bootstrap brokers as a number", Aws, "      bootstrap:\n        - b-1.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n        - b-2.dtpprod.abc123.c2.kafka.us-east-1.amazonaws.com:9096\n", "      bootstrap: 9096\n", "smi.endpoints.kafka.bootstrap", At("      bootstrap:"), "or a comma-separated list of host:port addresses in one string"),
    case("CIDRs as one string instead of a list", Aws, "port: 6379}", "port: 6379, cidrs: 10.0.0.0/16}", "smi.endpoints.redis.cidrs", At("    redis:"), "written as a YAML list: `[a, b]` on one line, or one item per `- ` line"),
    case("egress ports as a number instead of a list", Oci, "    engine: calico\n", "    engine: calico\n    extraEgress:\n      - {protocol: TCP, ports: 443}\n", "smi.networkPolicy.extraEgress[0].ports", At("      - {protocol"), "did you mean `[443]`"),
    case("KMS keys as a comma-separated string", Aws, "      kmsKeyArns:\n        - arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n", "      kmsKeyArns: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab,arn:aws:kms:us-east-1:123456789012:key/5678\n", "smi.cloud.aws.kmsKeyArns", At("      kmsKeyArns:"), "did you mean `[arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab, arn:aws:kms:us-east-1:123456789012:key/5678]`"),
    case("no endpoints section", Oci, "  endpoints:\n", "  endpointz:\n", "smi.endpoints", At("smi:"), "no `endpoints` key"),
    // Secrets: a value that could be secret is never echoed
    case("a backup target as a string", Aws, "  networkPolicy:\n", "  secrets:\n    backup: s3://bucket/passphrase-in-clear\n  networkPolicy:\n", "smi.secrets.backup", At("    backup:"), "found a string; expected a mapping"),
    // The secret catalog (step 6): what `secrets create` and the post-renderer would refuse
    case("a generated key without a generator", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: generated}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].generator", AtColumn("          - {name: TOKEN", 13), "found no `generator` key; expected `generator`: one of `aes256`"),
    case("a generated key with an empty generator", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: generated, generator: }\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].generator", AtColumn("          - {name: TOKEN", 46), "found an empty value (null); expected one of `aes256`"),
    case("a supplied key with a generator", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: supplied, generator: aes256}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].generator", AtColumn("          - {name: TOKEN", 45), "expected no `generator` key (when `source` is `supplied`)"),
    case("a source written in capitals", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: Generated, generator: aes256}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].source", AtColumn("          - {name: TOKEN", 35), "did you mean `generated`"),
    case("an unknown generator", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: generated, generator: aes128}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].generator", AtColumn("          - {name: TOKEN", 57), "one of `aes256`, `random64`"),
    case("a public key of a missing key", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: sign.pem, source: generated, generator: ecP256PrivateKey}\n          - {name: sign.pub, source: generated, generator: publicKeyOf, of: sign.key}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[1].of", AtColumn("          - {name: sign.pub", 77), "an `ecP256PrivateKey` or `rsa3072PrivateKey` key of the same secret"),
    case("a certificate of a key that is not a private key", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: AES, source: generated, generator: aes256}\n          - {name: cert.pem, source: generated, generator: selfSignedCertificateOf, of: AES}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[1].of", AtColumn("          - {name: cert.pem", 89), "`selfSignedCertificateOf` derives from a generated private key"),
    case("a public key without `of`", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: sign.pub, source: generated, generator: publicKeyOf}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].of", AtColumn("          - {name: sign.pub", 13), "no `of` key; expected `of`: a string (when `generator` is `publicKeyOf`)"),
    case("a subject on a key that is no certificate", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: AES, source: generated, generator: aes256, subject: aes}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].subject", AtColumn("          - {name: AES", 63), "no `subject` key (unless `generator` is `selfSignedCertificateOf`)"),
    case("a certificate subject with a slash", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: k.pem, source: generated, generator: rsa3072PrivateKey}\n          - {name: c.pem, source: generated, generator: selfSignedCertificateOf, of: k.pem, subject: a/b}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[1].subject", AtColumn("          - {name: c.pem", 102), "a certificate common name"),
    case("a secret name with capitals and an underscore", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: Smi_Extra\n        keys: []\n  networkPolicy:\n", "smi.secrets.catalog[0].name", AtColumn("      - name: Smi_Extra", 15), "a Kubernetes object name (DNS-1123 subdomain)"),
    case("a key name with a space", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: API TOKEN, source: supplied}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].name", AtColumn("          - {name: API", 20), "a Secret data key: letters, digits"),
    case("a key name starting with two dots", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: ..token, source: supplied}\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[0].name", AtColumn("          - {name: ..token", 20), "neither `.` nor a leading `..`"),
    case("the same key twice in a secret", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: supplied}\n          - name: TOKEN\n            source: supplied\n  networkPolicy:\n", "smi.secrets.catalog[0].keys[1].name", AtColumn("          - name: TOKEN", 19), "a name other than that of smi.secrets.catalog[0].keys[0]"),
    case("the same secret twice in the catalog", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - {name: smi-extra, keys: []}\n      - name: smi-extra\n        keys: []\n  networkPolicy:\n", "smi.secrets.catalog[1].name", AtColumn("      - name: smi-extra", 15), "a name other than that of smi.secrets.catalog[0]"),
    case("a consumer that cannot be a service account", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: supplied}\n        consumers: [Filesvc]\n  networkPolicy:\n", "smi.secrets.catalog[0].consumers[0]", AtColumn("        consumers:", 21), "a Kubernetes object name"),
    case("a misspelt catalog field", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n        keys:\n          - {name: TOKEN, source: supplied}\n        mountpath: /etc/extra\n  networkPolicy:\n", "smi.secrets.catalog[0].mountpath", AtColumn("        mountpath:", 9), "did you mean `mountPath`"),
    case("a catalog entry without keys", Aws, "  networkPolicy:\n", "  secrets:\n    catalog:\n      - name: smi-extra\n  networkPolicy:\n", "smi.secrets.catalog[0].keys", AtColumn("      - name: smi-extra", 9), "no `keys` key"),
    // Files that are not values
    case("an empty file", Text, "", "", "smi", No(1), "no `smi` key"),
    case("a YAML syntax error", Aws, "    api: api", "     api: api", "", At("     api:"), "invalid YAML"),
    case("an unclosed quote", Text, "", "smi:\n  environment: \"prod\n  dns: {}\n", "", No(2), "invalid YAML: unclosed quote"),
    case("a file that is a list", Text, "", "# values\n- smi\n- dns\n", "", No(2), "a list at the top of the file"),
    case("a file that is a sentence", Text, "", "install the platform please\n", "", No(1), "a string at the top of the file"),
    case("two documents in one file", Aws, "global:\n", "smi: {}\n---\nglobal:\n", "", At("---"), "one YAML document per values file"),
    case("smi as a list", Text, "", "smi:\n  - environment: prod\n", "smi", No(2), "a mapping with environment, dns, cloud, prometheus, endpoints"),
    case("invalid UTF-8", Text, "", "smi:\n  environment: pr\u{FFFD}od\n", "", No(2), "not UTF-8"),
];

/// Every case's mistake and the content of its file: the table's invalid documents, for
/// the modules that check them another way (values_helm asks Helm's own schema check).
pub fn invalid_documents() -> Vec<(&'static str, Vec<u8>)> {
    CASES.iter().map(|c| (c.mistake, content(c))).collect()
}

/// The expected line number of a case, in its file's text.
fn line_of(case: &Case, text: &str) -> usize {
    match case.line {
        No(n) => n,
        At(start) | AtColumn(start, _) => {
            let found = text.lines().position(|l| l.starts_with(start));
            1 + found.unwrap_or_else(|| panic!("{}: no line starts with `{start}`", case.mistake))
        }
    }
}

fn base_text(base: Base) -> String {
    let name = match base {
        Aws => "values-aws.yaml",
        Irsa => "values-aws-irsa.yaml",
        Oci => "values-oci.yaml",
        Text => return String::new(),
    };
    // The cases write their own smi.secrets.
    crate::support::example_text_without_secrets(name)
}

/// The case's file content; the invalid-UTF-8 case swaps its marker for a bare 0xFF byte.
fn content(case: &Case) -> Vec<u8> {
    let text = match case.base {
        Text => case.replace.to_owned(),
        base => {
            let base = base_text(base);
            assert_eq!(
                base.matches(case.find).count(),
                1,
                "{}: `{}` must occur once",
                case.mistake,
                case.find
            );
            base.replacen(case.find, case.replace, 1)
        }
    };
    let mut bytes = Vec::new();
    for part in text.split('\u{FFFD}').enumerate() {
        if part.0 > 0 {
            bytes.push(0xFF);
        }
        bytes.extend_from_slice(part.1.as_bytes());
    }
    bytes
}

fn expected_line(case: &Case, file: &Path) -> usize {
    let bytes = std::fs::read(file).expect("the case was written");
    line_of(case, &String::from_utf8_lossy(&bytes))
}

/// `file:line:` as a message starts, with the column when the case names one.
fn expected_place(case: &Case, file: &Path) -> String {
    let line = expected_line(case, file);
    match case.line {
        AtColumn(_, column) => format!("{}:{line}:{column}:", file.display()),
        _ => format!("{}:{line}:", file.display()),
    }
}

fn write_case(dir: &Path, index: usize, case: &Case) -> std::path::PathBuf {
    let path = dir.join(format!("case-{index:02}.yaml"));
    std::fs::write(&path, content(case)).expect("temp dir is writable");
    path
}

/// What is wrong with how `validate -o json` reported the case, if anything.
fn validate_failure(case: &Case, file: &Path) -> Option<String> {
    let line = expected_line(case, file);
    let output = kubectl_smi()
        .args(["validate", "-o", "json", "-f"])
        .arg(file)
        .output()
        .expect("runs");
    if output.status.code() != Some(1) {
        return Some(format!("exit code {:?}, expected 1", output.status.code()));
    }
    let report: Value = match serde_json::from_slice(&output.stdout) {
        Ok(r) => r,
        Err(e) => {
            return Some(format!(
                "stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            ));
        }
    };
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    let column_matches = |p: &Value| match case.line {
        AtColumn(_, column) => p["column"] == column,
        _ => true,
    };
    let matching = problems.iter().any(|p| {
        p["path"] == case.path
            && p["line"] == line
            && column_matches(p)
            && p["file"] == file.display().to_string()
            && p["message"].as_str().is_some_and(|m| m.contains(case.says))
    });
    (!matching).then(|| {
        let shown: Vec<String> = problems
            .iter()
            .map(|p| p["message"].as_str().unwrap_or("?").to_owned())
            .collect();
        format!(
            "no problem at {} ({}) saying `{}`; got:\n      {}",
            case.path,
            expected_place(case, file),
            case.says,
            shown.join("\n      ")
        )
    })
}

/// What is wrong with how the post-renderer refused the case, if anything.
fn render_failure(case: &Case, file: &Path) -> Option<String> {
    let output = kubectl_smi()
        .args(["render", "-f"])
        .arg(file)
        .pipe_stdin(example("rendered-helm3.yaml"))
        .expect("the rendered example exists")
        .output()
        .expect("runs");
    refused_like_validate("render", case, file, &output)
}

/// What is wrong with how a command other than `validate` refused the case, if anything:
/// exit code 1, nothing on stdout, and validate's messages on stderr.
fn refused_like_validate(
    command: &str,
    case: &Case,
    file: &Path,
    output: &std::process::Output,
) -> Option<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(1) {
        return Some(format!(
            "{command} exit code {:?}, expected 1",
            output.status.code()
        ));
    }
    if !output.stdout.is_empty() {
        return Some(format!(
            "{command} wrote {} bytes on stdout",
            output.stdout.len()
        ));
    }
    let place = expected_place(case, file);
    if !(stderr.contains(&place) && stderr.contains(case.says)) {
        return Some(format!(
            "{command} stderr lacks `{place}` or `{}`:\n{stderr}",
            case.says
        ));
    }
    // The same messages as `validate`, line for line.
    let validate = kubectl_smi()
        .args(["validate", "-f"])
        .arg(file)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&validate.stdout);
    text.lines()
        .find(|line| !stderr.contains(line.trim()))
        .map(|line| format!("{command} stderr lacks validate's line `{line}`:\n{stderr}"))
}

/// What is wrong with how `secrets create`, `external` and `status` refused a catalog case.
fn secrets_failure(case: &Case, file: &Path) -> Option<String> {
    if !case.path.starts_with("smi.secrets.catalog") {
        return None;
    }
    ["create", "external", "status"].iter().find_map(|command| {
        let output = kubectl_smi()
            .args(["secrets", command, "-f"])
            .arg(file)
            .output()
            .expect("runs");
        refused_like_validate(&format!("secrets {command}"), case, file, &output)
    })
}

/// Runs `check` on every case and fails with the full list of what went wrong.
fn run_all(check: fn(&Case, &Path) -> Option<String>) {
    assert!(CASES.len() >= 40, "the contract asks for at least 40 cases");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        let file = write_case(dir.path(), index, case);
        if let Some(failure) = check(case, &file) {
            failures.push(format!("{} ({}): {failure}", case.mistake, file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn validate_names_every_mistake_with_its_path_and_line() {
    run_all(validate_failure);
}

#[test]
fn the_post_renderer_refuses_every_mistake_with_the_same_message_and_empty_stdout() {
    run_all(render_failure);
}

#[test]
fn the_secrets_commands_refuse_every_catalog_mistake_before_reading_anything_else() {
    run_all(secrets_failure);
}

#[test]
fn a_secret_looking_value_is_never_echoed() {
    let case = CASES
        .iter()
        .find(|c| c.mistake == "a backup target as a string")
        .expect("the case exists");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_case(dir.path(), 0, case);
    let validate = kubectl_smi()
        .args(["validate", "-f"])
        .arg(&file)
        .output()
        .expect("runs");
    let render = kubectl_smi()
        .args(["render", "-f"])
        .arg(&file)
        .write_stdin("")
        .output()
        .expect("runs");
    for output in [validate, render] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(all.contains("smi.secrets.backup"), "{all}");
        assert!(
            !all.contains("passphrase-in-clear"),
            "the value leaked: {all}"
        );
    }
}

#[test]
fn catalog_names_and_keys_are_described_never_echoed() {
    let shown_values = [
        "Smi_Extra",
        "API TOKEN",
        "..token",
        "sign.key",
        "a/b",
        "Filesvc",
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    for (index, case) in CASES.iter().enumerate() {
        if !case.path.starts_with("smi.secrets.catalog") {
            continue;
        }
        let file = write_case(dir.path(), index, case);
        let output = kubectl_smi()
            .args(["validate", "-o", "json", "-f"])
            .arg(&file)
            .output()
            .expect("runs");
        let all = String::from_utf8_lossy(&output.stdout);
        for value in shown_values {
            assert!(
                !all.contains(value),
                "{}: `{value}` leaked: {all}",
                case.mistake
            );
        }
    }
}
