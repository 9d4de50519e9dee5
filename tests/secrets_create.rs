//! `kubectl smi secrets create` against the API-server double, through a kubeconfig file,
//! exactly as an operator runs it.

mod cluster_support;
mod support;

use cluster_support::{Cluster, NAMESPACE, SUPPLIED, assert_no_values, text};

#[test]
fn a_fresh_install_creates_the_namespace_and_every_secret_of_the_catalog() {
    let cluster = Cluster::new();
    let output = cluster.create(&[]);
    assert!(output.status.success(), "{}", text(&output));
    println!("{}", text(&output));
    let keys = cluster.keys();
    assert_eq!(keys.len(), 19, "{:?}", keys.keys());
    for (key, value) in SUPPLIED {
        let found = keys.iter().find(|((_, k), _)| k == key).map(|(_, v)| v.clone());
        assert_eq!(found.as_deref(), Some(value.as_bytes()), "{key}");
    }
    assert_no_values(&output, &keys);
    let namespace = cluster.api.get("namespaces", "", NAMESPACE).unwrap();
    assert_eq!(namespace["metadata"]["labels"]["smi.dtplatform.io/environment"], "prod");
}
