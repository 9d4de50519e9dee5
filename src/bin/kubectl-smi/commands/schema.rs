//! `kubectl smi schema`: the values' JSON Schema (draft-07), for a chart's
//! `values.schema.json` and for editors.

use clap::Args;
use kubectl_smi::values;

use super::ExitStatus;
use crate::error::Error;
use crate::output;

/// `kubectl-smi schema` takes no flags.
#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// Prints `schemas/values.schema.json` as the types generate it.
pub fn exec(_: SchemaArgs) -> Result<ExitStatus, Error> {
    output::write(values::schema::schema_text().as_bytes())?;
    Ok(ExitStatus::Success)
}
