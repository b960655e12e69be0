//! The Vertical Pod Autoscaler, as kubernetes/autoscaler
//! `vertical-pod-autoscaler-1.7.1` (commit 78cf80651a54) decides: the
//! recommender's decaying histograms and estimators, the capping to the
//! VPA's container policy, the updater's choice of pods to evict and the
//! admission controller's requests for new pods. Files cited below are under
//! `vertical-pod-autoscaler/pkg/`.
//!
//! - Histograms (`recommender/util/histogram.go`, `histogram_options.go`,
//!   `decaying_histogram.go`): exponential buckets, 5 % wider each; CPU from
//!   0.01 core to 1000 cores, memory from 10^7 bytes to 10^12; a sample's
//!   weight grows by 2^(t / half-life) (24 h) so older samples count less;
//!   the p-th percentile is the *end* of the bucket where the cumulative
//!   weight reaches p × total.
//! - Samples (`recommender/model/aggregate_container_state.go`,
//!   `container.go`): one CPU sample per container per recommender interval
//!   (1 min), weight 0.1 (`minSampleWeight`); memory: one sample per
//!   container per 24 h aggregation interval, its peak (a higher usage in
//!   the same interval replaces the interval's sample); an OOM kill adds a
//!   sample of max(request, peak) bumped by 20 % or 100 MiB, whichever is more.
//! - Estimation (`recommender/logic/recommender.go`, `estimator.go`,
//!   defaults in `recommender/config/config.go`): target = p90 × 1.15, lower
//!   bound = p50 × 1.15 × (1 + 0.001/c)^-2, upper bound = p95 × 1.15 ×
//!   (1 + 1/c), where c, the confidence, is min(history span in days,
//!   samples / 1440); each at least 25 millicores and 250 MiB (a one-container
//!   pod); amounts truncated to whole millicores and bytes at each step as
//!   `model.ResourceAmount` does.
//! - Capping (`utils/vpa/capping.go`): target and bounds within
//!   minAllowed/maxAllowed; with `RequestsOnly`, at most the container's limit.
//! - Updater (`updater/priority/priority_processor.go`,
//!   `update_priority_calculator.go`, `updater/restriction/`, defaults in
//!   `updater/config/config.go`): a pod is updated when a request lies outside
//!   [lower, upper], or it has lived 12 h and its requests differ from the
//!   target by ≥ 10 % (sum of relative differences), or it was OOM-killed
//!   within 10 minutes of starting; scale-ups first, then by difference;
//!   nothing is evicted while fewer than 2 pods live; at most
//!   ⌊replicas × 0.5⌋ evictions in flight (one when that is 0 and all run).
//! - Admission (`admission-controller/resource/pod/recommendation`,
//!   `utils/vpa/limit_proportion_maintaining.go`): a new pod gets the capped
//!   target as its requests; with `RequestsAndLimits` its limits keep their
//!   ratio to the requests.

/// Bytes in a MiB.
pub const MIB: f64 = 1_048_576.0;
/// `model.MaxResourceAmount`.
const MAX_RESOURCE_AMOUNT: f64 = 1e14;
/// `minSampleWeight` (aggregations_config.go).
pub const MIN_SAMPLE_WEIGHT: f64 = 0.1;
/// `epsilon` of the histograms.
const EPSILON: f64 = 0.001 * MIN_SAMPLE_WEIGHT;
/// 24 h in µs: half-life, confidence interval and memory aggregation interval.
pub const DAY_US: u64 = 86_400_000_000;
/// `--recommender-interval` and `--updater-interval`: 1 minute.
pub const INTERVAL_US: u64 = 60_000_000;
/// `--in-recommendation-bounds-eviction-lifetime-threshold`: 12 h.
pub const POD_LIFETIME_UPDATE_THRESHOLD_US: u64 = 12 * 3_600_000_000;
/// `--evict-after-oom-threshold`: 10 min.
pub const EVICT_AFTER_OOM_US: u64 = 600_000_000;
/// `--pod-update-threshold`.
pub const MIN_CHANGE_PRIORITY: f64 = 0.1;
/// `--min-replicas`.
pub const MIN_REPLICAS: u32 = 2;
/// `--eviction-tolerance`.
pub const EVICTION_TOLERANCE: f64 = 0.5;

/// `resourceAmountFromFloat`: truncated toward zero, capped.
fn amount(x: f64) -> f64 {
    if x > MAX_RESOURCE_AMOUNT {
        MAX_RESOURCE_AMOUNT
    } else if x < 0.0 || x.is_nan() {
        0.0
    } else {
        x.trunc()
    }
}

/// Exponential bucket layout (`exponentialHistogramOptions`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketOptions {
    pub num_buckets: usize,
    pub first_bucket_size: f64,
    pub ratio: f64,
}

impl BucketOptions {
    pub fn exponential(max_value: f64, first_bucket_size: f64, ratio: f64) -> BucketOptions {
        let n = (((max_value * (ratio - 1.0) / first_bucket_size) + 1.0).ln() / ratio.ln()).ceil()
            as usize
            + 1;
        BucketOptions {
            num_buckets: n,
            first_bucket_size,
            ratio,
        }
    }
    /// CPU, cores: 0.01 .. 1000, 5 % growth.
    pub fn cpu() -> BucketOptions {
        Self::exponential(1000.0, 0.01, 1.05)
    }
    /// Memory, bytes: 10^7 .. 10^12, 5 % growth.
    pub fn memory() -> BucketOptions {
        Self::exponential(1e12, 1e7, 1.05)
    }
    pub fn find_bucket(&self, value: f64) -> usize {
        if value < self.first_bucket_size {
            return 0;
        }
        let b = ((value * (self.ratio - 1.0) / self.first_bucket_size + 1.0).ln() / self.ratio.ln())
            as usize;
        b.min(self.num_buckets - 1)
    }
    pub fn bucket_start(&self, bucket: usize) -> f64 {
        if bucket == 0 {
            return 0.0;
        }
        // ratio^bucket by repeated multiplication: `powi` is folded at
        // compile time with a different rounding than at run time, which
        // would make the same bucket's start differ by an ulp between call
        // sites (and outputs differ between builds).
        let mut r = 1.0;
        for _ in 0..bucket {
            r *= self.ratio;
        }
        self.first_bucket_size * (r - 1.0) / (self.ratio - 1.0)
    }
}

/// A histogram whose samples weigh 2^(t / half-life) (`decayingHistogram`).
#[derive(Clone, Debug)]
pub struct DecayingHistogram {
    pub options: BucketOptions,
    weights: Vec<f64>,
    total: f64,
    min_bucket: usize,
    max_bucket: usize,
    half_life_us: u64,
    reference_us: u64,
}

impl DecayingHistogram {
    pub fn new(options: BucketOptions, half_life_us: u64) -> Self {
        DecayingHistogram {
            weights: vec![0.0; options.num_buckets],
            total: 0.0,
            min_bucket: options.num_buckets - 1,
            max_bucket: 0,
            options,
            half_life_us,
            reference_us: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.weights[self.min_bucket] < EPSILON
    }

    pub fn total_weight(&self) -> f64 {
        self.total
    }

    fn decay_factor(&mut self, t_us: u64) -> f64 {
        // maxDecayExponent = 100 half-lives: move the reference forward.
        if t_us > self.reference_us + 100 * self.half_life_us {
            let hl = self.half_life_us as f64;
            let new_ref = ((t_us as f64 / hl).round() * hl) as u64;
            let exponent = ((self.reference_us as f64 - new_ref as f64) / hl + 0.5).floor();
            self.scale(2f64.powi(exponent as i32));
            self.reference_us = new_ref;
        }
        2f64.powf((t_us as f64 - self.reference_us as f64) / self.half_life_us as f64)
    }

    fn scale(&mut self, f: f64) {
        for b in self.min_bucket..=self.max_bucket.max(self.min_bucket) {
            if b < self.weights.len() {
                self.weights[b] *= f;
            }
        }
        self.total *= f;
        self.update_min_max();
    }

    pub fn add(&mut self, value: f64, weight: f64, t_us: u64) {
        let w = weight * self.decay_factor(t_us);
        let b = self.options.find_bucket(value);
        self.weights[b] += w;
        self.total += w;
        if b < self.min_bucket && self.weights[b] >= EPSILON {
            self.min_bucket = b;
        }
        if b > self.max_bucket && self.weights[b] >= EPSILON {
            self.max_bucket = b;
        }
    }

    pub fn subtract(&mut self, value: f64, weight: f64, t_us: u64) {
        let w = weight * self.decay_factor(t_us);
        let b = self.options.find_bucket(value);
        let sub = |v: f64| if v - w < EPSILON { 0.0 } else { v - w };
        self.total = sub(self.total);
        self.weights[b] = sub(self.weights[b]);
        self.update_min_max();
    }

    fn update_min_max(&mut self) {
        let last = self.options.num_buckets - 1;
        while self.weights[self.min_bucket] < EPSILON && self.min_bucket < last {
            self.min_bucket += 1;
        }
        while self.weights[self.max_bucket] < EPSILON && self.max_bucket > 0 {
            self.max_bucket -= 1;
        }
    }

    /// `histogram.Percentile`: the end of the bucket where the cumulative
    /// weight first reaches `p` × total (0 when empty).
    pub fn percentile(&self, p: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let threshold = p * self.total;
        let mut sum = 0.0;
        let mut b = self.min_bucket;
        while b < self.max_bucket {
            sum += self.weights[b];
            if sum >= threshold {
                break;
            }
            b += 1;
        }
        if b < self.options.num_buckets - 1 {
            self.options.bucket_start(b + 1)
        } else {
            self.options.bucket_start(b)
        }
    }
}

/// One container's memory-peak window (`ContainerState`'s memory part).
#[derive(Clone, Copy, Debug, Default)]
pub struct PeakWindow {
    window_end_us: Option<u64>,
    memory_peak: f64,
    oom_peak: f64,
    last_sample_us: u64,
}

impl PeakWindow {
    pub fn memory_peak(&self) -> f64 {
        self.memory_peak
    }
}

/// What the recommender has aggregated for the container (all pods).
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub cpu: DecayingHistogram,
    pub memory_peaks: DecayingHistogram,
    pub first_sample_us: Option<u64>,
    pub last_sample_us: u64,
    pub total_samples: u64,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate {
            cpu: DecayingHistogram::new(BucketOptions::cpu(), DAY_US),
            memory_peaks: DecayingHistogram::new(BucketOptions::memory(), DAY_US),
            first_sample_us: None,
            last_sample_us: 0,
            total_samples: 0,
        }
    }
}

impl Aggregate {
    /// A container's CPU usage (cores) measured at `t_us`.
    pub fn add_cpu(&mut self, cores: f64, t_us: u64) {
        self.cpu.add(cores, MIN_SAMPLE_WEIGHT, t_us);
        self.last_sample_us = self.last_sample_us.max(t_us);
        if self.first_sample_us.is_none_or(|f| t_us < f) {
            self.first_sample_us = Some(t_us);
        }
        self.total_samples += 1;
    }

    /// A container's memory usage (bytes) at `t_us` (`addMemorySample`).
    pub fn add_memory(&mut self, w: &mut PeakWindow, bytes: f64, t_us: u64, oom: bool) {
        if !oom && t_us < w.last_sample_us {
            return;
        }
        w.last_sample_us = t_us;
        let end = *w.window_end_us.get_or_insert(t_us);
        let mut add_new = false;
        if t_us < end {
            let old = w.memory_peak.max(w.oom_peak);
            if old != 0.0 && bytes > old {
                self.memory_peaks.subtract(old, 1.0, end);
                add_new = true;
            }
        } else {
            let shift = (t_us - end) / DAY_US * DAY_US + DAY_US;
            w.window_end_us = Some(end + shift);
            w.memory_peak = 0.0;
            w.oom_peak = 0.0;
            add_new = true;
        }
        if add_new {
            let end = w.window_end_us.expect("set above");
            self.memory_peaks.add(bytes, 1.0, end);
            if oom {
                w.oom_peak = bytes;
            } else {
                w.memory_peak = bytes;
            }
        }
    }

    /// An OOM kill of a container whose memory request was `request_bytes`
    /// (`RecordOOM`: max(request, peak) + max(100 MiB, 20 %)).
    pub fn record_oom(&mut self, w: &mut PeakWindow, request_bytes: f64, t_us: u64) {
        if let Some(end) = w.window_end_us
            && t_us + DAY_US < end
        {
            return; // too old (cannot happen in a forward simulation)
        }
        let used = amount(request_bytes).max(w.memory_peak);
        let needed = amount(used + 100.0 * MIB).max(amount(used * 1.2));
        self.add_memory(w, needed, t_us, true);
    }

    /// `getConfidence`: min(history span in days, samples / 1440).
    pub fn confidence(&self) -> f64 {
        let span = self
            .first_sample_us
            .map_or(0.0, |f| (self.last_sample_us - f) as f64 / DAY_US as f64);
        let samples = self.total_samples as f64 / (DAY_US as f64 / INTERVAL_US as f64);
        span.min(samples)
    }
}

/// Amounts of the two resources: millicores and bytes (as `ResourceAmount`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Amounts {
    pub cpu_milli: f64,
    pub memory_bytes: f64,
}

impl Amounts {
    pub fn cores(&self) -> f64 {
        self.cpu_milli / 1000.0
    }
    pub fn mb(&self) -> f64 {
        self.memory_bytes / MIB
    }
}

/// A recommendation: target and bounds.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Recommendation {
    pub target: Amounts,
    pub lower: Amounts,
    pub upper: Amounts,
}

/// `--pod-recommendation-min-cpu-millicores` and `-min-memory-mb`.
pub const POD_MIN_CPU_MILLI: f64 = 25.0;
pub const POD_MIN_MEMORY_MB: f64 = 250.0;

fn estimate(h: &DecayingHistogram, p: f64, to_amount: impl Fn(f64) -> f64) -> f64 {
    let base = to_amount(h.percentile(p));
    // WithMargin: base + ScaleResource(base, 0.15).
    base + amount(base * 0.15)
}

/// The recommender's estimate from `agg` (`GetRecommendedPodResources` for a
/// one-container pod), before capping.
pub fn recommend(agg: &Aggregate) -> Recommendation {
    let c = agg.confidence();
    let cpu = |p: f64| estimate(&agg.cpu, p, |cores| amount(cores * 1000.0));
    let mem = |p: f64| estimate(&agg.memory_peaks, p, amount);
    let min_cpu = amount(POD_MIN_CPU_MILLI * 0.001 * 1000.0);
    let min_mem = amount(POD_MIN_MEMORY_MB * MIB);
    let lower_f = (1.0 + 0.001 / c).powf(-2.0);
    let upper_f = 1.0 + 1.0 / c;
    Recommendation {
        target: Amounts {
            cpu_milli: cpu(0.9).max(min_cpu),
            memory_bytes: mem(0.9).max(min_mem),
        },
        lower: Amounts {
            cpu_milli: amount(cpu(0.5) * lower_f).max(min_cpu),
            memory_bytes: amount(mem(0.5) * lower_f).max(min_mem),
        },
        upper: Amounts {
            cpu_milli: amount(cpu(0.95) * upper_f).max(min_cpu),
            memory_bytes: amount(mem(0.95) * upper_f).max(min_mem),
        },
    }
}

/// `updateMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    Off,
    Initial,
    Recreate,
    /// Deprecated upstream as an alias of Recreate; the seed uses it.
    Auto,
    InPlaceOrRecreate,
}

impl UpdateMode {
    pub fn parse(s: &str) -> Option<UpdateMode> {
        Some(match s {
            "Off" => UpdateMode::Off,
            "Initial" => UpdateMode::Initial,
            "Recreate" => UpdateMode::Recreate,
            "Auto" => UpdateMode::Auto,
            "InPlaceOrRecreate" => UpdateMode::InPlaceOrRecreate,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            UpdateMode::Off => "Off",
            UpdateMode::Initial => "Initial",
            UpdateMode::Recreate => "Recreate",
            UpdateMode::Auto => "Auto",
            UpdateMode::InPlaceOrRecreate => "InPlaceOrRecreate",
        }
    }
    /// The admission controller sets new pods' requests.
    pub fn admits(self) -> bool {
        self != UpdateMode::Off
    }
    /// The updater acts on running pods.
    pub fn updates(self) -> bool {
        matches!(
            self,
            UpdateMode::Recreate | UpdateMode::Auto | UpdateMode::InPlaceOrRecreate
        )
    }
}

/// A VPA's spec, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct VpaSpec {
    pub name: String,
    pub update_mode: UpdateMode,
    pub cpu: bool,
    pub memory: bool,
    /// `RequestsOnly` (false: `RequestsAndLimits`).
    pub requests_only: bool,
    pub min_allowed: Amounts,
    /// `f64::INFINITY` where unset.
    pub max_allowed: Amounts,
}

impl VpaSpec {
    /// `applyVPAPolicy` (and, with RequestsOnly, `capRecommendationToContainerLimit`)
    /// on each of target, lower and upper; resources the VPA does not control
    /// are left as the pod's own (`current`).
    pub fn cap(&self, r: Recommendation, limits: Amounts, current: Amounts) -> Recommendation {
        let one = |a: Amounts| {
            let mut cpu = a.cpu_milli.max(self.min_allowed.cpu_milli);
            cpu = cpu.min(self.max_allowed.cpu_milli);
            let mut mem = a.memory_bytes.max(self.min_allowed.memory_bytes);
            mem = mem.min(self.max_allowed.memory_bytes);
            if self.requests_only {
                cpu = cpu.min(limits.cpu_milli);
                mem = mem.min(limits.memory_bytes);
            }
            Amounts {
                cpu_milli: if self.cpu { cpu } else { current.cpu_milli },
                memory_bytes: if self.memory {
                    mem
                } else {
                    current.memory_bytes
                },
            }
        };
        Recommendation {
            target: one(r.target),
            lower: one(r.lower),
            upper: one(r.upper),
        }
    }
}

/// `defaultPriorityProcessor.GetUpdatePriority` for a one-container pod.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Priority {
    pub outside_range: bool,
    pub scale_up: bool,
    pub resource_diff: f64,
}

/// The priority of a pod whose requests are `req` against a capped
/// recommendation; only controlled resources count.
pub fn priority(spec: &VpaSpec, req: Amounts, rec: &Recommendation) -> Priority {
    let mut p = Priority {
        outside_range: false,
        scale_up: false,
        resource_diff: 0.0,
    };
    // MilliValue of each quantity: millicores × 1, bytes × 1000.
    let mut one = |req: f64, target: f64, lower: f64, upper: f64| {
        if target > req {
            p.scale_up = true;
        }
        if req < lower || req > upper {
            p.outside_range = true;
        }
        let total = req.max(1.0);
        p.resource_diff += (total - target).abs() / total;
    };
    if spec.cpu {
        one(
            req.cpu_milli,
            rec.target.cpu_milli,
            rec.lower.cpu_milli,
            rec.upper.cpu_milli,
        );
    }
    if spec.memory {
        one(
            req.memory_bytes * 1000.0,
            rec.target.memory_bytes * 1000.0,
            rec.lower.memory_bytes * 1000.0,
            rec.upper.memory_bytes * 1000.0,
        );
    }
    p
}

/// `UpdatePriorityCalculator.AddPod`: whether the updater wants to update a
/// pod that started `age_us` ago (`quick_oom`: OOM-killed within 10 minutes
/// of its start).
pub fn wants_update(p: &Priority, age_us: u64, quick_oom: bool) -> bool {
    if !p.outside_range && !quick_oom {
        if age_us < POD_LIFETIME_UPDATE_THRESHOLD_US {
            return false;
        }
        if p.resource_diff < MIN_CHANGE_PRIORITY {
            return false;
        }
    }
    !(quick_oom && p.resource_diff == 0.0)
}

/// Order of updates: scale-ups first, then larger differences
/// (`byPriorityDesc`); ties keep the given order (Go's sort.Sort is not
/// stable; pods are listed oldest first here).
pub fn more_urgent(a: &Priority, b: &Priority) -> std::cmp::Ordering {
    b.scale_up
        .cmp(&a.scale_up)
        .then(b.resource_diff.total_cmp(&a.resource_diff))
}

/// `singleGroupStats.isPodDisruptable` with nothing in place: may one more
/// pod be evicted, `evicted` having been this loop?
pub fn can_evict(configured: u32, running: u32, evicted: u32) -> bool {
    let tolerance = (f64::from(configured) * EVICTION_TOLERANCE) as i64;
    let should_be_alive = i64::from(configured) - tolerance;
    let alive = i64::from(running) - i64::from(evicted);
    alive > should_be_alive || (configured == running && tolerance == 0 && evicted == 0)
}

/// One usage sample (defined with the run's results: `vpa_samples.csv`).
pub use crate::metrics::VpaSample as Sample;

/// Feeds samples, in order, to a fresh aggregate (memory peaks per pod).
pub fn aggregate(samples: &[Sample]) -> Aggregate {
    let mut a = Aggregate::default();
    let mut windows: std::collections::HashMap<&str, PeakWindow> = Default::default();
    for s in samples {
        let w = windows.entry(s.pod.as_str()).or_default();
        if let Some(c) = s.cpu_cores {
            a.add_cpu(c, s.t_us);
        }
        if let Some(m) = s.memory_mb {
            a.add_memory(w, m * MIB, s.t_us, false);
        }
        if let Some(r) = s.oom_request_mb {
            a.record_oom(w, r * MIB, s.t_us);
        }
    }
    a
}

/// The recommendation from `agg` under `spec`, with every step of the
/// arithmetic, as JSON (`meshsim vpa explain`); `pod` is a pod's requests
/// (millicores, bytes) to judge as the updater would, with its age.
pub fn explain(agg: &Aggregate, spec: &VpaSpec, pod: Option<(Amounts, u64)>) -> serde_json::Value {
    use serde_json::json;
    let c = agg.confidence();
    let cpu_o = agg.cpu.options;
    let mem_o = agg.memory_peaks.options;
    let pct = |h: &DecayingHistogram, o: BucketOptions, p: f64, unit: f64| {
        let v = h.percentile(p);
        json!({
            "percentile": p,
            "bucket_end": v / unit,
            "bucket": if v > 0.0 { o.find_bucket(v * (1.0 - 1e-12)) } else { 0 },
        })
    };
    let step = |base: f64, factor: Option<f64>, floor: f64| {
        let with_margin = base + amount(base * 0.15);
        let confident = factor.map_or(with_margin, |f| amount(with_margin * f));
        json!({
            "percentile_amount": base,
            "with_safety_margin": with_margin,
            "confidence_factor": factor,
            "after_confidence": confident,
            "floor": floor,
            "estimate": confident.max(floor),
        })
    };
    let min_cpu = POD_MIN_CPU_MILLI;
    let min_mem = amount(POD_MIN_MEMORY_MB * MIB);
    let lower_f = (1.0 + 0.001 / c).powf(-2.0);
    let upper_f = 1.0 + 1.0 / c;
    let cpu_at = |p: f64| amount(agg.cpu.percentile(p) * 1000.0);
    let mem_at = |p: f64| amount(agg.memory_peaks.percentile(p));
    let rec = recommend(agg);
    let none = Amounts {
        cpu_milli: f64::INFINITY,
        memory_bytes: f64::INFINITY,
    };
    let capped = spec.cap(rec, none, rec.target);
    let am = |a: Amounts| {
        json!({
            "cpu_milli": if a.cpu_milli.is_finite() { json!(a.cpu_milli) } else { json!(null) },
            "memory_bytes": if a.memory_bytes.is_finite() { json!(a.memory_bytes) } else { json!(null) },
            "memory_mib": if a.memory_bytes.is_finite() { json!(a.memory_bytes / MIB) } else { json!(null) },
        })
    };
    let controlled: Vec<&str> = [spec.cpu.then_some("cpu"), spec.memory.then_some("memory")]
        .into_iter()
        .flatten()
        .collect();
    let rr = |r: Recommendation| json!({"target": am(r.target), "lower_bound": am(r.lower), "upper_bound": am(r.upper)});
    let mut out = json!({
        "vpa": spec.name,
        "upstream": "kubernetes/autoscaler vertical-pod-autoscaler-1.7.1 (pkg/recommender/logic, pkg/recommender/util, pkg/utils/vpa/capping.go, pkg/updater/priority)",
        "history": {
            "cpu_samples": agg.total_samples,
            "cpu_total_weight": agg.cpu.total_weight(),
            "memory_peaks_total_weight": agg.memory_peaks.total_weight(),
            "first_sample_s": agg.first_sample_us.map(|t| t as f64 / 1e6),
            "last_sample_s": agg.last_sample_us as f64 / 1e6,
        },
        "confidence_days": c,
        "cpu": {
            "histogram": [pct(&agg.cpu, cpu_o, 0.5, 1.0), pct(&agg.cpu, cpu_o, 0.9, 1.0), pct(&agg.cpu, cpu_o, 0.95, 1.0)],
            "target_milli": step(cpu_at(0.9), None, min_cpu),
            "lower_bound_milli": step(cpu_at(0.5), Some(lower_f), min_cpu),
            "upper_bound_milli": step(cpu_at(0.95), Some(upper_f), min_cpu),
        },
        "memory": {
            "histogram_mib": [pct(&agg.memory_peaks, mem_o, 0.5, MIB), pct(&agg.memory_peaks, mem_o, 0.9, MIB), pct(&agg.memory_peaks, mem_o, 0.95, MIB)],
            "target_bytes": step(mem_at(0.9), None, min_mem),
            "lower_bound_bytes": step(mem_at(0.5), Some(lower_f), min_mem),
            "upper_bound_bytes": step(mem_at(0.95), Some(upper_f), min_mem),
        },
        "uncapped": rr(rec),
        "policy": {
            "update_mode": spec.update_mode.name(),
            "controlled_resources": controlled,
            "min_allowed": am(spec.min_allowed),
            "max_allowed": am(spec.max_allowed),
        },
        "recommendation": rr(capped),
    });
    if let Some((req, age_us)) = pod {
        let capped = spec.cap(rec, none, req);
        let p = priority(spec, req, &capped);
        let update = wants_update(&p, age_us, false);
        out["pod"] = json!({
            "requests": am(req),
            "age_s": age_us as f64 / 1e6,
            "outside_recommended_range": p.outside_range,
            "scale_up": p.scale_up,
            "resource_diff": p.resource_diff,
            "updater": if !spec.update_mode.updates() {
                "keeps it: the update mode does not act on running pods"
            } else if update && p.outside_range {
                "updates it: a request lies outside [lower bound, upper bound]"
            } else if update {
                "updates it: older than 12 h and its requests differ from the target by at least 10 %"
            } else if age_us < POD_LIFETIME_UPDATE_THRESHOLD_US {
                "keeps it: within the range and younger than 12 h"
            } else {
                "keeps it: within the range and within 10 % of the target"
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_layout_matches_upstream() {
        // numBuckets = ceil(log_1.05(1000 × 0.05 / 0.01 + 1)) + 1 = ceil(174.57) + 1.
        assert_eq!(BucketOptions::cpu().num_buckets, 176);
        assert_eq!(BucketOptions::memory().num_buckets, 176);
        let o = BucketOptions::cpu();
        // Bucket 1 starts at 0.01, bucket 2 at 0.01 + 0.0105 = 0.0205.
        assert!((o.bucket_start(1) - 0.01).abs() < 1e-12);
        assert!((o.bucket_start(2) - 0.0205).abs() < 1e-12);
        assert_eq!(o.find_bucket(0.005), 0);
        assert_eq!(o.find_bucket(0.015), 1);
        assert_eq!(o.find_bucket(1e9), 175);
    }

    #[test]
    fn percentile_is_the_end_of_the_bucket() {
        // histogram_test.go TestPercentiles-like: equal weights at 1, 2, 3 cores.
        let mut h = DecayingHistogram::new(BucketOptions::cpu(), DAY_US);
        for v in [1.0, 2.0, 3.0] {
            h.add(v, 1.0, 0);
        }
        let o = BucketOptions::cpu();
        let end = |v: f64| o.bucket_start(o.find_bucket(v) + 1);
        assert_eq!(h.percentile(0.2), end(1.0));
        assert_eq!(h.percentile(0.5), end(2.0));
        assert_eq!(h.percentile(0.9), end(3.0));
        assert_eq!(h.percentile(1.0), end(3.0));
    }

    #[test]
    fn decay_halves_weight_per_day() {
        let mut h = DecayingHistogram::new(BucketOptions::cpu(), DAY_US);
        h.add(1.0, 1.0, 0);
        h.add(4.0, 1.0, DAY_US);
        // The later sample weighs 2, the earlier 1: p50 lies in the later's bucket.
        assert!((h.total_weight() - 3.0).abs() < 1e-12);
        let o = BucketOptions::cpu();
        assert_eq!(h.percentile(0.5), o.bucket_start(o.find_bucket(4.0) + 1));
        assert_eq!(h.percentile(0.3), o.bucket_start(o.find_bucket(1.0) + 1));
    }

    #[test]
    fn a_higher_peak_in_the_same_interval_replaces_the_sample() {
        let mut a = Aggregate::default();
        let mut w = PeakWindow::default();
        a.add_memory(&mut w, 300.0 * MIB, 0, false);
        a.add_memory(&mut w, 200.0 * MIB, 60_000_000, false);
        a.add_memory(&mut w, 400.0 * MIB, 120_000_000, false);
        // One sample (weight 2^(1 day/1 day) = 2 at the window's end), the 400 MiB peak.
        assert!((a.memory_peaks.total_weight() - 2.0).abs() < 1e-9);
        let o = BucketOptions::memory();
        assert_eq!(
            a.memory_peaks.percentile(0.5),
            o.bucket_start(o.find_bucket(400.0 * MIB) + 1)
        );
    }

    #[test]
    fn confidence_is_the_shorter_of_span_and_samples() {
        let mut a = Aggregate::default();
        // 3 pods sampled every minute for 2 h: span 2/24 day, samples 360/1440.
        for m in 0..120u64 {
            for _ in 0..3 {
                a.add_cpu(0.2, m * INTERVAL_US);
            }
        }
        assert!((a.confidence() - 119.0 / 1440.0).abs() < 1e-12);
    }

    #[test]
    fn can_evict_follows_the_tolerance() {
        // 4 replicas: tolerance 2, at least 2 must stay alive.
        assert!(can_evict(4, 4, 0));
        assert!(can_evict(4, 4, 1));
        assert!(!can_evict(4, 4, 2));
        // 1 replica: tolerance 0, one eviction when all run.
        assert!(can_evict(1, 1, 0));
        assert!(!can_evict(1, 1, 1));
    }
}
