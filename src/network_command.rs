//! `kubectl smi network rules`.

use kubectl_smi::Error;
use kubectl_smi::network::{RulesFormat, Target, rules_output};
use kubectl_smi::values;

use crate::cli::{NetworkRulesArgs, RulesTarget};

pub fn rules(args: NetworkRulesArgs) -> Result<(), Error> {
    let format = match args.output.as_str() {
        "json" => RulesFormat::Json,
        "aws" => RulesFormat::Aws,
        "oci" => RulesFormat::Oci,
        "oci-nsg" => RulesFormat::OciNsg,
        _ => RulesFormat::Text,
    };
    let target = match args.target {
        None => None,
        Some(_) if matches!(format, RulesFormat::Text | RulesFormat::Json) => {
            return Err(Error::Usage(
                "--target picks the cloud rules of one target: use it with -o aws, oci or oci-nsg"
                    .to_owned(),
            ));
        }
        Some(RulesTarget::LoadBalancer) => Some(Target::LoadBalancer),
        Some(RulesTarget::Workers) => Some(Target::Workers),
    };
    let values = values::load(&crate::values_paths(&args.values))?.typed()?;
    crate::write_stdout(rules_output(&values.smi, format, target)?.as_bytes())
}
