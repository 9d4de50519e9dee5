//! The checklist: one line per thing that must be true before the installation, with a
//! clear pass, fail or skip, and what to do about a failure.

use serde::Serialize;

/// Which part of the installation a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Step 1: the DNS names.
    Dns,
    /// Step 2: TCP reachability of the network table's endpoints.
    Network,
    /// Everything the API server can tell.
    Cluster,
}

impl Group {
    fn heading(self) -> &'static str {
        match self {
            Group::Dns => "DNS names (step 1)",
            Group::Network => "Network connectivity (step 2)",
            Group::Cluster => "Cluster",
        }
    }

    /// Every group, in the order the checklist shows them.
    pub const ALL: [Group; 3] = [Group::Dns, Group::Network, Group::Cluster];

    /// The group's name, the first part of its checks' ids: `dns`, `network` or `cluster`.
    pub fn name(self) -> &'static str {
        match self {
            Group::Dns => "dns",
            Group::Network => "network",
            Group::Cluster => "cluster",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// What must be true is true.
    Pass,
    /// What must be true is not (or could not be verified).
    Fail,
    /// The check did not run: it does not apply, or something it depends on failed.
    Skip,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Stable identifier for automation, e.g. `dns/app`, `network/kafka.bootstrap[0]`, `cluster/namespace`.
    pub id: String,
    /// The group it belongs to (the checklist's heading).
    pub group: Group,
    /// What must be true, e.g. `app.example-domain.com resolves to the load balancer`.
    pub title: String,
    /// Whether it passed, failed or was skipped.
    pub status: Status,
    /// Whether the installation needs it: a required check that does not pass makes the
    /// run fail; checks that do not apply to these values are skipped and not required.
    pub required: bool,
    /// What was found.
    pub detail: String,
    /// What to do, for a check that did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    fn new(
        id: impl Into<String>,
        group: Group,
        title: impl Into<String>,
        (status, required): (Status, bool),
        detail: impl Into<String>,
    ) -> Check {
        Check {
            id: id.into(),
            group,
            title: title.into(),
            status,
            required,
            detail: detail.into(),
            hint: None,
        }
    }

    /// A required check that passed; `detail` says what was found.
    pub fn pass(
        id: impl Into<String>,
        group: Group,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Check {
        Check::new(id, group, title, (Status::Pass, true), detail)
    }

    /// A required check that failed; `hint` says what to do.
    pub fn fail(
        id: impl Into<String>,
        group: Group,
        title: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) -> Check {
        Check {
            hint: Some(hint.into()),
            ..Check::new(id, group, title, (Status::Fail, true), detail)
        }
    }

    /// A check that does not apply (not required).
    pub fn not_applicable(
        id: impl Into<String>,
        group: Group,
        title: impl Into<String>,
        why: impl Into<String>,
    ) -> Check {
        Check::new(id, group, title, (Status::Skip, false), why)
    }

    /// A required check that could not run because something it depends on failed.
    pub fn blocked(
        id: impl Into<String>,
        group: Group,
        title: impl Into<String>,
        why: impl Into<String>,
    ) -> Check {
        Check::new(id, group, title, (Status::Skip, true), why)
    }

    /// Whether the check keeps the installation from going ahead.
    pub fn blocks(&self) -> bool {
        self.required && self.status != Status::Pass
    }
}

/// The whole checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// True when every required check passed.
    pub ready: bool,
    /// How many checks passed, failed and were skipped.
    pub summary: Summary,
    /// Every check, sorted by group (stable within a group).
    pub checks: Vec<Check>,
}

/// The counts of a checklist, by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Checks skipped (not applicable or blocked).
    pub skipped: usize,
}

impl Report {
    /// Sorts the checks by group, counts them, and is ready when no required check fails or is
    /// blocked.
    pub fn new(mut checks: Vec<Check>) -> Report {
        checks.sort_by_key(|c| c.group);
        let count = |status| checks.iter().filter(|c| c.status == status).count();
        let summary = Summary {
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            skipped: count(Status::Skip),
        };
        Report {
            ready: !checks.iter().any(Check::blocks),
            summary,
            checks,
        }
    }

    /// The checklist as text for a terminal or a log.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for group in Group::ALL {
            let checks: Vec<&Check> = self.checks.iter().filter(|c| c.group == group).collect();
            if checks.is_empty() {
                continue;
            }
            out.push_str(&format!("{}\n", group.heading()));
            for check in checks {
                let mark = match check.status {
                    Status::Pass => "PASS",
                    Status::Fail => "FAIL",
                    Status::Skip => "SKIP",
                };
                out.push_str(&format!("  {mark}  {}", check.title));
                if !check.detail.is_empty() {
                    out.push_str(&format!(": {}", check.detail));
                }
                out.push('\n');
                if let Some(hint) = &check.hint {
                    out.push_str(&format!("        hint: {hint}\n"));
                }
            }
            out.push('\n');
        }
        let blocking = self.checks.iter().filter(|c| c.blocks()).count();
        let verdict = if self.ready {
            "ready for the installation".to_owned()
        } else {
            format!("NOT ready: {blocking} required check(s) did not pass")
        };
        let s = self.summary;
        out.push_str(&format!(
            "{} passed, {} failed, {} skipped: {verdict}\n",
            s.passed, s.failed, s.skipped
        ));
        out
    }
}

/// Told about checks as they finish, to show progress on a terminal.
pub trait Progress: Send + Sync {
    /// `count` more checks have started.
    fn add(&self, count: usize);
    /// `check` has finished.
    fn finished(&self, check: &Check);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(checks: Vec<Check>) -> Report {
        Report::new(checks)
    }

    #[test]
    fn only_passing_required_checks_make_the_installation_ready() {
        let pass = Check::pass("dns/app", Group::Dns, "app resolves", "");
        let not_applicable = Check::not_applicable(
            "cluster/calico-crd",
            Group::Cluster,
            "calico",
            "engine kubernetes",
        );
        let blocked = Check::blocked(
            "cluster/namespace",
            Group::Cluster,
            "namespace",
            "API unreachable",
        );
        let fail = Check::fail(
            "network/redis",
            Group::Network,
            "redis",
            "refused",
            "check the port",
        );
        assert!(report(vec![pass.clone(), not_applicable.clone()]).ready);
        assert!(
            !report(vec![pass.clone(), blocked]).ready,
            "a required check that could not run is not a pass"
        );
        assert!(!report(vec![pass, not_applicable, fail]).ready);
    }

    #[test]
    fn the_text_groups_checks_by_step_and_ends_with_the_verdict() {
        let text = report(vec![
            Check::fail(
                "network/redis",
                Group::Network,
                "Redis r:6379 accepts TCP connections",
                "refused",
                "check the port",
            ),
            Check::pass(
                "dns/app",
                Group::Dns,
                "app.example.com resolves",
                "to 192.0.2.1",
            ),
        ])
        .text();
        let expected = "\
DNS names (step 1)
  PASS  app.example.com resolves: to 192.0.2.1

Network connectivity (step 2)
  FAIL  Redis r:6379 accepts TCP connections: refused
        hint: check the port

1 passed, 1 failed, 0 skipped: NOT ready: 1 required check(s) did not pass
";
        assert_eq!(text, expected);
    }
}
