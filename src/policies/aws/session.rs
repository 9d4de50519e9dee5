//! The AWS clients (standard credential chain, the values' region, AWS_ENDPOINT_URL
//! honoured) and the translation of SDK failures into errors an operator can act on.

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::account::{account_of_arn, dns_suffix, partition_of_region};
use crate::policies::PoliciesError;

/// Who the credentials belong to (STS GetCallerIdentity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The 12-digit account id.
    pub account_id: String,
    /// The partition, from the caller's ARN (`aws`, `aws-cn`, ...).
    pub partition: String,
    /// The caller's ARN (user or assumed role).
    pub arn: String,
}

/// Clients for the three services step 3 uses, and where each one sends its requests.
#[derive(Debug, Clone)]
pub struct Session {
    /// The STS client (GetCallerIdentity).
    pub sts: aws_sdk_sts::Client,
    /// The IAM client (policies, roles, OIDC providers).
    pub iam: aws_sdk_iam::Client,
    /// The EKS client (pod identity associations).
    pub eks: aws_sdk_eks::Client,
    /// Where each client sends its requests, for messages.
    pub endpoints: Endpoints,
}

/// The endpoint each client uses, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The STS endpoint URL.
    pub sts: String,
    /// The IAM endpoint URL.
    pub iam: String,
    /// The EKS endpoint URL.
    pub eks: String,
}

impl Session {
    /// Loads the standard configuration for `region` and makes sure credentials exist.
    pub async fn connect(region: &str) -> Result<Session, PoliciesError> {
        let config = crate::aws_sdk::loader(Some(region)).load().await;
        check_credentials(&config).await?;
        Ok(Session {
            sts: aws_sdk_sts::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            eks: aws_sdk_eks::Client::new(&config),
            endpoints: Endpoints::of(&config, region),
        })
    }
}

impl Endpoints {
    fn of(config: &SdkConfig, region: &str) -> Endpoints {
        let suffix = dns_suffix(partition_of_region(region));
        let configured = |service: &str| {
            std::env::var(format!("AWS_ENDPOINT_URL_{service}"))
                .ok()
                .or_else(|| config.endpoint_url().map(str::to_owned))
        };
        let iam_host = match partition_of_region(region) {
            "aws" => "iam.amazonaws.com".to_owned(),
            _ => format!("iam.{region}.{suffix}"),
        };
        Endpoints {
            sts: configured("STS").unwrap_or_else(|| format!("https://sts.{region}.{suffix}")),
            iam: configured("IAM").unwrap_or_else(|| format!("https://{iam_host}")),
            eks: configured("EKS").unwrap_or_else(|| format!("https://eks.{region}.{suffix}")),
        }
    }
}

async fn check_credentials(config: &SdkConfig) -> Result<(), PoliciesError> {
    let Some(provider) = config.credentials_provider() else {
        return Err(PoliciesError::NoCredentials {
            message: "no credential provider is configured".to_owned(),
        });
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|e| PoliciesError::NoCredentials {
            message: crate::error::chain(&e),
        })
}

/// STS GetCallerIdentity: the account and partition the credentials act in.
pub async fn caller_identity(
    sts: &aws_sdk_sts::Client,
    endpoint: &str,
) -> Result<CallerIdentity, PoliciesError> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| sdk_error("STS", "GetCallerIdentity", endpoint, e))?;
    let arn = out.arn().unwrap_or_default().to_owned();
    let (partition, arn_account) = account_of_arn(&arn).unwrap_or(("aws", ""));
    let account_id = out.account().unwrap_or(arn_account).to_owned();
    super::account::check_account_id("the account id STS GetCallerIdentity returned", &account_id)?;
    Ok(CallerIdentity {
        account_id,
        partition: partition.to_owned(),
        arn,
    })
}

/// Error codes that mean "these credentials may not do this".
const DENIED: [&str; 5] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
];

/// Turns an SDK failure into an error naming the service, the call and what went wrong.
pub fn sdk_error<E>(
    service: &'static str,
    operation: &'static str,
    endpoint: &str,
    error: SdkError<E, HttpResponse>,
) -> PoliciesError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let unreachable = |message: String| PoliciesError::Unreachable {
        service,
        endpoint: endpoint.to_owned(),
        message,
    };
    let refused = |denied: bool, message: String| {
        if denied {
            PoliciesError::AccessDenied {
                service,
                operation,
                message,
            }
        } else {
            PoliciesError::Api {
                service,
                operation,
                message,
            }
        }
    };
    match &error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            let context = crate::error::chain(&error);
            if context.contains("credentials") {
                return PoliciesError::NoCredentials { message: context };
            }
            unreachable(context)
        }
        SdkError::ResponseError(_) => unreachable(format!(
            "the answer is not an AWS API response: {}",
            crate::error::chain(&error)
        )),
        SdkError::ServiceError(context) if error.code().is_none() => {
            // An answer the SDK could not parse (some emulators wrap errors differently):
            // the HTTP status and the message in the body still say what happened.
            let status = context.raw().status().as_u16();
            let body = context
                .raw()
                .body()
                .bytes()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let message = format!("HTTP {status}: {}", message_in(&body));
            refused(status == 403, message)
        }
        _ => {
            let code = error.code().unwrap_or("unknown");
            let message = format!("{code}: {}", error.message().unwrap_or("no message"));
            refused(DENIED.contains(&code), message)
        }
    }
}

/// The text of `<Message>` (XML) or `"message"` (JSON) in an error body, else the body.
fn message_in(body: &str) -> String {
    let xml = body
        .split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map(|(message, _)| message.to_owned());
    let json = || {
        serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .or(v.get("Message"))
                    .and_then(|m| m.as_str().map(str::to_owned))
            })
    };
    xml.or_else(json)
        .unwrap_or_else(|| body.chars().take(300).collect())
}
