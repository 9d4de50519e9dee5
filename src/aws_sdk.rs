//! The one way this tool configures the AWS SDK: the standard credential chain and
//! endpoint settings (`AWS_ENDPOINT_URL` honoured), an HTTPS client on rustls with ring
//! (the crypto provider kube uses too), and timeouts so an unreachable endpoint fails in
//! seconds instead of hanging.

use std::time::Duration;

use aws_config::{BehaviorVersion, ConfigLoader, Region, timeout::TimeoutConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// A configuration loader for `region` (the SDK's own chain decides when `None`).
pub fn loader(region: Option<&str>) -> ConfigLoader {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    match region {
        Some(region) => loader.region(Region::new(region.to_owned())),
        None => loader,
    }
}
