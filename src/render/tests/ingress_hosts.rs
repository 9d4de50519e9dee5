//! The Ingress host check: hosts (rules, TLS, external-dns annotation) that are not the
//! values' DNS names are warnings; the stream is never changed.

use super::{options, output, render_with};
use crate::render::IngressHosts;

fn ingress(hosts: &[&str], tls: &[&str], annotation: Option<&str>) -> String {
    let mut text =
        String::from("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n");
    if let Some(names) = annotation {
        text.push_str(&format!(
            "  annotations:\n    external-dns.alpha.kubernetes.io/hostname: \"{names}\"\n"
        ));
    }
    text.push_str("spec:\n  rules:\n");
    for host in hosts {
        text.push_str(&format!("    - host: {host}\n"));
    }
    if !tls.is_empty() {
        text.push_str(&format!("  tls:\n    - hosts: [{}]\n", tls.join(", ")));
    }
    text
}

const NAMES: [&str; 3] = [
    "app.example-domain.com",
    "api.example-domain.com",
    "id.example-domain.com",
];

#[test]
fn hosts_that_are_the_dns_names_give_no_warning_and_no_change() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let input = ingress(&NAMES, &NAMES, Some(&NAMES.join(",")));
    let rendered = render_with(IngressHosts::new(&smi), &input);
    assert_eq!(output(&rendered), input);
    assert!(rendered.changes.is_empty());
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
}

/// (rules, tls, annotation, what the warnings say)
type Case<'a> = (&'a [&'a str], &'a [&'a str], Option<&'a str>, &'a [&'a str]);

#[test]
fn each_kind_of_disagreement_is_one_warning() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let cases: [Case; 4] = [
        (
            &["app.old.com", NAMES[1], NAMES[2]],
            &[],
            None,
            &[
                "Ingress/web routes app.old.com, which is not among",
                "no Ingress of the release routes app.example-domain.com (smi.dns.app)",
            ],
        ),
        (
            &NAMES,
            &["app.old.com", "app.old.com"],
            None,
            &["Ingress/web routes app.old.com, which is not among"],
        ),
        (
            &NAMES[..2],
            &[],
            Some("app.example-domain.com,api.example-domain.com,id.example-domain.com"),
            &[
                "external-dns creates id.example-domain.com for it",
                "no Ingress of the release routes id.example-domain.com (smi.dns.id)",
            ],
        ),
        (
            &["a.old.com", "b.old.com"],
            &[],
            None,
            &[
                "routes a.old.com, b.old.com, which are not among",
                "no Ingress of the release routes app.example-domain.com (smi.dns.app), api.example-domain.com (smi.dns.api), id.example-domain.com (smi.dns.id)",
            ],
        ),
    ];
    for (rules, tls, annotation, expected) in cases {
        let input = ingress(rules, tls, annotation);
        let rendered = render_with(IngressHosts::new(&smi), &input);
        assert_eq!(output(&rendered), input, "never changed");
        assert_eq!(
            rendered.warnings.len(),
            expected.len(),
            "{rules:?}: {:?}",
            rendered.warnings
        );
        for (warning, fragment) in rendered.warnings.iter().zip(expected) {
            assert!(warning.contains(fragment), "{fragment:?} in {warning}");
        }
    }
}

#[test]
fn a_release_without_an_ingress_gives_no_warning() {
    let smi = options("values-aws.yaml", "{}").values.smi;
    let input = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
    let rendered = render_with(IngressHosts::new(&smi), input);
    assert!(rendered.warnings.is_empty());
}
