//! Where the load balancer controllers of each cloud read a Service's exposure (public or
//! internal) and its load balancer type. A chart that writes any of these has chosen, and
//! the shipped default overlays leave that Service's load balancer alone (docs/injections.md).

/// One place a controller reads a Service's exposure or load balancer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadBalancerChoice {
    /// The JSON pointer into the Service (annotation keys escaped: `/` is `~1`).
    pub pointer: &'static str,
    /// The key as written in the manifest (`spec.loadBalancerClass`, or the annotation's key).
    pub key: &'static str,
    /// Which controller reads it, and what it decides.
    pub read_by: &'static str,
}

const LOAD_BALANCER_CLASS: LoadBalancerChoice = LoadBalancerChoice {
    pointer: "/spec/loadBalancerClass",
    key: "spec.loadBalancerClass",
    read_by: "the cloud provider's service controller ignores a Service with a class; the controller of that class (service.k8s.aws/nlb: the AWS Load Balancer Controller, eks.amazonaws.com/nlb: EKS Auto Mode) decides",
};

/// AWS: the AWS Load Balancer Controller and the in-tree (cloud-controller-manager) provider.
pub const AWS_LOAD_BALANCER_CHOICES: &[LoadBalancerChoice] = &[
    LOAD_BALANCER_CLASS,
    LoadBalancerChoice {
        pointer: "/metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-type",
        key: "service.beta.kubernetes.io/aws-load-balancer-type",
        read_by: "external or nlb-ip: the AWS Load Balancer Controller; nlb: the in-tree provider's Network Load Balancer; absent: a Classic Load Balancer (or the controller's webhook class)",
    },
    LoadBalancerChoice {
        pointer: "/metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-scheme",
        key: "service.beta.kubernetes.io/aws-load-balancer-scheme",
        read_by: "the AWS Load Balancer Controller: internal or internet-facing; read before aws-load-balancer-internal",
    },
    LoadBalancerChoice {
        pointer: "/metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-internal",
        key: "service.beta.kubernetes.io/aws-load-balancer-internal",
        read_by: "deprecated: the AWS Load Balancer Controller reads it only when aws-load-balancer-scheme is absent; the in-tree provider makes an internal load balancer for any value but \"false\"",
    },
];

/// OCI: the OCI cloud-controller-manager (OKE), for load balancers (`lb`) and network load
/// balancers (`nlb`); each type has its own internal annotation.
pub const OCI_LOAD_BALANCER_CHOICES: &[LoadBalancerChoice] = &[
    LOAD_BALANCER_CLASS,
    LoadBalancerChoice {
        pointer: "/metadata/annotations/oci.oraclecloud.com~1load-balancer-type",
        key: "oci.oraclecloud.com/load-balancer-type",
        read_by: "lb (also when absent): an OCI load balancer; nlb: an OCI network load balancer; switching it changes which internal annotation applies",
    },
    LoadBalancerChoice {
        pointer: "/metadata/annotations/service.beta.kubernetes.io~1oci-load-balancer-internal",
        key: "service.beta.kubernetes.io/oci-load-balancer-internal",
        read_by: "an internal (private) load balancer of type lb",
    },
    LoadBalancerChoice {
        pointer: "/metadata/annotations/oci-network-load-balancer.oraclecloud.com~1internal",
        key: "oci-network-load-balancer.oraclecloud.com/internal",
        read_by: "an internal (private) network load balancer of type nlb",
    },
];
