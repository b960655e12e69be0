//! Control: the autoscaler's decisions, scheduled actions, forced capacity
//! steps, region outages and spot interruption notices.

use super::*;

impl Engine {
    /// Time of the next outage boundary.
    pub(super) fn next_outage(&self) -> u64 {
        self.cfg
            .outages
            .get(self.outage_i)
            .map_or(u64::MAX, |o| if self.outage_end_next { o.1 } else { o.0 })
    }

    /// The region fails: every replica stops now, the work it held and the
    /// queue are dropped.
    pub(super) fn fail_region(&mut self) {
        self.down = true;
        self.desired_before_outage = self.desired;
        let lost = self.busy_all + self.queue.len() as u64;
        self.dropped += lost;
        self.minute.dropped += lost;
        self.queue.clear();
        for id in 0..self.replicas.len() {
            match self.replicas[id].state {
                ReplicaState::Gone => {}
                ReplicaState::Pending | ReplicaState::Unschedulable => self.stop_replica(id as u32),
                ReplicaState::Ready | ReplicaState::Draining => {
                    if self.replicas[id].state == ReplicaState::Ready {
                        self.fold_replicas();
                        self.ready_replicas -= 1;
                    }
                    if self.usage.is_some() {
                        self.usage_busy(id as u32, 0);
                        self.usage_unready(id as u32);
                        self.ps_clear(id as u32);
                    }
                    self.replicas[id].busy = 0;
                    self.stop_replica(id as u32);
                }
            }
        }
        // Completions still in the heap belong to gone replicas and are skipped.
        self.busy_all = 0;
        self.busy_ready = 0;
        self.free.clear();
        self.free_slots = 0;
        self.spot_live = 0;
        let from = self.desired;
        self.desired = 0;
        self.record_scaling(
            "region",
            from,
            0,
            0,
            format!("region failure: {from} replicas lost, {lost} requests in service or waiting dropped; traffic moves to the other regions"),
        );
    }

    /// The region is back: the replicas it had start again (cold).
    pub(super) fn recover_region(&mut self) {
        self.down = false;
        let n = self
            .desired_before_outage
            .clamp(self.control.min, self.control.max.max(self.control.min));
        self.scale_to(n, false);
        self.record_scaling(
            "region",
            0,
            n,
            n,
            format!("region recovered: {n} replicas starting"),
        );
    }

    /// A spot interruption notice, as the platform handles it
    /// ([`Interruption`](crate::model::spot::Interruption)): Fargate drains
    /// the task and starts a replacement now, ending it `stopTimeout` later;
    /// an EC2 instance serves on until EC2 interrupts it 2 minutes later,
    /// replaced now with Capacity Rebalancing and after the interruption
    /// without.
    pub(super) fn spot_notice(&mut self, id: u32) {
        use crate::model::spot::Interruption;
        let Some(r) = self.replicas.get(id as usize) else {
            return; // a scheduled notice for a replica that never existed
        };
        let state = r.state;
        let Some(model) = self.cfg.spot.as_ref().map(|s| s.interruption) else {
            return;
        };
        if !r.spot || !r.placed {
            return;
        }
        // An instance the group is already terminating after a rebalance
        // recommendation: EC2 interrupts it 2 minutes after the notice if
        // it is still finishing its work.
        if state == ReplicaState::Draining && r.replaced_by.is_some() {
            self.spot_interruptions += 1;
            self.spot_deadlines
                .push_back((self.now + model.deadline_us(), id));
            return;
        }
        if !matches!(state, ReplicaState::Pending | ReplicaState::Ready) {
            return;
        }
        self.spot_interruptions += 1;
        let deadline = self.now + model.deadline_us();
        let d = self.desired;
        let reason = match model {
            Interruption::Fargate { stop_timeout_us } => {
                if state == ReplicaState::Pending {
                    self.stop_replica(id);
                } else {
                    self.begin_drain(id as usize);
                    if self.replicas[id as usize].state == ReplicaState::Draining {
                        self.spot_deadlines.push_back((deadline, id));
                    }
                }
                self.create_replica(false);
                format!(
                    "spot interruption notice for replica {id}: SIGTERM, out of the load balancer, killed after the {} s stopTimeout; replacement started",
                    stop_timeout_us / US_PER_SEC
                )
            }
            Interruption::Ec2 {
                capacity_rebalance, ..
            } => {
                self.spot_deadlines.push_back((deadline, id));
                if let Some(new) = self.replicas[id as usize].replaced_by {
                    format!(
                        "spot interruption notice for replica {id}: 2-minute warning; replacement {new} was launched at the rebalance recommendation"
                    )
                } else if capacity_rebalance {
                    let new = self.launch_rebalance_replacement(id);
                    format!(
                        "spot interruption notice for replica {id}: 2-minute warning; capacity rebalancing launched replacement {new} (the rebalance recommendation came with the notice)"
                    )
                } else {
                    format!(
                        "spot interruption notice for replica {id}: 2-minute warning; it serves until interrupted, then the Auto Scaling group replaces it"
                    )
                }
            }
        };
        self.record_scaling("spot", d, d, d, reason);
    }

    /// The end of an interrupted spot replica: work still in service is
    /// dropped. An EC2 instance interrupted within its first hour is not
    /// charged; without Capacity Rebalancing its replacement starts now.
    pub(super) fn spot_deadline(&mut self, id: u32) {
        use crate::model::spot::Interruption;
        let model = self.cfg.spot.as_ref().map(|s| s.interruption);
        let state = self.replicas[id as usize].state;
        if state == ReplicaState::Gone || state == ReplicaState::Unschedulable {
            return;
        }
        let ec2 = matches!(model, Some(Interruption::Ec2 { .. }));
        if ec2
            && crate::billing::meter::interrupted_in_first_hour(
                self.replicas[id as usize].created_us,
                self.now,
            )
        {
            self.replicas[id as usize].unbilled = true;
        }
        match state {
            ReplicaState::Pending => self.stop_replica(id),
            ReplicaState::Ready => {
                self.begin_drain(id as usize);
                self.drop_in_service(id);
            }
            ReplicaState::Draining => self.drop_in_service(id),
            _ => {}
        }
        if matches!(
            model,
            Some(Interruption::Ec2 {
                capacity_rebalance: false,
                ..
            })
        ) && matches!(state, ReplicaState::Pending | ReplicaState::Ready)
        {
            let new = self.create_replica(false);
            let d = self.desired;
            self.record_scaling(
                "spot",
                d,
                d,
                d,
                format!(
                    "spot replica {id} interrupted{}; the Auto Scaling group launches replacement {new}",
                    if self.replicas[id as usize].unbilled {
                        " in its first hour (not charged)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }

    /// Capacity Rebalancing: a replacement for at-risk replica `id`, linked
    /// to it (the group terminates `id` once the replacement is ready).
    fn launch_rebalance_replacement(&mut self, id: u32) -> u32 {
        let new = self.create_replica(false);
        self.replicas[new as usize].replaces = Some(id);
        self.replicas[id as usize].replaced_by = Some(new);
        new
    }

    /// A rebalance recommendation ahead of the notice (`rebalance_lead_s`).
    pub(super) fn rebalance_recommendation(&mut self, id: u32) {
        let r = &self.replicas[id as usize];
        if !matches!(r.state, ReplicaState::Pending | ReplicaState::Ready)
            || r.replaced_by.is_some()
        {
            return;
        }
        let new = self.launch_rebalance_replacement(id);
        let d = self.desired;
        self.record_scaling(
            "spot",
            d,
            d,
            d,
            format!(
                "rebalance recommendation for replica {id}: capacity rebalancing launched replacement {new}"
            ),
        );
    }

    /// The rebalance recommendations of the scheduled notices.
    pub(super) fn schedule_rebalances(&mut self) {
        let notices: Vec<(u64, u32)> = self.spot_notices.iter().map(|r| r.0).collect();
        for (t, id) in notices {
            self.push_rebalance(t, id);
        }
    }

    /// With Capacity Rebalancing and a lead, the recommendation for the
    /// notice at `t` to replica `id` comes `rebalance_lead_us` earlier.
    pub(super) fn push_rebalance(&mut self, t: u64, id: u32) {
        use crate::model::spot::Interruption;
        if let Some(Interruption::Ec2 {
            capacity_rebalance: true,
            rebalance_lead_us,
        }) = self.cfg.spot.as_ref().map(|s| s.interruption)
            && rebalance_lead_us > 0
        {
            let at = t.saturating_sub(rebalance_lead_us).max(self.now);
            self.spot_rebalances.push(Reverse((at, id)));
        }
    }

    /// A draining replica ends now: the requests it still serves are dropped.
    pub(super) fn drop_in_service(&mut self, id: u32) {
        let r = &mut self.replicas[id as usize];
        if r.state != ReplicaState::Draining {
            return; // it had nothing in service and has already stopped
        }
        let busy = u64::from(r.busy);
        r.busy = 0;
        self.dropped += busy;
        self.minute.dropped += busy;
        self.busy_all -= busy;
        if self.usage.is_some() {
            self.usage_busy(id, 0);
            self.ps_clear(id);
        }
        self.stop_replica(id);
    }

    /// Changes the number of live (pending + ready) replicas to `n`.
    /// Scale-in removes pending replicas first, then the newest ready ones
    /// (Kubernetes' pod deletion order prefers unready and newer pods); a
    /// removed ready replica drains: no new work, in-flight work finishes.
    pub(super) fn scale_to(&mut self, n: u32, initial: bool) {
        let current = self.desired;
        self.desired = n;
        if n > current {
            for _ in current..n {
                self.create_replica(initial);
            }
        } else if self.nodes.is_some() {
            self.scale_in_pods(current - n);
        } else {
            let mut remove = current - n;
            for id in (0..self.replicas.len()).rev() {
                if remove == 0 {
                    break;
                }
                if self.replicas[id].state == ReplicaState::Pending {
                    self.stop_replica(id as u32);
                    remove -= 1;
                }
            }
            for id in (0..self.replicas.len()).rev() {
                if remove == 0 {
                    break;
                }
                if self.replicas[id].state == ReplicaState::Ready {
                    self.begin_drain(id);
                    remove -= 1;
                }
            }
        }
        self.replicas_max = self.replicas_max.max(self.live_replicas);
    }

    pub(super) fn record_scaling(
        &mut self,
        autoscaler: &str,
        from: u32,
        to: u32,
        recommendation: u32,
        reason: String,
    ) {
        self.scaling.push(ScalingEvent {
            t_us: self.now,
            autoscaler: autoscaler.to_string(),
            from,
            to,
            recommendation,
            reason,
        });
    }

    /// Runs every control action due now: forced steps, then scheduled
    /// actions, then the policy's periodic evaluation.
    pub(super) fn run_control(&mut self) {
        let now = self.now;
        if self.nodes.is_some() {
            // A per-minute metric (ECS managed scaling) describes the minute
            // that just ended: it is read before this instant's actions.
            self.node_metric_alarm();
        }
        while self.next_outage() <= now {
            if self.outage_end_next {
                self.outage_i += 1;
                self.outage_end_next = false;
                self.recover_region();
            } else {
                self.outage_end_next = true;
                self.fail_region();
            }
        }
        while let Some(&(t, id)) = self.spot_deadlines.front() {
            if t > now {
                break;
            }
            self.spot_deadlines.pop_front();
            self.spot_deadline(id);
        }
        while let Some(&Reverse((t, id))) = self.spot_rebalances.peek() {
            if t > now {
                break;
            }
            self.spot_rebalances.pop();
            self.rebalance_recommendation(id);
        }
        while let Some(&Reverse((t, id))) = self.spot_notices.peek() {
            if t > now {
                break;
            }
            self.spot_notices.pop();
            self.spot_notice(id);
        }
        while let Some(&(t, n)) = self.control.steps.get(self.control.step_i) {
            if t > now {
                break;
            }
            self.control.step_i += 1;
            if self.down {
                self.desired_before_outage = n;
                continue;
            }
            let from = self.desired;
            self.scale_to(n, now == 0);
            let reason = self.control.step_reason.clone();
            self.record_scaling("fixed", from, n, n, reason);
        }
        while let Some(a) = self.control.schedule.get(self.control.sched_i) {
            if a.t_us > now {
                break;
            }
            let a = a.clone();
            self.control.sched_i += 1;
            if let Some(m) = a.min {
                self.control.min = m;
            }
            if let Some(m) = a.max {
                self.control.max = m;
            }
            self.control.max = self.control.max.max(self.control.min);
            if self.down {
                if let Some(d) = a.desired {
                    self.desired_before_outage = d;
                }
                continue;
            }
            let (lo, hi) = (self.control.min, self.control.max);
            let from = self.desired;
            let to = a.desired.unwrap_or(from).clamp(lo, hi);
            if to != from {
                self.scale_to(to, false);
            }
            let fmt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
            let reason = format!(
                "scheduled action {}: min {} max {} desired {} (bounds now {lo}..{hi})",
                a.name,
                fmt(a.min),
                fmt(a.max),
                fmt(a.desired)
            );
            self.record_scaling("schedule", from, to, a.desired.unwrap_or(to), reason);
        }
        if self.down && self.control.next_sync <= now {
            // No capacity to scale while the region is down.
            if let Some(p) = &self.control.policy {
                self.control.next_sync = now + p.period_us();
            }
        }
        if self.control.next_sync <= now
            && let Some(mut policy) = self.control.policy.take()
        {
            self.control.next_sync = now + policy.period_us();
            let mut views = std::mem::take(&mut self.control.views);
            views.clear();
            views.extend(
                self.replicas
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.state != ReplicaState::Gone)
                    .map(|(id, r)| ReplicaView {
                        id: id as u32,
                        created_us: r.created_us,
                        ready_us: r.ready_us,
                        draining: r.state == ReplicaState::Draining,
                        requests: self.usage.as_ref().filter(|u| u.vpa.is_some()).map(|u| {
                            let p = &u.pods[id].res;
                            (
                                (p.cpu_request * 1000.0).round() as i64,
                                (p.memory_request_mb * 1_048_576.0).round() as i64,
                            )
                        }),
                    }),
            );
            let obs = Observation {
                now_us: now,
                desired: self.desired,
                min: self.control.min,
                max: self.control.max,
                metrics: &self.metrics,
                replicas: &views,
            };
            let explain = self
                .cfg
                .explain_at_us
                .is_some_and(|t| now <= t && t < now + policy.period_us());
            if explain {
                policy.explain_next();
            }
            let (min, max, from) = (self.control.min, self.control.max, self.desired);
            let decision = policy.decide(&obs);
            let mut decided = None;
            if let Some(d) = decision {
                let to = d.desired.clamp(min, max);
                let by = d.by.unwrap_or(policy.name());
                // Name the bound that changed the number.
                let reason = if to > d.desired {
                    format!("{}; {} held at min {min}", d.reason, d.desired)
                } else if to < d.desired {
                    format!("{}; {} capped at max {max}", d.reason, d.desired)
                } else {
                    d.reason
                };
                if explain {
                    decided = Some((by.to_string(), d.desired, reason.clone()));
                }
                if to != from {
                    self.scale_to(to, false);
                    self.record_scaling(by, from, to, d.recommendation, reason);
                }
            }
            if explain {
                self.explained = Some(crate::metrics::ExplainedSync {
                    t_us: now,
                    autoscaler: policy.name().to_string(),
                    desired_before: from,
                    min,
                    max,
                    decided,
                    desired_after: self.desired,
                    detail: policy.take_explanation(),
                });
            }
            self.control.policy = Some(policy);
            self.control.views = views;
        }
        if self.vpa_next() <= now {
            self.run_vpa();
        }
        if self.nodes.is_some() {
            self.run_nodes();
        }
        self.next_control = self
            .control
            .next_time()
            .min(self.spot_notices.peek().map_or(u64::MAX, |r| r.0.0))
            .min(self.spot_rebalances.peek().map_or(u64::MAX, |r| r.0.0))
            .min(self.spot_deadlines.front().map_or(u64::MAX, |d| d.0))
            .min(self.next_outage())
            .min(self.vpa_next())
            .min(self.nodes.as_ref().map_or(u64::MAX, |n| n.next_time()));
    }

    /// Scale-in on nodes, in the ReplicaSet controller's deletion order
    /// (pkg/controller/replicaset `getPodsToDelete`, ranked by
    /// `ActivePodsWithRanks`): unschedulable pods, then pending, newest first;
    /// then ready pods on the node with the most pods of the service, newest
    /// first. A removed ready pod drains.
    fn scale_in_pods(&mut self, mut remove: u32) {
        for state in [ReplicaState::Unschedulable, ReplicaState::Pending] {
            for id in (0..self.replicas.len()).rev() {
                if remove == 0 {
                    return;
                }
                if self.replicas[id].state == state {
                    self.stop_replica(id as u32);
                    remove -= 1;
                }
            }
        }
        while remove > 0 {
            let ns = self.nodes.as_ref().expect("node layer");
            let pick = (0..self.replicas.len())
                .filter(|&id| self.replicas[id].state == ReplicaState::Ready)
                .max_by_key(|&id| {
                    let n = self.replicas[id].node;
                    (ns.nodes[n as usize].service_pods, id)
                });
            let Some(id) = pick else { return };
            self.begin_drain(id);
            remove -= 1;
        }
    }
}
