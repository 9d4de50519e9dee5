//! Network addresses: hosts, host:port pairs (one, or a comma-separated list), CIDRs.

use super::Format;

/// A host name or IP address of an external system.
pub const HOST: Format = Format {
    name: "a host name or IP address",
    rule: "a DNS name (letters, digits, '-' and '.') or an IPv4/IPv6 address, without scheme, port or path",
    pattern: "^([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$",
    min_length: Some(1),
    max_length: Some(253),
    forbidden: &[],
    valid: &[
        "pg.internal",
        "10.0.12.7",
        "fd00::12",
        "email-smtp.us-east-1.amazonaws.com",
    ],
    invalid: &["pg.internal:5432", "https://pg.internal", "pg internal", ""],
};

/// One `host:port`, unanchored: the item of [`HOST_PORT`] and of [`HOST_PORT_LIST`].
macro_rules! host_port {
    () => {
        "([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
    };
}

/// The white space allowed around the items of a comma-separated list (a regex class, and
/// the characters [`list_items`] trims).
macro_rules! list_space {
    () => {
        "[ \\t\\r\\n]*"
    };
}

/// `host:port` (Kafka brokers and ZooKeeper nodes).
pub const HOST_PORT: Format = Format {
    name: "a host:port address",
    rule: "a host name or IPv4 address, or an IPv6 address in brackets, then ':' and a port from 1 to 65535",
    pattern: concat!("^", host_port!(), "$"),
    min_length: None,
    max_length: Some(260),
    forbidden: &[],
    valid: &[
        "b-1.kafka.us-east-1.amazonaws.com:9096",
        "10.0.0.5:2181",
        "[fd00::5]:9092",
    ],
    invalid: &[
        "kafka.internal",
        "kafka.internal:0",
        "kafka.internal:70000",
        "kafka://kafka.internal:9092",
    ],
};

/// Several `host:port` in one string, separated by commas: Kafka's `bootstrap.servers` form,
/// as `aws kafka get-bootstrap-brokers` prints it.
pub const HOST_PORT_LIST: Format = Format {
    name: "a comma-separated list of host:port addresses",
    rule: "host:port addresses separated by commas, spaces around each allowed, no empty item (`b-1.kafka.example:9096,b-2.kafka.example:9096`, as `aws kafka get-bootstrap-brokers` prints them); each a host name or IPv4 address, or an IPv6 address in brackets, then ':' and a port from 1 to 65535",
    pattern: concat!(
        "^",
        list_space!(),
        host_port!(),
        "(",
        list_space!(),
        ",",
        list_space!(),
        host_port!(),
        ")*",
        list_space!(),
        "$"
    ),
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &[
        "b-1.kafka.example:9096,b-2.kafka.example:9096",
        "b-1.kafka.example:9096, b-2.kafka.example:9096 ",
        "10.0.0.5:2181",
        "[fd00::5]:9092,10.0.0.6:9092",
    ],
    invalid: &[
        "b-1.kafka.example:9096,",
        "b-1.kafka.example:9096,,b-2.kafka.example:9096",
        ",b-1.kafka.example:9096",
        "b-1.kafka.example:9096;b-2.kafka.example:9096",
        "b-1.kafka.example:9096 b-2.kafka.example:9096",
        "b-1.kafka.example,b-2.kafka.example:9096",
        "",
    ],
};

/// The characters trimmed around each item of a comma-separated list.
const LIST_SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// The items of a comma-separated list, each trimmed, with its byte offset in `text`. Empty
/// items are kept (a trailing comma gives one): the schema refuses them.
pub fn list_items(text: &str) -> Vec<(usize, &str)> {
    let mut items = Vec::new();
    let mut start = 0;
    for part in text.split(',') {
        let trimmed = part.trim_start_matches(LIST_SPACE);
        let offset = start + (part.len() - trimmed.len());
        items.push((offset, trimmed.trim_end_matches(LIST_SPACE)));
        start += part.len() + 1;
    }
    items
}

/// An IPv4 or IPv6 network in CIDR notation.
pub const CIDR: Format = Format {
    name: "a network in CIDR notation",
    rule: "an IPv4 address and a prefix length 0-32 (10.0.0.0/8), or an IPv6 address and a prefix length 0-128",
    pattern: "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["10.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24", "fd00::/8"],
    invalid: &["10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "10.0.0/8"],
};

/// An age recipient (X25519 public key), to which backups of generated keys are encrypted.
pub const AGE_RECIPIENT: Format = Format {
    name: "an age recipient",
    rule: "age1 and 58 lowercase bech32 characters, as printed by age-keygen",
    pattern: "^age1[02-9ac-hj-np-z]{58}$",
    min_length: None,
    max_length: None,
    forbidden: &[],
    valid: &["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"],
    invalid: &[
        "age1QL3Z",
        "ssh-ed25519 AAAA",
        "ageql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    ],
};
