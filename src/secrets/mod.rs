//! Step 6 of the guide: the namespace and the platform's secrets.
//!
//! `create` plans every secret from the catalog, the cluster and the supplied values,
//! backs up new key material (read back before anything is applied), then applies with
//! server-side apply. `external` emits External Secrets Operator resources instead;
//! `status` reports what exists; `catalog` (offline) what the values ask for; `verify` compares the backups with the cluster. Values never appear in messages: they live in
//! [`SecretValue`], whose `Debug` shows only a length.

mod apply;
pub mod backup;
mod catalog_view;
mod create;
mod error;
mod external;
mod generate;
mod live;
pub mod manifest;
mod offline;
mod plan;
pub mod sources;
mod status;
mod value;
mod verify;

pub use catalog_view::{CatalogView, catalog_text, env_template};
pub use create::{CreateOptions, CreateReport, DryRun, SecretOutcome, create, now};
pub use error::{Origin, Problem, SecretsError};
pub use external::{ESO_API_VERSION, external_resources};
pub use generate::{generate, public_key_of};
pub use offline::{OFFLINE_NOTE, plan_offline};
pub use plan::KeyOrigin;
pub use status::{KeyStatus, SecretStatus, StatusReport, status, status_text};
pub use value::{MAX_SECRET_BYTES, SecretValue, redacted};
pub use verify::{
    KeyVerdict, NotCompared, TargetReport, Verdict, VerifyReport, verify, verify_text,
};
