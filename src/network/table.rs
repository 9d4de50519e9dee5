//! The filled connectivity table as text, in the guide's columns plus the endpoints.

use super::ConnectivityRule;
use crate::catalog::NETWORK_TABLE_NOTE;
use crate::values::Provider;

/// The rules as an aligned text table (source, destination, ports, endpoints, description) under a
/// heading naming the cloud and `environment`, followed by the guide's note.
pub fn rules_table(provider: Provider, environment: &str, rules: &[ConnectivityRule]) -> String {
    let cloud = match provider {
        Provider::Aws => "Amazon Web Services",
        Provider::Oci => "Oracle Cloud Infrastructure",
    };
    let header = ["SOURCE", "DESTINATION", "PORT", "ENDPOINTS", "DESCRIPTION"];
    let mut rows: Vec<[String; 5]> = Vec::new();
    for rule in rules {
        let ports = rule
            .ports
            .iter()
            .map(|p| format!("{p}/tcp"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut endpoints: Vec<String> = rule.endpoints.iter().map(|e| e.address()).collect();
        endpoints.dedup();
        if endpoints.is_empty() {
            endpoints.push("-".to_owned());
        }
        for (i, endpoint) in endpoints.into_iter().enumerate() {
            let first = i == 0;
            let cell = |s: &str| if first { s.to_owned() } else { String::new() };
            rows.push([
                cell(rule.source.title()),
                cell(rule.destination),
                cell(&ports),
                endpoint,
                cell(rule.description),
            ]);
        }
    }
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        format!("{}\n", text.trim_end())
    };
    let mut out = format!(
        "Network connectivity rules for {cloud}, environment {environment} (step 2 of the guide)\n\n"
    );
    out.push_str(&line(header));
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out.push_str(&format!("\n{NETWORK_TABLE_NOTE}\n"));
    out
}
