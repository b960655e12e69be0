//! Scenarios compiled into the binary, so that `meshsim run NAME` works from
//! any directory. The files live in `scenarios/`; add a line here for each.

pub const BUILTIN: &[(&str, &str)] = &[
    (
        "cost-optimized",
        include_str!("../../scenarios/cost-optimized.toml"),
    ),
    ("steady", include_str!("../../scenarios/steady.toml")),
    (
        "small-team",
        include_str!("../../scenarios/small-team.toml"),
    ),
    (
        "i2s-staging",
        include_str!("../../scenarios/i2s-staging.toml"),
    ),
    (
        "i2s-production",
        include_str!("../../scenarios/i2s-production.toml"),
    ),
    (
        "i2s-production-vpa",
        include_str!("../../scenarios/i2s-production-vpa.toml"),
    ),
    (
        "i2s-production-vpa-averagevalue",
        include_str!("../../scenarios/i2s-production-vpa-averagevalue.toml"),
    ),
    (
        "i2s-production-vpa-off",
        include_str!("../../scenarios/i2s-production-vpa-off.toml"),
    ),
    (
        "i2s-production-karpenter",
        include_str!("../../scenarios/i2s-production-karpenter.toml"),
    ),
    (
        "i2s-staging-fargate",
        include_str!("../../scenarios/i2s-staging-fargate.toml"),
    ),
    (
        "i2s-production-fargate",
        include_str!("../../scenarios/i2s-production-fargate.toml"),
    ),
    (
        "development",
        include_str!("../../scenarios/development.toml"),
    ),
    (
        "ai-research",
        include_str!("../../scenarios/ai-research.toml"),
    ),
    (
        "diagnyx-dev",
        include_str!("../../scenarios/diagnyx-dev.toml"),
    ),
    (
        "diagnyx-staging",
        include_str!("../../scenarios/diagnyx-staging.toml"),
    ),
    (
        "diagnyx-uat",
        include_str!("../../scenarios/diagnyx-uat.toml"),
    ),
    (
        "diagnyx-production",
        include_str!("../../scenarios/diagnyx-production.toml"),
    ),
    (
        "multi-region",
        include_str!("../../scenarios/multi-region.toml"),
    ),
    (
        "enterprise",
        include_str!("../../scenarios/enterprise.toml"),
    ),
    (
        "high-performance",
        include_str!("../../scenarios/high-performance.toml"),
    ),
    ("hybrid", include_str!("../../scenarios/hybrid.toml")),
    (
        "security-hardened",
        include_str!("../../scenarios/security-hardened.toml"),
    ),
    ("edge", include_str!("../../scenarios/edge.toml")),
    (
        "tier-minimal",
        include_str!("../../scenarios/tier-minimal.toml"),
    ),
    (
        "tier-moderate",
        include_str!("../../scenarios/tier-moderate.toml"),
    ),
    ("tier-full", include_str!("../../scenarios/tier-full.toml")),
    (
        "pattern-queue",
        include_str!("../../scenarios/pattern-queue.toml"),
    ),
    (
        "pattern-resource",
        include_str!("../../scenarios/pattern-resource.toml"),
    ),
    (
        "pattern-schedule",
        include_str!("../../scenarios/pattern-schedule.toml"),
    ),
];

pub fn get(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// Kubernetes manifests the built-in scenarios reference, by path relative to `scenarios/`.
pub const MANIFESTS: &[(&str, &str)] = &[
    (
        "k8s/i2s-staging-conductor-hpa.yaml",
        include_str!("../../scenarios/k8s/i2s-staging-conductor-hpa.yaml"),
    ),
    (
        "k8s/i2s-staging-conductor-deployment.yaml",
        include_str!("../../scenarios/k8s/i2s-staging-conductor-deployment.yaml"),
    ),
    (
        "k8s/i2s-production-custom-metrics-hpa.yaml",
        include_str!("../../scenarios/k8s/i2s-production-custom-metrics-hpa.yaml"),
    ),
    (
        "k8s/i2s-production-conductor-vpa.yaml",
        include_str!("../../scenarios/k8s/i2s-production-conductor-vpa.yaml"),
    ),
];

pub fn manifest(rel: &str) -> Option<&'static str> {
    MANIFESTS.iter().find(|(n, _)| *n == rel).map(|(_, t)| *t)
}
