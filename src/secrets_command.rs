//! `kubectl smi secrets ...`: flags to the library's options, and the report to the terminal.

use std::io::Write;

use kubectl_smi::Error;
use kubectl_smi::catalog::{SecretSpec, secret_catalog};
use kubectl_smi::cluster::{self, Connection};
use kubectl_smi::secrets::backup::{self, Backups};
use kubectl_smi::secrets::{self, CreateOptions, CreateReport, DryRun, SecretsError, sources};
use kubectl_smi::stream::{Layout, Node, emit};
use kubectl_smi::values::{self, LoadedValues, Values};
use serde_json::Value;

use crate::cli::{
    DryRunMode, KubeArgs, ObjectFormat, ReportFormat, SecretsCommand, SecretsCreateArgs,
    SecretsExternalArgs, SecretsStatusArgs, ValuesArgs,
};
use crate::{report, values_paths, write_stdout};

pub fn run(command: SecretsCommand) -> Result<(), Error> {
    match command {
        SecretsCommand::Create(args) => create(args),
        SecretsCommand::External(args) => external(args),
        SecretsCommand::Status(args) => status(args),
    }
}

struct Loaded {
    values: Values,
    files: LoadedValues,
    catalog: Vec<SecretSpec>,
}

fn load(args: &ValuesArgs) -> Result<Loaded, Error> {
    let files = values::load(&values_paths(args))?;
    let values = files.typed()?;
    let catalog = secret_catalog(&values.smi.secrets.catalog).map_err(SecretsError::from)?;
    Ok(Loaded {
        values,
        files,
        catalog,
    })
}

fn namespace(kube: &KubeArgs, values: &Values) -> String {
    kube.namespace
        .clone()
        .unwrap_or_else(|| values.smi.namespace().to_owned())
}

/// Runs the cluster part on a single-threaded runtime: a handful of sequential requests.
fn on_cluster<T>(
    kube: &KubeArgs,
    work: impl AsyncFnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let connection = cluster::connect(&kube.cluster_options()).await?;
        work(&connection).await
    })
}

fn create(args: SecretsCreateArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let smi = &loaded.values.smi;
    let mut entries = Vec::new();
    for path in &args.from_env_file {
        entries.extend(sources::read_env_file(path).map_err(Error::from)?);
    }
    for argument in &args.from_file {
        entries.push(sources::read_from_file(argument).map_err(Error::from)?);
    }
    let supplied = sources::resolve(entries, &loaded.catalog).map_err(Error::from)?;
    let backup_config = smi.secrets.backup.as_ref();
    let base_dir = loaded.files.base_dir();
    let restore_from = match &args.restore_from {
        Some(path) => {
            let keys = backup::restore_keys(
                backup_config.and_then(|b| b.file.as_ref()),
                &args.identity,
                &base_dir,
            )
            .map_err(Error::from)?;
            let document =
                backup::read_backup_file(path, &keys).map_err(|message| SecretsError::Backup {
                    target: "--restore-from".to_owned(),
                    message,
                })?;
            Some((path.display().to_string(), document))
        }
        None => None,
    };
    let options = CreateOptions {
        namespace: namespace(&args.kube, &loaded.values),
        environment: smi.environment.clone(),
        catalog: loaded.catalog.clone(),
        supplied,
        rotate: args.rotate.clone(),
        backups: Backups::configure(
            backup_config,
            &base_dir,
            smi.cloud.aws.as_ref().map(|a| a.region.as_str()),
            smi.cloud.oci.as_ref().map(|o| o.region.as_str()),
        ),
        no_backup: args.no_backup,
        restore_from,
        dry_run: match args.dry_run {
            DryRunMode::None => DryRun::None,
            DryRunMode::Client => DryRun::Client,
            DryRunMode::Server => DryRun::Server,
        },
        show_secrets: args.show_secrets,
    };
    let dry_run = options.dry_run;
    let created = on_cluster(&args.kube, async |conn| {
        secrets::create(conn, options).await.map_err(Error::from)
    })?;
    report::warnings(&created.warnings);
    let summary = summary(&created, dry_run);
    match args.output {
        Some(format) => {
            let _ = std::io::stderr().write_all(summary.as_bytes());
            write_stdout(objects_text(&created.objects, format).as_bytes())
        }
        None => write_stdout(summary.as_bytes()),
    }
}

/// kubectl-style lines: `secret/NAME created (KEY generated, ...)`.
fn summary(report: &CreateReport, dry_run: DryRun) -> String {
    let suffix = match dry_run {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    };
    let mut out = String::new();
    if let Some(from) = &report.restored_from {
        out.push_str(&format!("missing keys restored from backup {from}\n"));
    }
    for location in &report.backups {
        out.push_str(&format!("backup written and read back: {location}\n"));
    }
    out.push_str(&format!(
        "namespace/{} {}{suffix}\n",
        report.namespace, report.namespace_action
    ));
    for secret in &report.secrets {
        let keys: Vec<String> = secret
            .keys
            .iter()
            .map(|(k, o)| format!("{k} {}", o.as_str()))
            .collect();
        let detail = match (&secret.note, keys.is_empty()) {
            (Some(note), _) => format!(" ({note})"),
            (None, true) => String::new(),
            (None, false) => format!(" ({})", keys.join(", ")),
        };
        out.push_str(&format!(
            "secret/{} {}{suffix}{detail}\n",
            secret.name, secret.action
        ));
    }
    out
}

fn objects_text(objects: &[Value], format: ObjectFormat) -> String {
    match format {
        ObjectFormat::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&list).expect("JSON serializes")
            )
        }
        ObjectFormat::Yaml => objects
            .iter()
            .map(|o| format!("---\n{}", emit(&Node::from_json(o), Layout::default())))
            .collect(),
    }
}

fn external(args: SecretsExternalArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| loaded.values.smi.namespace().to_owned());
    let objects = secrets::external_resources(&loaded.values.smi, &namespace, &loaded.catalog)
        .map_err(Error::from)?;
    write_stdout(objects_text(&objects, args.output).as_bytes())
}

fn status(args: SecretsStatusArgs) -> Result<(), Error> {
    let loaded = load(&args.values)?;
    let namespace = namespace(&args.kube, &loaded.values);
    let report = on_cluster(&args.kube, async |conn| {
        secrets::status(conn, &namespace, &loaded.catalog)
            .await
            .map_err(Error::from)
    })?;
    let text = match args.output {
        ReportFormat::Text => secrets::status_text(&report),
        ReportFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("JSON serializes")
        ),
    };
    write_stdout(text.as_bytes())
}
