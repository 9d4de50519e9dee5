//! Kubernetes and Prometheus names: namespaces, DNS names, label values, durations.

use super::Format;

/// A Kubernetes namespace or other DNS-1123 label.
pub const DNS_LABEL: Format = Format {
    name: "a DNS-1123 label",
    rule: "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    min_length: Some(1),
    max_length: Some(63),
    forbidden: &[],
    valid: &["prod", "dtp-staging", "monitoring", "a1"],
    invalid: &["Prod", "-prod", "prod-", "prod_1", "prod.eu", ""],
};

/// A fully qualified DNS name the platform is reached by (step 1 of the guide).
pub const DNS_NAME: Format = Format {
    name: "a fully qualified DNS name (DNS-1123 subdomain)",
    rule: "dot-separated labels of lowercase letters, digits and '-' (each 1-63 characters, starting and ending with a letter or digit), at least two labels, at most 253 characters",
    pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$",
    min_length: None,
    max_length: Some(253),
    forbidden: &[],
    valid: &[
        "app.example-domain.com",
        "api.prod.example.io",
        "id.x1.example.org",
    ],
    invalid: &[
        "App.example.com",
        "app",
        "app..example.com",
        "-app.example.com",
        "app.example.com.",
        "https://app.example.com",
        "*.example.com",
    ],
};

/// A Kubernetes label value.
pub const LABEL_VALUE: Format = Format {
    name: "a Kubernetes label value",
    rule: "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, 1-63 characters",
    pattern: "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$",
    min_length: Some(1),
    max_length: Some(63),
    forbidden: &[],
    valid: &["kube-prometheus-stack", "prometheus", "Release_1.2"],
    invalid: &["kube prometheus", "-stack", "stack.", ""],
};

/// A Prometheus duration (the ServiceMonitor CRD's own pattern, minus the bare `0`).
pub const DURATION: Format = Format {
    name: "a Prometheus duration",
    rule: "a number and a unit, largest unit first, e.g. 5s, 30s, 1m30s (units: y, w, d, h, m, s, ms)",
    pattern: "^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$",
    min_length: Some(2),
    max_length: None,
    forbidden: &[],
    valid: &["5s", "30s", "1m30s", "500ms"],
    invalid: &["5", "5 s", "s5", "1.5s", ""],
};

/// A Go duration, as External Secrets Operator reads `refreshInterval`.
pub const GO_DURATION: Format = Format {
    name: "a Go duration",
    rule: "numbers with units h, m, s, ms, us or ns, e.g. 1h, 30m, 1h30m, 15s",
    pattern: "^([0-9]+(\\.[0-9]+)?(h|m|s|ms|us|ns))+$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["1h", "30m", "1h30m", "15s"],
    invalid: &["1d", "1", "an hour", ""],
};

/// The name of a Kubernetes object such as a Secret or a ServiceAccount.
pub const OBJECT_NAME: Format = Format {
    name: "a Kubernetes object name (DNS-1123 subdomain)",
    rule: "dot-separated labels of lowercase letters, digits and '-' (each 1-63 characters, starting and ending with a letter or digit), at most 253 characters",
    pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$",
    min_length: None,
    max_length: Some(253),
    forbidden: &[],
    valid: &["smi-postgresql", "filesvc", "smi.identity-2"],
    invalid: &[
        "Smi-Postgresql",
        "smi_postgresql",
        "-smi",
        "smi-",
        "smi..x",
        "smi x",
        "",
    ],
};

/// A key of a Secret's data, as Kubernetes accepts it.
pub const SECRET_KEY: Format = Format {
    name: "a Secret data key",
    rule: "letters, digits, '-', '_' and '.', 1-253 characters",
    pattern: "^[-._a-zA-Z0-9]+$",
    min_length: Some(1),
    max_length: Some(253),
    forbidden: &[("^(\\.|\\.\\..*)$", "neither `.` nor a leading `..`")],
    valid: &["POSTGRES_PASSWORD", "signing-key.pem", ".env", "a..b"],
    invalid: &[
        "POSTGRES PASSWORD",
        "key/name",
        "clé",
        ".",
        "..",
        "..pem",
        "",
    ],
};

/// The common name of a self-signed certificate of the catalog.
pub const CERTIFICATE_SUBJECT: Format = Format {
    name: "a certificate common name",
    rule: "1 to 64 letters, digits, spaces, '-', '.' or '_'",
    pattern: "^[A-Za-z0-9 ._-]{1,64}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["dtplatform identity", "id.example-domain.com", "signing_2"],
    invalid: &["a/b", "CN=dtplatform", "", "é"],
};
