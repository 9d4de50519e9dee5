//! AWS names: account ids, regions, EKS clusters, IAM roles, S3 buckets, ARNs.

use super::Format;
use crate::catalog::SERVICE_ACCOUNTS;

/// An AWS account id.
pub const AWS_ACCOUNT_ID: Format = Format {
    name: "an AWS account id",
    rule: "exactly 12 digits, written as a quoted string (\"012345678901\") so YAML keeps leading zeros",
    pattern: "^[0-9]{12}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["123456789012", "012345678901"],
    invalid: &["12345678901", "1234567890123", "12345678901a"],
};

/// An AWS region. Its middle word is a direction, which tells an OCI region apart.
pub const AWS_REGION: Format = Format {
    name: "an AWS region",
    rule: "an area, an optional -gov/-iso part, a direction and a number, e.g. us-east-1, eu-central-1, us-gov-west-1, eusc-de-east-1",
    pattern: "^([a-z]{2}(-gov|-iso[a-z]?)?|eusc-[a-z]{2})-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[0-9]{1,2}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &[
        "us-east-1",
        "eu-central-2",
        "ap-southeast-4",
        "us-gov-west-1",
        "cn-north-1",
        "il-central-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "us-isof-south-1",
        "eusc-de-east-1",
    ],
    invalid: &["us-east", "US-EAST-1", "eu-frankfurt-1", "useast1"],
};

/// An EKS cluster name.
pub const EKS_CLUSTER_NAME: Format = Format {
    name: "an EKS cluster name",
    rule: "letters, digits, '-' and '_', starting with a letter or digit, 1-100 characters",
    pattern: "^[0-9A-Za-z][A-Za-z0-9_-]*$",
    min_length: Some(1),
    max_length: Some(100),
    forbidden: &[],
    valid: &["dtp-prod", "Cluster_1"],
    invalid: &["-dtp", "dtp prod", "dtp.prod"],
};

/// The longest service account name of the guide's table: role names are prefix + name.
const LONGEST_SERVICE_ACCOUNT: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < SERVICE_ACCOUNTS.len() {
        if SERVICE_ACCOUNTS[i].name.len() > longest {
            longest = SERVICE_ACCOUNTS[i].name.len();
        }
        i += 1;
    }
    longest
};

/// IAM role names are at most 64 characters; every service account's role must fit.
pub const IAM_ROLE_PREFIX_MAX: u64 = 64 - LONGEST_SERVICE_ACCOUNT as u64;

/// The prefix of the IAM role names (role name = prefix + service account name).
pub const IAM_ROLE_PREFIX: Format = Format {
    name: "an IAM role name prefix",
    rule: "letters, digits and + = , . @ _ -; short enough that prefix + the longest service account name fits IAM's 64 characters",
    pattern: "^[A-Za-z0-9+=,.@_-]*$",
    min_length: None,
    max_length: Some(IAM_ROLE_PREFIX_MAX),
    forbidden: &[],
    valid: &["dtp-prod-", "", "DtpProd_"],
    invalid: &[
        "dtp prod-",
        "dtp/prod-",
        "dtp-prod-with-a-prefix-far-too-long-",
    ],
};

/// An S3 bucket name, per the AWS general purpose bucket naming rules.
pub const S3_BUCKET: Format = Format {
    name: "an S3 bucket name",
    rule: "3-63 characters: lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
    pattern: "^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
    min_length: Some(3),
    max_length: Some(63),
    forbidden: &[
        ("\\.\\.", "no two adjacent dots"),
        (
            "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$",
            "not formatted as an IP address",
        ),
        (
            "^(xn--|sthree-|amzn-s3-demo-)",
            "not starting with xn--, sthree- or amzn-s3-demo- (reserved by AWS)",
        ),
        (
            "(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$",
            "not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3 (reserved by AWS)",
        ),
    ],
    valid: &["dtp-prod-kafka", "dtp.prod.files", "abc"],
    invalid: &[
        "ab",
        "Dtp-Prod",
        "dtp_prod",
        "dtp..prod",
        "192.168.5.4",
        "xn--dtp",
        "dtp-s3alias",
        "-dtp",
        "dtp-",
    ],
};

/// A KMS key ARN (or alias ARN).
pub const KMS_KEY_ARN: Format = Format {
    name: "a KMS key ARN",
    rule: "arn:<partition>:kms:<region>:<12-digit account>:key/<id> (or alias/<name>)",
    pattern: "^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-f|-eusc)?:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+$",
    min_length: None,
    max_length: Some(2048),
    forbidden: &[],
    valid: &[
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/dtp",
    ],
    invalid: &[
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:s3:::dtp-prod-kafka",
        "arn:aws:kms:us-east-1:1234:key/x",
    ],
};

/// An EC2 security group id (`network rules --apply`).
pub const SECURITY_GROUP_ID: Format = Format {
    name: "an EC2 security group id",
    rule: "sg- and 8 or 17 lowercase hexadecimal digits, e.g. sg-0123456789abcdef0",
    pattern: "^sg-([0-9a-f]{8}|[0-9a-f]{17})$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["sg-0123456789abcdef0", "sg-12345678"],
    invalid: &[
        "sg-0123456789ABCDEF0",
        "0123456789abcdef0",
        "sg-123",
        "my-nodes",
    ],
};

/// The cluster's OIDC issuer URL (IRSA).
pub const OIDC_ISSUER: Format = Format {
    name: "an OIDC issuer URL",
    rule: "an https:// URL without query or fragment, e.g. https://oidc.eks.<region>.amazonaws.com/id/<id>",
    pattern: "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$",
    min_length: None,
    max_length: Some(2048),
    forbidden: &[],
    valid: &["https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"],
    invalid: &[
        "oidc.eks.eu-west-1.amazonaws.com/id/X",
        "http://oidc.example.com",
        "https://oidc.example.com/?a=b",
    ],
};

/// An IAM role ARN (the role External Secrets Operator assumes).
pub const IAM_ROLE_ARN: Format = Format {
    name: "an IAM role ARN",
    rule: "arn:<partition>:iam::<12-digit account>:role/<path and name>",
    pattern: "^arn:aws(-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$",
    min_length: None,
    max_length: Some(2048),
    forbidden: &[],
    valid: &["arn:aws:iam::123456789012:role/dtp-prod-external-secrets"],
    invalid: &[
        "arn:aws:iam::12345678901:role/x",
        "arn:aws:iam::123456789012:user/x",
        "dtp-prod-external-secrets",
    ],
};
