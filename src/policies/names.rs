//! Format checks for the names that end up in policies: a name the cloud would refuse, or
//! that could change a statement's meaning, is an error before anything is generated.

use super::PoliciesError;

fn invalid(path: &str, value: &str, reason: impl Into<String>) -> PoliciesError {
    PoliciesError::InvalidValue {
        path: path.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// An S3 bucket name (general purpose buckets): 3-63 lowercase letters, digits, dots and
/// hyphens, starting and ending with a letter or digit.
pub fn check_s3_bucket(path: &str, value: &str) -> Result<(), PoliciesError> {
    if value.is_empty() {
        return Err(invalid(path, value, "the bucket name is missing"));
    }
    let allowed = value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends_ok = value
        .bytes()
        .next()
        .zip(value.bytes().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    if !(3..=63).contains(&value.len()) || !allowed || !ends_ok || value.contains("..") {
        return Err(invalid(
            path,
            value,
            "an S3 bucket name is 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
        ));
    }
    Ok(())
}

/// An OCI Object Storage bucket name: 1-256 letters, digits, hyphens, underscores and periods.
pub fn check_oci_bucket(path: &str, value: &str) -> Result<(), PoliciesError> {
    if value.is_empty() {
        return Err(invalid(path, value, "the bucket name is missing"));
    }
    let allowed = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if value.len() > 256 || !allowed {
        return Err(invalid(
            path,
            value,
            "an OCI bucket name is 1-256 letters, digits, hyphens, underscores and periods",
        ));
    }
    Ok(())
}

/// An IAM role or policy name: letters, digits and `+=,.@_-`, at most `max` characters.
pub fn check_iam_name(path: &str, value: &str, max: usize) -> Result<(), PoliciesError> {
    let allowed = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if value.is_empty() || value.len() > max || !allowed {
        return Err(invalid(
            path,
            value,
            format!(
                "IAM names are 1-{max} letters, digits and +=,.@_- (shorten smi.cloud.aws.roleNamePrefix)"
            ),
        ));
    }
    Ok(())
}

/// A Kubernetes namespace (DNS-1123 label).
pub fn check_namespace(path: &str, value: &str) -> Result<(), PoliciesError> {
    let allowed = value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ends_ok = value
        .bytes()
        .next()
        .zip(value.bytes().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    if value.is_empty() || value.len() > 63 || !allowed || !ends_ok {
        return Err(invalid(
            path,
            value,
            "a namespace is a DNS-1123 label: 1-63 lowercase letters, digits and hyphens",
        ));
    }
    Ok(())
}

/// An OCI OCID of the given resource type, e.g. `ocid1.compartment.oc1..<unique>`.
pub fn check_ocid(path: &str, value: &str, types: &[&str]) -> Result<(), PoliciesError> {
    let parts: Vec<&str> = value.split('.').collect();
    let ok = parts.len() == 5
        && parts[0] == "ocid1"
        && types.contains(&parts[1])
        && !parts[2].is_empty()
        && !parts[4].is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if !ok {
        return Err(invalid(
            path,
            value,
            format!(
                "not an OCID of a {} (ocid1.{}.<realm>.[region].<unique id>)",
                types.join(" or "),
                types[0]
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for (name, ok) in [
            ("dtp-prod-kafka", true),
            ("a.b-c", true),
            ("", false),
            ("ab", false),
            ("Upper", false),
            ("-start", false),
            ("end-", false),
            ("a..b", false),
            ("has space", false),
            ("quote'd", false),
        ] {
            assert_eq!(check_s3_bucket("b", name).is_ok(), ok, "{name}");
        }
    }

    #[test]
    fn oci_bucket_names_cannot_carry_quotes() {
        assert!(check_oci_bucket("b", "My_Bucket.1").is_ok());
        assert!(check_oci_bucket("b", "x' or '1").is_err());
    }

    #[test]
    fn ocids_name_their_type() {
        let ok =
            "ocid1.compartment.oc1..aaaaaaaa3j4zzeqtk2cotfoak2qh6bn5ba3jgoe4hxubv7elvycrzjb5e7fa";
        assert!(check_ocid("c", ok, &["compartment", "tenancy"]).is_ok());
        assert!(check_ocid("c", "ocid1.cluster.oc1.eu-frankfurt-1.aaaa", &["cluster"]).is_ok());
        assert!(check_ocid("c", ok, &["cluster"]).is_err());
        assert!(check_ocid("c", "compartment-x", &["compartment"]).is_err());
    }
}
