//! `kubectl smi network rules`.

use kubectl_smi::Error;
use kubectl_smi::network::{RulesFormat, rules_output};
use kubectl_smi::values;

use crate::cli::NetworkRulesArgs;

pub fn rules(args: NetworkRulesArgs) -> Result<(), Error> {
    let values = values::load(&crate::values_paths(&args.values))?.typed()?;
    let format = match args.output.as_str() {
        "json" => RulesFormat::Json,
        "aws" => RulesFormat::Aws,
        "oci" => RulesFormat::Oci,
        "oci-nsg" => RulesFormat::OciNsg,
        _ => RulesFormat::Text,
    };
    crate::write_stdout(rules_output(&values.smi, format)?.as_bytes())
}
