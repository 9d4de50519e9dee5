//! `kubectl smi init aws|oci`: a commented values file to start from. Every key the values
//! require is there; what only the operator knows is a quoted placeholder `"<...>"`, which
//! `validate` refuses until it is replaced (a test fills them and validates, renders and
//! generates the policies and network rules from the result).

use super::Provider;

const AWS: &str = include_str!("skeleton/aws.yaml");
const OCI: &str = include_str!("skeleton/oci.yaml");

/// The values skeleton for `provider`: YAML with comments and `"<...>"` placeholders.
pub fn skeleton(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => AWS,
        Provider::Oci => OCI,
    }
}

/// The placeholders of a skeleton, in order: the text between `"<` and `>"` outside
/// comments (commented-out optional keys hold placeholders too, which need no value).
pub fn placeholders(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| line.split_once(" #").map_or(line, |(code, _)| code))
        .flat_map(|code| {
            code.split("\"<")
                .skip(1)
                .filter_map(|rest| rest.split_once(">\"").map(|(inside, _)| inside))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_skeleton_is_yaml_with_placeholders_and_its_provider() {
        for provider in [Provider::Aws, Provider::Oci] {
            let text = skeleton(provider);
            let parsed: serde_json::Value = serde_saphyr::from_str(text).unwrap();
            assert_eq!(parsed["smi"]["cloud"]["provider"], provider.name());
            assert!(placeholders(text).len() > 10, "{provider:?}");
        }
    }
}
