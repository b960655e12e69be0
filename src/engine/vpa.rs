//! The VerticalPodAutoscaler in the engine: every minute the recommender
//! samples each ready pod's CPU (its mean over the minute, as metrics-server
//! reports a rate) and memory (its working set now), the admission
//! controller's requests for new pods follow the capped target, and the
//! updater evicts (or, `InPlaceOrRecreate`, resizes) pods whose requests it
//! wants changed. See `model::vpa` for the rules and their upstream files.

use super::*;
use crate::model::cluster::Res;
use crate::model::resources::PodResources;
use crate::model::vpa::{
    Aggregate, Amounts, INTERVAL_US, MIB, Recommendation, Sample, UpdateMode, VpaSpec, can_evict,
    more_urgent, priority, recommend, wants_update,
};

/// The VPA's state in a run.
pub(crate) struct VpaState {
    pub spec: VpaSpec,
    pub agg: Aggregate,
    pub next_us: u64,
    /// The latest recommendation (uncapped) and the capped one new pods get.
    pub rec: Option<Recommendation>,
    pub capped: Option<Recommendation>,
    pub evictions: u64,
    pub resizes: u64,
    /// One row per recommender loop.
    pub rows: Vec<crate::metrics::VpaRow>,
    /// Every sample the recommender took, in order (`vpa_samples.csv`).
    pub samples: Vec<Sample>,
}

impl VpaState {
    pub fn new(spec: VpaSpec) -> VpaState {
        VpaState {
            spec,
            agg: Aggregate::default(),
            next_us: INTERVAL_US,
            rec: None,
            capped: None,
            evictions: 0,
            resizes: 0,
            rows: Vec::new(),
            samples: Vec::new(),
        }
    }

    pub fn record_oom(
        &mut self,
        w: &mut crate::model::vpa::PeakWindow,
        id: u32,
        request_mb: f64,
        now: u64,
    ) {
        self.agg.record_oom(w, request_mb * MIB, now);
        self.samples.push(Sample {
            t_us: now,
            pod: id.to_string(),
            cpu_cores: None,
            memory_mb: None,
            oom_request_mb: Some(request_mb),
        });
    }
}

/// A pod's requests as the node layer counts them.
pub(super) fn node_res(r: &PodResources) -> Res {
    Res {
        cpu_milli: (r.cpu_request * 1000.0).round() as u64,
        mem_mib: r.memory_request_mb.round() as u64,
        pods: 1,
    }
}

fn amounts(r: &PodResources) -> Amounts {
    Amounts {
        cpu_milli: (r.cpu_request * 1000.0).round(),
        memory_bytes: (r.memory_request_mb * MIB).round(),
    }
}

fn limit_amounts(r: &PodResources) -> Amounts {
    Amounts {
        cpu_milli: r.cpu_limit.map_or(f64::INFINITY, |l| (l * 1000.0).round()),
        memory_bytes: r
            .memory_limit_mb
            .map_or(f64::INFINITY, |l| (l * MIB).round()),
    }
}

/// The requests (and, with RequestsAndLimits, limits kept in proportion to
/// the template's) of a pod given target `t` (`limit_proportion_maintaining.go`).
fn admitted(template: &PodResources, spec: &VpaSpec, t: Amounts) -> PodResources {
    let mut r = *template;
    if spec.cpu {
        r.cpu_request = t.cpu_milli / 1000.0;
        if !spec.requests_only {
            r.cpu_limit = template
                .cpu_limit
                .map(|l| l * r.cpu_request / template.cpu_request);
        }
    }
    if spec.memory {
        r.memory_request_mb = t.memory_bytes / MIB;
        if !spec.requests_only {
            r.memory_limit_mb = template
                .memory_limit_mb
                .map(|l| l * r.memory_request_mb / template.memory_request_mb);
        }
    }
    r
}

fn milli(a: f64) -> String {
    format!("{:.0}m", a)
}
fn mib(b: f64) -> String {
    format!("{:.0}Mi", b / MIB)
}

impl Engine {
    /// Next time the VPA acts.
    pub(super) fn vpa_next(&self) -> u64 {
        self.usage
            .as_ref()
            .and_then(|u| u.vpa.as_ref())
            .map_or(u64::MAX, |v| v.next_us)
    }

    /// The recommender's and the updater's loop.
    pub(super) fn run_vpa(&mut self) {
        let now = self.now;
        let Some(u) = &mut self.usage else { return };
        let Some(mut v) = u.vpa.take() else { return };
        v.next_us = now + INTERVAL_US;
        // Recommender: one sample per ready pod.
        let mut sampled = 0u32;
        for i in 0..u.ready.len() {
            let id = u.ready[i] as usize;
            u.touch(id, now);
            let plan = &u.plan;
            let p = &mut u.pods[id];
            let mut cpu = None;
            if now > p.t_sampled {
                let cores = (p.cpu_int - p.cpu_int_sampled) / (now - p.t_sampled) as f64;
                v.agg.add_cpu(cores, now);
                p.cpu_int_sampled = p.cpu_int;
                p.t_sampled = now;
                sampled += 1;
                cpu = Some(cores);
            }
            let mem_mb = plan.memory_mb(p.busy);
            v.agg.add_memory(&mut p.peak, mem_mb * MIB, now, false);
            v.samples.push(Sample {
                t_us: now,
                pod: id.to_string(),
                cpu_cores: cpu,
                memory_mb: Some(mem_mb),
                oom_request_mb: None,
            });
        }
        let template = u.plan.pod;
        if !v.agg.cpu.is_empty() {
            let rec = recommend(&v.agg);
            let capped = v
                .spec
                .cap(rec, limit_amounts(&template), amounts(&template));
            v.rec = Some(rec);
            let changed = v.capped.map(|c| c.target) != Some(capped.target);
            v.capped = Some(capped);
            v.rows.push(crate::metrics::VpaRow {
                t_us: now,
                pods_sampled: sampled,
                target_cpu_milli: capped.target.cpu_milli,
                lower_cpu_milli: capped.lower.cpu_milli,
                upper_cpu_milli: capped.upper.cpu_milli,
                target_memory_mb: capped.target.memory_bytes / MIB,
                lower_memory_mb: capped.lower.memory_bytes / MIB,
                upper_memory_mb: capped.upper.memory_bytes / MIB,
                uncapped_target_cpu_milli: rec.target.cpu_milli,
                uncapped_target_memory_mb: rec.target.memory_bytes / MIB,
                confidence_days: v.agg.confidence(),
            });
            if v.spec.update_mode.admits() {
                let new = admitted(&template, &v.spec, capped.target);
                if new != u.admit && changed {
                    u.admit = new;
                    if let Some(ns) = &mut self.nodes {
                        ns.plan.pod = node_res(&new);
                    }
                    let t = capped.target;
                    let reason = format!(
                        "recommendation: new pods request cpu {} memory {} (target; bounds cpu {}..{}, memory {}..{}; confidence {:.3} days){}",
                        milli(t.cpu_milli),
                        mib(t.memory_bytes),
                        milli(capped.lower.cpu_milli),
                        milli(capped.upper.cpu_milli),
                        mib(capped.lower.memory_bytes),
                        mib(capped.upper.memory_bytes),
                        v.agg.confidence(),
                        if rec.target != capped.target {
                            format!(
                                "; uncapped cpu {} memory {}",
                                milli(rec.target.cpu_milli),
                                mib(rec.target.memory_bytes)
                            )
                        } else {
                            String::new()
                        }
                    );
                    self.vpa_event(reason);
                }
            }
            if v.spec.update_mode.updates() && !self.down {
                self.vpa_update(&v, capped);
            }
        }
        let u = self.usage.as_mut().expect("usage model");
        v.evictions += u.pending_evictions;
        v.resizes += u.pending_resizes;
        u.pending_evictions = 0;
        u.pending_resizes = 0;
        u.vpa = Some(v);
    }

    /// The updater's loop: pods to update, most urgent first, as the
    /// eviction restrictions allow.
    fn vpa_update(&mut self, v: &VpaState, capped: Recommendation) {
        let now = self.now;
        let live = self
            .replicas
            .iter()
            .filter(|r| {
                matches!(
                    r.state,
                    ReplicaState::Pending | ReplicaState::Ready | ReplicaState::Unschedulable
                )
            })
            .count() as u32;
        if live < crate::model::vpa::MIN_REPLICAS {
            return;
        }
        let u = self.usage.as_ref().expect("usage model");
        let mut want: Vec<(u32, crate::model::vpa::Priority)> = Vec::new();
        for &id in &u.ready {
            let p = &u.pods[id as usize];
            let rec = v.spec.cap(
                v.rec.expect("recommended"),
                limit_amounts(&p.res),
                amounts(&p.res),
            );
            let pr = priority(&v.spec, amounts(&p.res), &rec);
            let age = now - self.replicas[id as usize].created_us;
            if wants_update(&pr, age, p.quick_oom) {
                want.push((id, pr));
            }
        }
        if want.is_empty() {
            return;
        }
        want.sort_by(|a, b| more_urgent(&a.1, &b.1).then(a.0.cmp(&b.0)));
        let configured = self.desired;
        let running = self.ready_replicas;
        let mut evicted = 0u32;
        let template = self.usage.as_ref().expect("usage").plan.pod;
        for (id, pr) in want {
            if !can_evict(configured, running, evicted) {
                break;
            }
            if self.replicas[id as usize].state != ReplicaState::Ready {
                continue;
            }
            let old = self.usage.as_ref().expect("usage").pods[id as usize].res;
            let new = admitted(&template, &v.spec, capped.target);
            let why = if pr.outside_range {
                "outside the recommended range"
            } else if self.usage.as_ref().expect("usage").pods[id as usize].quick_oom {
                "OOM-killed soon after starting"
            } else {
                "12 h old and ≥ 10 % from the target"
            };
            let what = format!(
                "cpu {} memory {} ({why}; range cpu {}..{}, memory {}..{})",
                milli(old.cpu_request * 1000.0),
                mib(old.memory_request_mb * MIB),
                milli(capped.lower.cpu_milli),
                milli(capped.upper.cpu_milli),
                mib(capped.lower.memory_bytes),
                mib(capped.upper.memory_bytes),
            );
            let in_place =
                v.spec.update_mode == UpdateMode::InPlaceOrRecreate && self.resize_fits(id, &new);
            if in_place {
                self.resize_pod(id, new);
                self.usage.as_mut().expect("usage").pending_resizes += 1;
                self.vpa_event(format!(
                    "resized replica {id} in place: {what} → cpu {} memory {}",
                    milli(new.cpu_request * 1000.0),
                    mib(new.memory_request_mb * MIB)
                ));
            } else {
                self.begin_drain(id as usize);
                let repl = self.create_replica(false);
                self.usage.as_mut().expect("usage").pending_evictions += 1;
                self.vpa_event(format!(
                    "evicted replica {id}: {what}; replacement {repl} requests cpu {} memory {} and starts cold",
                    milli(new.cpu_request * 1000.0),
                    mib(new.memory_request_mb * MIB)
                ));
            }
            evicted += 1;
        }
    }

    /// A `scaling.csv` row of the VPA's: it changes requests, never the
    /// replica count.
    fn vpa_event(&mut self, reason: String) {
        let d = self.desired;
        self.scaling.push(ScalingEvent {
            t_us: self.now,
            autoscaler: "vpa".into(),
            from: d,
            to: d,
            recommendation: d,
            reason,
        });
    }

    /// Whether pod `id`'s node has room for `new` requests in place of its own.
    fn resize_fits(&self, id: u32, new: &PodResources) -> bool {
        let Some(ns) = &self.nodes else { return true };
        let n = self.replicas[id as usize].node;
        if n == nodes::NO_NODE {
            return false;
        }
        let old = self.pod_size(id);
        let room = ns.nodes[n as usize].free().plus(old);
        room.holds(node_res(new))
    }

    /// Changes a ready pod's requests and limits in place.
    fn resize_pod(&mut self, id: u32, new: PodResources) {
        let now = self.now;
        let old_size = self.pod_size(id);
        let ps = self.usage.as_ref().expect("usage").pods[id as usize].ps;
        if ps {
            self.ps_advance(id);
        }
        let u = self.usage.as_mut().expect("usage");
        u.touch(id as usize, now);
        let p = &mut u.pods[id as usize];
        p.res = new;
        p.node_res = Some(node_res(&new));
        if ps {
            self.ps_reschedule(id);
        }
        if let Some(ns) = &mut self.nodes {
            let n = self.replicas[id as usize].node;
            if n != nodes::NO_NODE {
                ns.touch(now);
                let node = &mut ns.nodes[n as usize];
                node.used = node.used.minus(old_size).plus(node_res(&new));
                ns.used_sum = ns.used_sum.minus(old_size).plus(node_res(&new));
            }
        }
    }

    /// A pod's requests as the node layer counts them.
    pub(super) fn pod_size(&self, id: u32) -> Res {
        self.usage
            .as_ref()
            .and_then(|u| u.pods.get(id as usize))
            .and_then(|p| p.node_res)
            .or_else(|| self.nodes.as_ref().map(|n| n.plan.pod))
            .unwrap_or(Res::ZERO)
    }
}
