use crate::values::Buckets;

/// The five buckets of step 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    Kafka,
    Filesvc,
    Scriptmanager,
    Datasourcesvc,
    Workflowsvc,
}

impl Bucket {
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

    /// The real bucket name configured for this purpose.
    pub fn name_in(self, buckets: &Buckets) -> &str {
        match self {
            Bucket::Kafka => &buckets.kafka,
            Bucket::Filesvc => &buckets.filesvc,
            Bucket::Scriptmanager => &buckets.scriptmanager,
            Bucket::Datasourcesvc => &buckets.datasourcesvc,
            Bucket::Workflowsvc => &buckets.workflowsvc,
        }
    }
}

/// A Kubernetes service account of the platform and the buckets its pods reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceAccount {
    pub name: &'static str,
    pub buckets: &'static [Bucket],
}

use Bucket::*;

/// The guide's table "A role for each Kubernetes service account" (step 3), in its order.
pub const SERVICE_ACCOUNTS: [ServiceAccount; 18] = [
    ServiceAccount { name: "aisvc", buckets: &[Kafka] },
    ServiceAccount { name: "datasourcesvc", buckets: &[Kafka, Datasourcesvc] },
    ServiceAccount { name: "filesvc-migrations", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "filesvc", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "itemsvc-migrations", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "itemsvc-rdbms-migrations", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "itemsvc-telemetry-worker", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "itemsvc-worker", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "itemsvc", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "objectmodelsvc", buckets: &[Kafka] },
    ServiceAccount { name: "passportsvc-migrations", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "passportsvc", buckets: &[Kafka, Filesvc] },
    ServiceAccount { name: "platform-notificationsvc-api", buckets: &[Kafka] },
    ServiceAccount { name: "platform-notificationsvc-worker", buckets: &[Kafka] },
    ServiceAccount { name: "scriptmanager", buckets: &[Kafka, Scriptmanager] },
    ServiceAccount { name: "workflowsvc-api", buckets: &[Kafka, Workflowsvc] },
    ServiceAccount { name: "workflowsvc-backend", buckets: &[Kafka, Workflowsvc] },
    ServiceAccount { name: "workflowwkr-backend", buckets: &[Kafka, Workflowsvc] },
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
        assert!(SERVICE_ACCOUNTS.iter().all(|sa| sa.buckets.contains(&Kafka)));
    }

    #[test]
    fn the_filesvc_role_gets_the_kafka_and_filesvc_policies() {
        assert_eq!(service_account("filesvc").unwrap().buckets, &[Kafka, Filesvc]);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = SERVICE_ACCOUNTS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 18);
    }
}
