//! The HPA controller's decisions, reproduced from the Kubernetes controller's
//! own unit tests (`pkg/controller/podautoscaler/replica_calculator_test.go`
//! and `horizontal_test.go`), each run through `meshsim hpa explain`'s code
//! path: a manifest parsed by `parse_hpas`, a snapshot parsed from JSON, then
//! `explain`. Each test names the upstream case it reproduces.
//!
//! Upstream fixtures, as reproduced here: pods have 2 containers, each with the
//! pod's request and usage level; unset start and transition times are Go's
//! zero time (here -1e9 s); "hot" pods started now, "cool" ones 3 min ago; the
//! test controller uses a 2 min CPU initialisation period and a 10 s initial
//! readiness delay; metrics carry the zero timestamp and a 1 min window.

use meshsim::model::autoscaler::hpa::manifest::parse_hpas;
use meshsim::model::autoscaler::hpa::state::Snapshot;
use meshsim::model::autoscaler::hpa::{Explanation, explain};
use serde_json::{Value, json};

const ZERO_TIME: f64 = -1e9;

#[derive(Clone, Copy, PartialEq)]
enum Start {
    Zero,
    Hot,
    Cool,
}

#[derive(Clone)]
struct Pods {
    n: usize,
    ready: Vec<bool>,
    start: Vec<Start>,
    phase: Vec<&'static str>,
    deleted: Vec<bool>,
}

impl Pods {
    fn new(n: usize) -> Pods {
        Pods {
            n,
            ready: vec![],
            start: vec![],
            phase: vec![],
            deleted: vec![],
        }
    }
    fn ready(mut self, r: &[bool]) -> Self {
        self.ready = r.to_vec();
        self.n = self.n.max(r.len());
        self
    }
    fn start(mut self, s: &[Start]) -> Self {
        self.start = s.to_vec();
        self
    }
    fn phase(mut self, p: &[&'static str]) -> Self {
        self.phase = p.to_vec();
        self.n = self.n.max(p.len());
        self
    }
    fn deleted(mut self, d: &[bool]) -> Self {
        self.deleted = d.to_vec();
        self
    }
    /// Pod JSON with `container(i)` giving the two containers' fields.
    fn json(
        &self,
        container: impl Fn(usize) -> Value,
        pod_metric: impl Fn(usize) -> Option<(String, f64)>,
    ) -> Vec<Value> {
        (0..self.n)
            .map(|i| {
                let start = match self.start.get(i).copied().unwrap_or(Start::Zero) {
                    Start::Zero => ZERO_TIME,
                    Start::Hot => 0.0,
                    Start::Cool => -180.0,
                };
                let mut pm = serde_json::Map::new();
                if let Some((k, v)) = pod_metric(i) {
                    pm.insert(k, json!(v));
                }
                let mut c0 = container(i);
                c0["name"] = json!("container0");
                let mut c1 = container(i);
                c1["name"] = json!("container1");
                json!({
                    "name": format!("test-pod-{i}"),
                    "phase": self.phase.get(i).copied().unwrap_or("Running"),
                    "ready": self.ready.get(i).copied().unwrap_or(true),
                    "deleted": self.deleted.get(i).copied().unwrap_or(false),
                    "start_time_s": start,
                    "ready_transition_time_s": ZERO_TIME,
                    "metrics_timestamp_s": ZERO_TIME,
                    "metrics_window_s": 60,
                    "containers": [c0, c1],
                    "pod_metrics": pm,
                })
            })
            .collect()
    }
}

/// The upstream test controller's options.
fn test_controller() -> Value {
    json!({ "tolerance": 0.1, "cpu_initialization_period_s": 120, "initial_readiness_delay_s": 10,
            "scale_up_limit_factor": 8.0, "scale_up_limit_minimum": 4.0 })
}

fn hpa_yaml(min: i32, max: i32, metric: &str, behavior: &str) -> String {
    format!(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{ name: test-hpa }}\nspec:\n  minReplicas: {min}\n  maxReplicas: {max}\n  metrics:\n  - {metric}\n{behavior}"
    )
}

fn run(yaml: &str, state: Value) -> Explanation {
    let spec = parse_hpas(yaml)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
        .remove(0);
    let snap: Snapshot = serde_json::from_str(&state.to_string()).unwrap();
    explain(&spec, &snap)
}

// ---------------------------------------------------------------- replica calculator

/// A CPU-utilisation case: requests (cores) and usage levels (millicores) per pod.
fn cpu_case(
    current: i32,
    pods: Pods,
    requests: &[f64],
    levels: &[i64],
    target: i32,
) -> Explanation {
    let requests = requests.to_vec();
    let levels = levels.to_vec();
    let pod_json = pods.json(
        |i| {
            let mut c = json!({});
            if let Some(r) = requests.get(i) {
                c["cpu_request_milli"] = json!((r * 1000.0).round() as i64);
            }
            if let Some(l) = levels.get(i) {
                c["cpu_usage_milli"] = json!(l);
            }
            c
        },
        |_| None,
    );
    let yaml = hpa_yaml(
        0,
        1000,
        &format!(
            "type: Resource\n    resource: {{ name: cpu, target: {{ type: Utilization, averageUtilization: {target} }} }}"
        ),
        "",
    );
    run(
        &yaml,
        json!({ "spec_replicas": current, "pods": pod_json, "recommendations": [], "controller": test_controller() }),
    )
}

fn proposal(e: &Explanation) -> i32 {
    e.metrics[0]
        .proposal
        .unwrap_or_else(|| panic!("no proposal: {:?}", e.metrics[0].error))
}

fn util(e: &Explanation) -> String {
    e.metrics[0].current.clone().unwrap()
}

#[test]
fn test_replica_calc_scale_up() {
    let e = cpu_case(3, Pods::new(3), &[1.0, 1.0, 1.0], &[300, 500, 700], 30);
    assert_eq!(proposal(&e), 5);
    assert_eq!(util(&e), "averageUtilization 50%, averageValue 1"); // 2 × 500m = 1 core
}

#[test]
fn test_replica_calc_scale_up_unready_less_scale() {
    let e = cpu_case(
        3,
        Pods::new(3).ready(&[false, true, true]),
        &[1.0; 3],
        &[300, 500, 700],
        30,
    );
    assert_eq!(proposal(&e), 4);
    assert!(util(&e).starts_with("averageUtilization 60%"));
}

/// The reason names the pod rule the replica calculator applied. Requests
/// of 1 core, target 30 %: the ready pods use 500m and 700m (60 %, ratio 2:
/// a scale-up), so the unready pod counts at 0: (0 + 500 + 700) / 3 = 400m,
/// 40 %, ratio 1.33 → ceil(1.33 × 3) = 4.
#[test]
fn reason_names_unready_pods_counted_at_zero_on_scale_up() {
    let e = cpu_case(
        3,
        Pods::new(3).ready(&[false, true, true]),
        &[1.0; 3],
        &[300, 500, 700],
        30,
    );
    assert!(
        e.reason.contains("1 unready pod counted at 0 on scale-up"),
        "{}",
        e.reason
    );
    // Without unready pods the reason has no such note.
    let e = cpu_case(3, Pods::new(3), &[1.0; 3], &[300, 500, 700], 30);
    assert!(!e.reason.contains("counted at"), "{}", e.reason);
}

#[test]
fn test_replica_calc_scale_up_hot_cpu_less_scale() {
    let pods = Pods::new(3).start(&[Start::Hot, Start::Cool, Start::Cool]);
    let e = cpu_case(3, pods, &[1.0; 3], &[300, 500, 700], 30);
    assert_eq!(proposal(&e), 4);
    assert!(util(&e).starts_with("averageUtilization 60%"));
}

#[test]
fn test_replica_calc_scale_up_unready_no_scale() {
    let e = cpu_case(
        3,
        Pods::new(3).ready(&[true, false, false]),
        &[1.0; 3],
        &[400, 500, 700],
        30,
    );
    assert_eq!(proposal(&e), 3);
    assert!(util(&e).starts_with("averageUtilization 40%"));
}

#[test]
fn test_replica_calc_scale_hot_cpu_no_scale() {
    let pods =
        Pods::new(3)
            .ready(&[true, false, false])
            .start(&[Start::Cool, Start::Hot, Start::Hot]);
    let e = cpu_case(3, pods, &[1.0; 3], &[400, 500, 700], 30);
    assert_eq!(proposal(&e), 3);
}

#[test]
fn test_replica_calc_scale_up_ignores_failed_pods() {
    let pods = Pods::new(2)
        .ready(&[true, true, false, false])
        .phase(&["Running", "Running", "Failed", "Failed"]);
    let e = cpu_case(2, pods, &[1.0; 4], &[500, 700], 30);
    assert_eq!(proposal(&e), 4);
    assert!(util(&e).starts_with("averageUtilization 60%"));
}

#[test]
fn test_replica_calc_scale_up_ignores_deletion_pods() {
    let pods = Pods::new(4)
        .ready(&[true, true, false, false])
        .deleted(&[false, false, true, true]);
    let e = cpu_case(2, pods, &[1.0; 4], &[500, 700], 30);
    assert_eq!(proposal(&e), 4);
}

#[test]
fn test_replica_calc_scale_down() {
    let e = cpu_case(5, Pods::new(5), &[1.0; 5], &[100, 300, 500, 250, 250], 50);
    assert_eq!(proposal(&e), 3);
    assert!(util(&e).starts_with("averageUtilization 28%"));
}

#[test]
fn test_replica_calc_scale_down_include_unready_pods() {
    let pods = Pods::new(5).ready(&[true, true, true, false, false]);
    let e = cpu_case(5, pods, &[1.0; 5], &[100, 300, 500, 250, 250], 50);
    assert_eq!(proposal(&e), 2);
    assert!(util(&e).starts_with("averageUtilization 30%"));
}

#[test]
fn test_replica_calc_scale_down_exclude_unscheduled_pods() {
    let pods = Pods::new(5)
        .ready(&[true, false, false, false, false])
        .phase(&["Running", "Pending", "Pending", "Pending", "Pending"]);
    let e = cpu_case(5, pods, &[1.0; 5], &[100], 50);
    assert_eq!(proposal(&e), 1);
    assert!(util(&e).starts_with("averageUtilization 10%"));
}

#[test]
fn test_replica_calc_scale_down_ignore_hot_cpu_pods() {
    let pods = Pods::new(5).start(&[
        Start::Cool,
        Start::Cool,
        Start::Cool,
        Start::Hot,
        Start::Hot,
    ]);
    let e = cpu_case(5, pods, &[1.0; 5], &[100, 300, 500, 250, 250], 50);
    assert_eq!(proposal(&e), 2);
}

#[test]
fn test_replica_calc_scale_down_ignores_failed_pods() {
    let pods = Pods::new(5)
        .ready(&[true, true, true, true, true, false, false])
        .phase(&[
            "Running", "Running", "Running", "Running", "Running", "Failed", "Failed",
        ]);
    let e = cpu_case(5, pods, &[1.0; 7], &[100, 300, 500, 250, 250], 50);
    assert_eq!(proposal(&e), 3);
    assert!(util(&e).starts_with("averageUtilization 28%"));
}

#[test]
fn test_replica_calc_scale_down_ignores_deletion_pods() {
    let pods = Pods::new(7)
        .ready(&[true, true, true, true, true, false, false])
        .deleted(&[false, false, false, false, false, true, true]);
    let e = cpu_case(5, pods, &[1.0; 7], &[100, 300, 500, 250, 250], 50);
    assert_eq!(proposal(&e), 3);
}

#[test]
fn test_replica_calc_tolerance() {
    let e = cpu_case(3, Pods::new(3), &[0.9, 1.0, 1.1], &[1010, 1030, 1020], 100);
    assert_eq!(proposal(&e), 3);
    assert!(util(&e).starts_with("averageUtilization 102%"));
}

#[test]
fn test_replica_calc_missing_metrics() {
    let e = cpu_case(4, Pods::new(4), &[1.0; 4], &[400, 95], 100);
    assert_eq!(proposal(&e), 3);
    assert!(util(&e).starts_with("averageUtilization 24%"));
}

#[test]
fn test_replica_calc_empty_metrics() {
    let e = cpu_case(4, Pods::new(4), &[1.0; 3], &[], 100);
    assert!(
        e.metrics[0]
            .error
            .as_deref()
            .unwrap()
            .contains("no metrics returned from resource metrics API")
    );
    assert_eq!(e.desired_replicas, 4, "an invalid metric changes nothing");
}

#[test]
fn test_replica_calc_empty_cpu_request() {
    let e = cpu_case(1, Pods::new(1), &[], &[200], 100);
    assert!(
        e.metrics[0]
            .error
            .as_deref()
            .unwrap()
            .contains("missing request for")
    );
}

#[test]
fn test_replica_calc_missing_metrics_no_change_eq() {
    assert_eq!(
        proposal(&cpu_case(2, Pods::new(2), &[1.0; 2], &[1000], 100)),
        2
    );
}

#[test]
fn test_replica_calc_missing_metrics_no_change_gt() {
    assert_eq!(
        proposal(&cpu_case(2, Pods::new(2), &[1.0; 2], &[1900], 100)),
        2
    );
}

#[test]
fn test_replica_calc_missing_metrics_no_change_lt() {
    assert_eq!(
        proposal(&cpu_case(2, Pods::new(2), &[1.0; 2], &[600], 100)),
        2
    );
}

#[test]
fn test_replica_calc_missing_metrics_unready_change() {
    let e = cpu_case(
        3,
        Pods::new(3).ready(&[false, true, true]),
        &[1.0; 3],
        &[100, 450],
        50,
    );
    assert_eq!(proposal(&e), 3);
}

#[test]
fn test_replica_calc_missing_metrics_unready_scale_up() {
    let e = cpu_case(
        3,
        Pods::new(3).ready(&[false, true, true]),
        &[1.0; 3],
        &[100, 2000],
        50,
    );
    assert_eq!(proposal(&e), 4);
    assert!(util(&e).starts_with("averageUtilization 200%"));
}

#[test]
fn test_replica_calc_missing_metrics_hot_cpu_scale_up() {
    let pods =
        Pods::new(3)
            .ready(&[false, true, true])
            .start(&[Start::Hot, Start::Cool, Start::Cool]);
    assert_eq!(proposal(&cpu_case(3, pods, &[1.0; 3], &[100, 2000], 50)), 4);
}

#[test]
fn test_replica_calc_missing_metrics_unready_scale_down() {
    let e = cpu_case(
        4,
        Pods::new(4).ready(&[false, true, true, true]),
        &[1.0; 4],
        &[100, 100, 100],
        50,
    );
    assert_eq!(proposal(&e), 3);
    assert!(util(&e).starts_with("averageUtilization 10%"));
}

#[test]
fn test_replica_calc_during_rolling_update_with_max_surge() {
    let e = cpu_case(2, Pods::new(3), &[1.0; 3], &[100, 100], 50);
    assert_eq!(proposal(&e), 2);
}

/// A `Pods` custom-metric case (levels in milli-units, as upstream).
fn pods_metric_case(current: i32, pods: Pods, levels: &[i64], target_milli: i64) -> Explanation {
    let levels = levels.to_vec();
    let pod_json = pods.json(
        |_| json!({}),
        |i| {
            levels
                .get(i)
                .map(|l| ("qps".to_string(), *l as f64 / 1000.0))
        },
    );
    let yaml = hpa_yaml(
        0,
        1000,
        &format!(
            "type: Pods\n    pods: {{ metric: {{ name: qps }}, target: {{ type: AverageValue, averageValue: {target_milli}m }} }}"
        ),
        "",
    );
    run(
        &yaml,
        json!({ "spec_replicas": current, "pods": pod_json, "recommendations": [], "controller": test_controller() }),
    )
}

#[test]
fn test_replica_calc_scale_up_cm() {
    let e = pods_metric_case(3, Pods::new(3), &[20000, 10000, 30000], 15000);
    assert_eq!(proposal(&e), 4);
    assert_eq!(util(&e), "averageValue 20");
}

#[test]
fn test_replica_calc_scale_up_cm_unready_hot_cpu_no_less_scale() {
    let pods =
        Pods::new(3)
            .ready(&[true, true, false])
            .start(&[Start::Cool, Start::Cool, Start::Hot]);
    let e = pods_metric_case(3, pods, &[50000, 10000, 30000], 15000);
    assert_eq!(proposal(&e), 6);
    assert_eq!(util(&e), "averageValue 30");
}

#[test]
fn test_replica_calc_scale_up_cm_unready_hot_cpu_scale_would_scale_down() {
    let pods =
        Pods::new(3)
            .ready(&[false, true, false])
            .start(&[Start::Hot, Start::Cool, Start::Hot]);
    let e = pods_metric_case(3, pods, &[50000, 15000, 30000], 15000);
    assert_eq!(proposal(&e), 7);
    assert_eq!(util(&e), "averageValue 31666m");
}

#[test]
fn test_replica_calc_scale_down_cm() {
    let e = pods_metric_case(5, Pods::new(5), &[12000; 5], 20000);
    assert_eq!(proposal(&e), 3);
}

#[test]
fn test_replica_calc_tolerance_cm() {
    let e = pods_metric_case(3, Pods::new(3), &[20000, 21000, 21000], 20000);
    assert_eq!(proposal(&e), 3);
    assert_eq!(util(&e), "averageValue 20666m");
}

/// Object or External metric cases (value in milli-units).
fn single_value_case(
    current: i32,
    pods: Pods,
    kind: &str,
    value_milli: i64,
    target: &str,
) -> Explanation {
    let pod_json = pods.json(|_| json!({}), |_| None);
    let (metric, state_key, value) = if kind == "Object" {
        (
            format!(
                "type: Object\n    object: {{ metric: {{ name: qps }}, describedObject: {{ kind: Deployment, name: some-deployment, apiVersion: apps/v1 }}, target: {target} }}"
            ),
            "object_metrics",
            json!({ "qps": value_milli as f64 / 1000.0 }),
        )
    } else {
        (
            format!(
                "type: External\n    external: {{ metric: {{ name: qps, selector: {{ matchLabels: {{ label: value }} }} }}, target: {target} }}"
            ),
            "external_metrics",
            json!({ "qps": [value_milli as f64 / 1000.0] }),
        )
    };
    let yaml = hpa_yaml(0, 1000, &metric, "");
    let mut state = json!({ "spec_replicas": current, "pods": pod_json, "recommendations": [], "controller": test_controller() });
    state[state_key] = value;
    run(&yaml, state)
}

#[test]
fn test_replica_calc_scale_up_cm_object() {
    let e = single_value_case(
        3,
        Pods::new(3),
        "Object",
        20000,
        "{ type: Value, value: 15 }",
    );
    assert_eq!(proposal(&e), 4);
}

#[test]
fn test_replica_calc_scale_up_cm_per_pod_object() {
    let e = single_value_case(
        3,
        Pods::new(3),
        "Object",
        20000,
        "{ type: AverageValue, averageValue: 5 }",
    );
    assert_eq!(proposal(&e), 4);
    assert_eq!(util(&e), "averageValue 6667m");
}

#[test]
fn test_replica_calc_scale_up_cm_object_ignores_unready_pods() {
    let e = single_value_case(
        3,
        Pods::new(3).ready(&[false, true, false]),
        "Object",
        50000,
        "{ type: Value, value: 10 }",
    );
    assert_eq!(proposal(&e), 5);
}

#[test]
fn test_replica_calc_scale_up_cm_external_ignores_unready_pods() {
    let e = single_value_case(
        3,
        Pods::new(3).ready(&[false, true, false]),
        "External",
        8600,
        "{ type: Value, value: 4400m }",
    );
    assert_eq!(proposal(&e), 2);
}

#[test]
fn test_replica_calc_scale_up_per_pod_cm_external() {
    let e = single_value_case(
        3,
        Pods::new(3),
        "External",
        8600,
        "{ type: AverageValue, averageValue: 2150m }",
    );
    assert_eq!(proposal(&e), 4);
    assert_eq!(util(&e), "averageValue 2867m");
}

#[test]
fn test_replica_calc_scale_down_per_pod_cm_object() {
    let e = single_value_case(
        5,
        Pods::new(5),
        "Object",
        6000,
        "{ type: AverageValue, averageValue: 2 }",
    );
    assert_eq!(proposal(&e), 3);
    assert_eq!(util(&e), "averageValue 1200m");
}

#[test]
fn test_replica_calc_scale_down_cm_external() {
    let e = single_value_case(
        5,
        Pods::new(5),
        "External",
        8600,
        "{ type: Value, value: 14334m }",
    );
    assert_eq!(proposal(&e), 3);
}

#[test]
fn test_replica_calc_scale_down_per_pod_cm_external() {
    let e = single_value_case(
        5,
        Pods::new(5),
        "External",
        8600,
        "{ type: AverageValue, averageValue: 2867m }",
    );
    assert_eq!(proposal(&e), 3);
}

#[test]
fn test_replica_calc_tolerance_per_pod_cm_object() {
    let e = single_value_case(
        4,
        Pods::new(4),
        "Object",
        20166,
        "{ type: AverageValue, averageValue: 5 }",
    );
    assert_eq!(proposal(&e), 4);
    assert_eq!(util(&e), "averageValue 5042m");
}

#[test]
fn test_replica_calc_tolerance_cm_external() {
    let e = single_value_case(
        3,
        Pods::new(3),
        "External",
        8600,
        "{ type: Value, value: 8888m }",
    );
    assert_eq!(proposal(&e), 3);
}

// ------------------------------------------------------ normalisation with behavior

fn scaling_rules(
    pods: i32,
    pods_period: i32,
    percent: i32,
    percent_period: i32,
    window: i32,
) -> String {
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(format!(
            "{{ type: Pods, value: {pods}, periodSeconds: {pods_period} }}"
        ));
    }
    if percent != 0 {
        policies.push(format!(
            "{{ type: Percent, value: {percent}, periodSeconds: {percent_period} }}"
        ));
    }
    format!(
        "{{ stabilizationWindowSeconds: {window}, selectPolicy: Max, policies: [ {} ] }}",
        policies.join(", ")
    )
}

/// `generateEventsUniformDistribution(events, 120)`: event i at the centre of
/// its segment of the last 120 s.
fn uniform_events(changes: &[i32], period: f64) -> Value {
    let seg = period / changes.len() as f64;
    Value::Array(
        changes
            .iter()
            .enumerate()
            .map(|(i, c)| json!({ "replica_change": c, "age_s": period - seg * (i as f64 + 1.0) + seg / 2.0 }))
            .collect(),
    )
}

struct RuleCase {
    up: Option<String>,
    down: Option<String>,
    up_events: Value,
    down_events: Value,
    min: i32,
    max: i32,
    current: i32,
    prenormalized: i32,
}

/// `TestScalingWithRules`: the prenormalised recommendation comes from an
/// External AverageValue metric of target 1 (proposal = the metric's value).
fn rules_case(c: RuleCase) -> Explanation {
    let mut behavior = "  behavior:\n".to_string();
    if let Some(u) = &c.up {
        behavior.push_str(&format!("    scaleUp: {u}\n"));
    }
    if let Some(d) = &c.down {
        behavior.push_str(&format!("    scaleDown: {d}\n"));
    }
    if c.up.is_none() && c.down.is_none() {
        behavior = "  behavior: {}\n".into();
    }
    let yaml = hpa_yaml(
        c.min,
        c.max,
        "type: External\n    external: { metric: { name: want }, target: { type: AverageValue, averageValue: 1 } }",
        &behavior,
    );
    let pods = Pods::new(c.current as usize).json(|_| json!({}), |_| None);
    run(
        &yaml,
        json!({ "spec_replicas": c.current, "pods": pods, "external_metrics": { "want": [c.prenormalized] },
                "recommendations": [], "scale_up_events": c.up_events, "scale_down_events": c.down_events,
                "controller": test_controller() }),
    )
}

fn rc(min: i32, max: i32, current: i32, prenormalized: i32) -> RuleCase {
    RuleCase {
        up: None,
        down: None,
        up_events: json!([]),
        down_events: json!([]),
        min,
        max,
        current,
        prenormalized,
    }
}

fn expect(e: &Explanation, replicas: i32, condition: &str) {
    assert_eq!(e.metrics[0].proposal, Some(e.recommendation.unwrap()));
    assert_eq!(e.desired_replicas, replicas, "{e:#?}");
    assert_eq!(
        e.rate_limit.as_ref().unwrap().condition,
        condition,
        "{e:#?}"
    );
}

#[test]
fn scaling_with_rules_prenormalized_desired_replicas_within_range() {
    expect(&rules_case(rc(3, 8, 5, 7)), 7, "DesiredWithinRange");
}

#[test]
fn scaling_with_rules_prenormalized_desired_replicas_below_min_replicas() {
    expect(&rules_case(rc(2, 8, 3, 1)), 2, "TooFewReplicas");
}

#[test]
fn scaling_with_rules_within_range_when_min_replicas_is_0() {
    expect(&rules_case(rc(0, 10, 1, 0)), 0, "DesiredWithinRange");
}

#[test]
fn scaling_with_rules_max_replicas_is_the_limit() {
    expect(&rules_case(rc(1, 10, 20 - 10, 1000)), 10, "TooManyReplicas");
}

#[test]
fn scaling_with_rules_scale_up_limit_with_user_policies() {
    let mut c = rc(1, 2000, 3, 1000);
    c.up = Some(scaling_rules(0, 0, 1, 60, 0));
    expect(&rules_case(c), 4, "ScaleUpLimit");
}

#[test]
fn scaling_with_rules_scale_down_limit_with_user_policies() {
    let mut c = rc(3, 2000, 1000, 3);
    c.down = Some(scaling_rules(20, 60, 0, 0, 0));
    expect(&rules_case(c), 980, "ScaleDownLimit");
}

#[test]
fn scaling_with_rules_scale_up_with_default_behavior() {
    expect(&rules_case(rc(1, 1000, 10, 50)), 20, "ScaleUpLimit");
}

#[test]
fn scaling_with_rules_scale_up_with_pods_policy_larger_than_percent_policy() {
    let mut c = rc(1, 1000, 10, 500);
    c.up = Some(scaling_rules(100, 60, 100, 60, 0));
    expect(&rules_case(c), 110, "ScaleUpLimit");
}

#[test]
fn scaling_with_rules_scale_up_with_percent_policy_limitation() {
    let mut c = rc(1, 1000, 10, 50);
    c.up = Some(scaling_rules(0, 0, 200, 60, 0));
    expect(&rules_case(c), 30, "ScaleUpLimit");
}

#[test]
fn scaling_with_rules_scale_down_with_pod_policy_larger_than_percent_policy() {
    let mut c = rc(1, 1000, 100, 2);
    c.down = Some(scaling_rules(2, 60, 1, 60, 300));
    expect(&rules_case(c), 98, "ScaleDownLimit");
}

#[test]
fn scaling_with_rules_scale_down_with_spec_min_replicas_limitation_with_large_percent_policy() {
    let mut c = rc(5, 1000, 10, 2);
    c.down = Some(scaling_rules(0, 0, 100, 60, 300));
    expect(&rules_case(c), 5, "TooFewReplicas");
}

#[test]
fn scaling_with_rules_scale_up_with_pod_policy_and_previous_scale_up_events() {
    let mut c = rc(1, 1000, 100, 500);
    c.up = Some(scaling_rules(150, 120, 0, 0, 0));
    c.up_events = uniform_events(&[1, 5, 9], 120.0);
    expect(&rules_case(c), 235, "ScaleUpLimit"); // 100 - 15 + 150
}

#[test]
fn scaling_with_rules_scale_up_with_current_replicas_limitation_with_many_recent_scale_up_events() {
    let mut c = rc(1, 1000, 100, 500);
    c.up = Some(scaling_rules(5, 120, 0, 0, 0));
    c.up_events = uniform_events(&[1, 5, 9], 120.0);
    // 120 s ago there were 85 replicas; 85 + 5 < 100: the limit never goes below current.
    let e = rules_case(c);
    assert_eq!(e.desired_replicas, 100);
    assert!(!e.rescale);
}

#[test]
fn scaling_with_rules_scale_up_with_percent_policy_and_previous_scale_up_and_down_events() {
    let mut c = rc(1, 1000, 6, 24);
    c.up = Some(scaling_rules(0, 0, 300, 300, 0));
    c.up_events = uniform_events(&[4], 120.0);
    c.down_events = uniform_events(&[2], 120.0);
    expect(&rules_case(c), 16, "ScaleUpLimit");
}

#[test]
fn scaling_with_rules_scale_down_with_percent_policy_limitation_and_previous_events() {
    let mut c = rc(1, 1000, 100, 0);
    c.down = Some(scaling_rules(0, 0, 50, 120, 300));
    c.down_events = uniform_events(&[2, 4, 6], 120.0);
    expect(&rules_case(c), 56, "ScaleDownLimit"); // (100 + 12) × 50 %
}

#[test]
fn scaling_with_rules_scale_down_with_percent_policy_and_previous_scale_up_and_down_events() {
    let mut c = rc(1, 1000, 10, 1);
    c.down = Some(scaling_rules(0, 0, 50, 180, 0));
    c.up_events = uniform_events(&[2], 120.0);
    c.down_events = uniform_events(&[4], 120.0);
    expect(&rules_case(c), 6, "ScaleDownLimit");
}

#[test]
fn scaling_with_rules_scale_down_with_previous_events_preventing_further_scale_down() {
    let mut c = rc(1, 1000, 100, 0);
    c.down = Some(scaling_rules(0, 0, 10, 120, 300));
    c.down_events = uniform_events(&[10, 10, 10], 120.0);
    let e = rules_case(c);
    assert_eq!(e.desired_replicas, 100); // (100 + 30) × 90 % = 117 > 100: keep 100
}

#[test]
fn scaling_with_rules_scale_down_with_default_policy_and_previous_events() {
    let mut c = rc(1, 1000, 10, 5);
    c.down_events = uniform_events(&[1, 5, 9], 120.0);
    c.down = Some("{ stabilizationWindowSeconds: 0 }".into());
    expect(&rules_case(c), 5, "DesiredWithinRange");
}

// ------------------------------------------------------- whole reconciles (legacy)

#[allow(clippy::too_many_arguments)]
fn legacy_cpu(
    spec: i32,
    min: i32,
    max: i32,
    requests: &[f64],
    levels: &[i64],
    target: i32,
    recs: Value,
    controller: Value,
) -> Explanation {
    let requests = requests.to_vec();
    let levels = levels.to_vec();
    let pods = Pods::new(levels.len().max(requests.len())).json(
        |i| json!({ "cpu_request_milli": (requests[i] * 1000.0).round() as i64, "cpu_usage_milli": levels.get(i) }),
        |_| None,
    );
    let yaml = hpa_yaml(
        min,
        max,
        &format!(
            "type: Resource\n    resource: {{ name: cpu, target: {{ type: Utilization, averageUtilization: {target} }} }}"
        ),
        "",
    );
    run(
        &yaml,
        json!({ "spec_replicas": spec, "pods": pods, "recommendations": recs, "controller": controller }),
    )
}

#[test]
fn test_scale_up() {
    let e = legacy_cpu(
        3,
        2,
        6,
        &[1.0; 3],
        &[300, 500, 700],
        30,
        json!([]),
        test_controller(),
    );
    assert_eq!(e.desired_replicas, 5);
}

#[test]
fn test_scale_down() {
    let e = legacy_cpu(
        5,
        2,
        6,
        &[1.0; 5],
        &[100, 300, 500, 250, 250],
        50,
        json!([]),
        test_controller(),
    );
    assert_eq!(e.desired_replicas, 3);
}

#[test]
fn test_scale_down_stabilize_initial_size() {
    // No recommendation history: the initial recommendation (5) blocks the scale-down.
    let e = legacy_cpu(
        5,
        2,
        6,
        &[1.0; 5],
        &[100, 300, 500, 250, 250],
        50,
        Value::Null,
        test_controller(),
    );
    assert_eq!(e.desired_replicas, 5);
    assert!(
        e.stabilization
            .as_deref()
            .unwrap()
            .starts_with("ScaleDownStabilized")
    );
}

#[test]
fn test_missing_reports() {
    // 4 replicas but one pod reporting 100 % against 50 %: ceil(2 × 1 ready pod) = 2.
    let e = legacy_cpu(4, 1, 5, &[0.2], &[200], 50, json!([]), test_controller());
    assert_eq!(e.desired_replicas, 2);
}

#[test]
fn test_more_replicas_than_spec_no_scale() {
    // Within tolerance the controller returns spec.replicas, whatever runs.
    let e = legacy_cpu(
        1,
        1,
        8,
        &[1.0; 2],
        &[500, 500],
        50,
        json!([]),
        test_controller(),
    );
    assert_eq!(e.desired_replicas, 1);
}

#[test]
fn test_normalize_desired_replicas_stabilize() {
    // stabilizeRecommendation "stabilize": history {4 @ -2 min, 5 @ -1 min}, raw 3 -> 5.
    let e = legacy_cpu(
        5,
        1,
        10,
        &[1.0; 5],
        &[300, 300, 300, 300, 300],
        50,
        json!([{ "replicas": 4, "age_s": 120 }, { "replicas": 5, "age_s": 60 }]),
        test_controller(),
    );
    assert_eq!(
        (e.recommendation, e.stabilized_recommendation),
        (Some(3), Some(5))
    );
}

#[test]
fn test_normalize_desired_replicas_stabilize_old_recommendations() {
    let recs = json!([{ "replicas": 10, "age_s": 600 }, { "replicas": 4, "age_s": 60 }, { "replicas": 5, "age_s": 120 }, { "replicas": 9, "age_s": 540 }]);
    let e = legacy_cpu(5, 1, 10, &[1.0; 5], &[300; 5], 50, recs, test_controller());
    assert_eq!(
        (e.recommendation, e.stabilized_recommendation),
        (Some(3), Some(5))
    );
}

#[test]
fn test_scale_up_limit_production_factor() {
    // kube-controller-manager's factor 2 and minimum 4: from 3, at most 6 per reconcile.
    let e = legacy_cpu(
        3,
        1,
        100,
        &[1.0; 3],
        &[1000, 1000, 1000],
        10,
        json!([]),
        json!({}),
    );
    assert_eq!(e.recommendation, Some(30));
    assert_eq!(e.desired_replicas, 6);
    assert_eq!(e.rate_limit.as_ref().unwrap().condition, "ScaleUpLimit");
}

#[test]
fn test_scale_up_one_metric_invalid_and_no_scale_down_one_metric_failing() {
    let two_metrics = |spec: i32, levels: &[i64]| {
        let levels = levels.to_vec();
        let pods = Pods::new(levels.len()).json(
            |i| json!({ "cpu_request_milli": 1000, "cpu_usage_milli": levels[i] }),
            |_| None,
        );
        let yaml = format!(
            "{}  - type: External\n    external: {{ metric: {{ name: broken }}, target: {{ type: Value, value: 1 }} }}\n",
            hpa_yaml(
                1,
                10,
                "type: Resource\n    resource: { name: cpu, target: { type: Utilization, averageUtilization: 30 } }",
                ""
            )
        );
        run(
            &yaml,
            json!({ "spec_replicas": spec, "pods": pods, "recommendations": [], "failing_metrics": ["broken"], "controller": test_controller() }),
        )
    };
    // TestScaleUpOneMetricInvalid: cpu proposes 4, the other metric fails: scale up.
    assert_eq!(two_metrics(3, &[300, 400, 500]).desired_replicas, 4);
    // TestNoScaleDownOneMetricEmpty: cpu proposes fewer, the other fails: no change.
    let e = two_metrics(5, &[100, 100, 100, 100, 100]);
    assert_eq!(e.desired_replicas, 5);
    assert!(e.reason.contains("blocks scale-down"), "{}", e.reason);
}

#[test]
fn test_behavior_stabilization_does_not_scale_up_when_recommendation_goes_down() {
    // "do not scale up when prenormalized rec goes down": current 2, desired 1, history {3}, windows 300.
    let c = RuleCase {
        up: Some("{ stabilizationWindowSeconds: 300 }".into()),
        down: Some("{ stabilizationWindowSeconds: 300 }".into()),
        up_events: json!([]),
        down_events: json!([]),
        min: 1,
        max: 10,
        current: 2,
        prenormalized: 1,
    };
    let yaml = hpa_yaml(
        1,
        10,
        "type: External\n    external: { metric: { name: want }, target: { type: AverageValue, averageValue: 1 } }",
        &format!(
            "  behavior:\n    scaleUp: {}\n    scaleDown: {}\n",
            c.up.unwrap(),
            c.down.unwrap()
        ),
    );
    let e = run(
        &yaml,
        json!({ "spec_replicas": 2, "external_metrics": { "want": [1] }, "recommendations": [{ "replicas": 3, "age_s": 10 }], "controller": test_controller() }),
    );
    assert_eq!(e.desired_replicas, 2);
}

#[test]
fn explain_binary_prints_the_decision_as_json() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args([
            "hpa",
            "explain",
            "--hpa",
            "examples/hpa/web-hpa.yaml",
            "--state",
            "examples/hpa/web-state.json",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 1200m used of 1500m requested = 80 % against 50 %: ceil(1.6 × 3) = 5.
    assert_eq!(v["desired_replicas"], 5);
    assert_eq!(v["metrics"][0]["proposal"], 5);
    assert!(v["reason"].as_str().unwrap().contains("proposes 5"));
}

#[test]
fn explain_rejects_bad_input_with_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(&bad, hpa_yaml(1, 5, "type: Gauge", "")).unwrap();
    let st = tmp.path().join("s.json");
    std::fs::write(&st, "{ \"spec_replicas\": 2, \"podz\": [] }").unwrap();
    let run = |h: &std::path::Path, s: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
            .args([
                "hpa",
                "explain",
                "--hpa",
                h.to_str().unwrap(),
                "--state",
                s.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let o = run(&bad, &st);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bad.yaml") && err.contains("spec.metrics[0].type"),
        "{err}"
    );
    let good = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hpa/web-hpa.yaml");
    let o = run(&good, &st);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("s.json") && err.contains("podz"),
        "{err}"
    );
}
