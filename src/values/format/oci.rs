//! Oracle Cloud names: regions, OCIDs, Object Storage buckets.

use super::Format;

/// An OCI region identifier.
pub const OCI_REGION: Format = Format {
    name: "an OCI region identifier",
    rule: "lowercase words joined by '-' and a number, e.g. eu-frankfurt-1, us-ashburn-1",
    pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["eu-frankfurt-1", "us-ashburn-1", "us-gov-ashburn-1"],
    invalid: &["FRA", "eu-frankfurt", "Eu-Frankfurt-1"],
};

/// The compartment containing the cluster: a compartment OCID, or the tenancy OCID for the
/// root compartment.
pub const OCI_COMPARTMENT_OCID: Format = Format {
    name: "a compartment OCID",
    rule: "ocid1.compartment.<realm>.[region].<unique id> (or ocid1.tenancy... for the root compartment)",
    pattern: "^ocid1\\.(compartment|tenancy)\\.oc[0-9]+\\.[a-z0-9-]*\\.([a-z0-9-]+\\.)?[a-z0-9]+$",
    min_length: None,
    max_length: Some(255),
    forbidden: &[],
    valid: &[
        "ocid1.compartment.oc1..aaaaaaaa3j4zzeqtk2cotfoak2qh6bn5ba3jgoe4hxubv7elvycrzjb5e7fa",
        "ocid1.tenancy.oc1..aaaa",
    ],
    invalid: &[
        "ocid1.cluster.oc1.eu-frankfurt-1.aaaa",
        "ocid1.compartment.oc1.aaaa",
        "ocid2.compartment.oc1..aaaa",
        "compartment-prod",
    ],
};

/// The OKE cluster's OCID.
pub const OCI_CLUSTER_OCID: Format = Format {
    name: "a cluster OCID",
    rule: "ocid1.cluster.<realm>.<region>.<unique id>",
    pattern: "^ocid1\\.cluster\\.oc[0-9]+\\.[a-z0-9-]*\\.([a-z0-9-]+\\.)?[a-z0-9]+$",
    min_length: None,
    max_length: Some(255),
    forbidden: &[],
    valid: &[
        "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaaqd6cmfnt3szakqlcwf3ck2n2djgwkldfkvdkzphqtyzm7pbr2gwq",
    ],
    invalid: &[
        "ocid1.compartment.oc1..aaaa",
        "ocid1.cluster.oc1.eu-frankfurt-1",
        "ocid1.cluster.oc1.eu-frankfurt-1.AAAA",
    ],
};

/// An OCI Object Storage bucket name.
pub const OCI_BUCKET: Format = Format {
    name: "an OCI Object Storage bucket name",
    rule: "1-256 characters: letters, digits, '-', '_' and '.'",
    pattern: "^[A-Za-z0-9._-]+$",
    min_length: Some(1),
    max_length: Some(256),
    forbidden: &[],
    valid: &["dtp-prod-kafka", "DTP_files.2"],
    invalid: &["dtp prod", "dtp/prod", "dtp'prod", ""],
};

/// An OCI Vault's OCID (backups of generated keys, External Secrets).
pub const OCI_VAULT_OCID: Format = Format {
    name: "a vault OCID",
    rule: "ocid1.vault.<realm>.<region>.<unique id>",
    pattern: "^ocid1\\.vault\\.oc[0-9]+\\.[a-z0-9-]*\\.([a-z0-9-]+\\.)?[a-z0-9]+$",
    min_length: None,
    max_length: Some(255),
    forbidden: &[],
    valid: &[
        "ocid1.vault.oc1.eu-frankfurt-1.bbpxiy2vaaeuk.abtheljs5ujxnuwqq5yhf4slkexfn3ekbtfbdr6kzyd6y2yrr5nkjr7ceqdq",
    ],
    invalid: &[
        "ocid1.key.oc1.eu-frankfurt-1.aaaa",
        "ocid1.vault.oc1",
        "vault-prod",
    ],
};

/// An OCI Vault master encryption key's OCID.
pub const OCI_KEY_OCID: Format = Format {
    name: "a key OCID",
    rule: "ocid1.key.<realm>.<region>.<unique id>",
    pattern: "^ocid1\\.key\\.oc[0-9]+\\.[a-z0-9-]*\\.([a-z0-9-]+\\.)?[a-z0-9]+$",
    min_length: None,
    max_length: Some(255),
    forbidden: &[],
    valid: &[
        "ocid1.key.oc1.eu-frankfurt-1.bbpxiy2vaaeuk.abtheljtndmj6oqlujbwn4y5khxoc3yrsjvz7tgp47shxjvmbo6xkmhcpx4a",
    ],
    invalid: &[
        "ocid1.vault.oc1.eu-frankfurt-1.aaaa",
        "ocid1.key.oc1",
        "key-prod",
    ],
};
