//! Which account and partition the ARNs name: from flags, values, or the caller's identity.

use super::super::PoliciesError;

/// Partitions an ARN can name.
pub const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

pub use crate::values::partition_of_region;

/// The DNS suffix of a partition's service endpoints (for messages naming an endpoint).
pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        _ => "amazonaws.com",
    }
}

/// Checks a 12-digit account id; `path` says where it came from.
pub fn check_account_id(path: &str, value: &str) -> Result<(), PoliciesError> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(PoliciesError::InvalidValue {
        path: path.to_owned(),
        value: value.to_owned(),
        reason: "an AWS account id is exactly 12 digits (quote it in YAML so leading zeros stay)"
            .to_owned(),
    })
}

/// Checks that `value` (from the values path or flag `path`) is one of [`PARTITIONS`].
/// Errors: [`PoliciesError::InvalidValue`] naming `path` otherwise.
pub fn check_partition(path: &str, value: &str) -> Result<(), PoliciesError> {
    if PARTITIONS.contains(&value) {
        return Ok(());
    }
    Err(PoliciesError::InvalidValue {
        path: path.to_owned(),
        value: value.to_owned(),
        reason: format!("not an AWS partition (one of {})", PARTITIONS.join(", ")),
    })
}

/// Checks an AWS region name such as us-east-1 or us-gov-west-1.
pub fn check_region(path: &str, value: &str) -> Result<(), PoliciesError> {
    let parts: Vec<&str> = value.split('-').collect();
    let shape_ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if shape_ok {
        return Ok(());
    }
    Err(PoliciesError::InvalidValue {
        path: path.to_owned(),
        value: value.to_owned(),
        reason: "not an AWS region name such as us-east-1".to_owned(),
    })
}

/// The account and partition of an ARN such as `arn:aws:sts::123456789012:assumed-role/x/y`.
pub fn account_of_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(_), Some(_), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some((partition, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_follows_the_region() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
        ] {
            assert_eq!(partition_of_region(region), partition, "{region}");
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        for (value, ok) in [
            ("123456789012", true),
            ("012345678901", true),
            ("12345678901", false),
            ("1234567890123", false),
            ("12345678901a", false),
            ("", false),
        ] {
            assert_eq!(check_account_id("x", value).is_ok(), ok, "{value}");
        }
    }

    #[test]
    fn regions_have_the_aws_shape() {
        assert!(check_region("r", "us-gov-west-1").is_ok());
        assert!(check_region("r", "US-east-1").is_err());
        assert!(check_region("r", "useast1").is_err());
    }

    #[test]
    fn the_account_is_read_from_a_caller_arn() {
        assert_eq!(
            account_of_arn("arn:aws-cn:sts::111122223333:assumed-role/admin/me"),
            Some(("aws-cn", "111122223333"))
        );
        assert_eq!(account_of_arn("nonsense"), None);
    }
}
