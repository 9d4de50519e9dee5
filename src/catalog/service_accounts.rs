/// The five buckets of step 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// The `kafka` bucket.
    Kafka,
    /// The `filesvc` bucket.
    Filesvc,
    /// The `scriptmanager` bucket.
    Scriptmanager,
    /// The `datasourcesvc` bucket.
    Datasourcesvc,
    /// The `workflowsvc` bucket.
    Workflowsvc,
}

impl Bucket {
    /// The five buckets in the guide's order.
    pub const ALL: [Bucket; 5] = [
        Bucket::Kafka,
        Bucket::Filesvc,
        Bucket::Scriptmanager,
        Bucket::Datasourcesvc,
        Bucket::Workflowsvc,
    ];

    /// The bucket's purpose as the guide names it (and as values key it).
    pub fn purpose(self) -> &'static str {
        match self {
            Bucket::Kafka => "kafka",
            Bucket::Filesvc => "filesvc",
            Bucket::Scriptmanager => "scriptmanager",
            Bucket::Datasourcesvc => "datasourcesvc",
            Bucket::Workflowsvc => "workflowsvc",
        }
    }
}

/// A Kubernetes service account of the platform and the buckets its pods reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceAccount {
    /// The service account's name, as in the guide's table (e.g. `filesvc-migrations`).
    pub name: &'static str,
    /// The platform service (chart) the account belongs to: its workers and migrations
    /// share it, so a release holding one of them is expected to hold all of them.
    pub service: &'static str,
    /// The platform's charts render this account, and the Jobs that run as it, as Helm
    /// `pre-install,pre-upgrade` hooks (the database migrations); the others are ordinary
    /// manifests.
    pub hook: bool,
    /// The buckets whose policies the account's role gets, as in the guide's table.
    pub buckets: &'static [Bucket],
}

use Bucket::*;

/// The guide's table "A role for each Kubernetes service account" (step 3), in its order.
pub const SERVICE_ACCOUNTS: [ServiceAccount; 18] = [
    ServiceAccount {
        name: "aisvc",
        service: "aisvc",
        hook: false,
        buckets: &[Kafka],
    },
    ServiceAccount {
        name: "datasourcesvc",
        service: "datasourcesvc",
        hook: false,
        buckets: &[Kafka, Datasourcesvc],
    },
    ServiceAccount {
        name: "filesvc-migrations",
        service: "filesvc",
        hook: true,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "filesvc",
        service: "filesvc",
        hook: false,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "itemsvc-migrations",
        service: "itemsvc",
        hook: true,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "itemsvc-rdbms-migrations",
        service: "itemsvc",
        hook: true,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "itemsvc-telemetry-worker",
        service: "itemsvc",
        hook: false,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "itemsvc-worker",
        service: "itemsvc",
        hook: false,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "itemsvc",
        service: "itemsvc",
        hook: false,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "objectmodelsvc",
        service: "objectmodelsvc",
        hook: false,
        buckets: &[Kafka],
    },
    ServiceAccount {
        name: "passportsvc-migrations",
        service: "passportsvc",
        hook: true,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "passportsvc",
        service: "passportsvc",
        hook: false,
        buckets: &[Kafka, Filesvc],
    },
    ServiceAccount {
        name: "platform-notificationsvc-api",
        service: "platform-notificationsvc",
        hook: false,
        buckets: &[Kafka],
    },
    ServiceAccount {
        name: "platform-notificationsvc-worker",
        service: "platform-notificationsvc",
        hook: false,
        buckets: &[Kafka],
    },
    ServiceAccount {
        name: "scriptmanager",
        service: "scriptmanager",
        hook: false,
        buckets: &[Kafka, Scriptmanager],
    },
    ServiceAccount {
        name: "workflowsvc-api",
        service: "workflowsvc",
        hook: false,
        buckets: &[Kafka, Workflowsvc],
    },
    ServiceAccount {
        name: "workflowsvc-backend",
        service: "workflowsvc",
        hook: false,
        buckets: &[Kafka, Workflowsvc],
    },
    ServiceAccount {
        name: "workflowwkr-backend",
        service: "workflowwkr",
        hook: false,
        buckets: &[Kafka, Workflowsvc],
    },
];

/// The service account of the guide's table with this name.
pub fn service_account(name: &str) -> Option<&'static ServiceAccount> {
    SERVICE_ACCOUNTS.iter().find(|sa| sa.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_account_reaches_the_kafka_bucket() {
        assert!(
            SERVICE_ACCOUNTS
                .iter()
                .all(|sa| sa.buckets.contains(&Kafka))
        );
    }

    #[test]
    fn the_filesvc_role_gets_the_kafka_and_filesvc_policies() {
        assert_eq!(
            service_account("filesvc").unwrap().buckets,
            &[Kafka, Filesvc]
        );
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = SERVICE_ACCOUNTS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 18);
    }
}
