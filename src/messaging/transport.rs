//! TCP vs UDP over one lossy link: the same application messages, the same loss, duplication,
//! reordering (latency jitter) — UDP hands the application whatever arrives; TCP turns it into an
//! ordered, complete byte stream at the price of retransmissions and head-of-line blocking.
//!
//! TCP here is one connection, one message per segment, sequence numbers counted in segments:
//! - the three-way handshake (SYN, SYN-ACK, ACK), the SYN retransmitted on its timer;
//! - cumulative ACKs; the receiver buffers out-of-order segments and delivers in order;
//! - the retransmission timer of RFC 6298: RTO 1 s before any sample (2.1), SRTT/RTTVAR with
//!   α = 1/8, β = 1/4, K = 4 (2.2, 2.3), rounded up to 1 s (2.4), capped at 60 s (2.5), no samples
//!   from retransmitted segments (Karn, 3), the timer managed as in 5.1–5.3, doubled on expiry
//!   (5.5), and reset to 3 s once data starts if the SYN had to be retransmitted (5.7);
//! - congestion control after RFC 5681: slow start from 1 segment, congestion avoidance (+1/cwnd
//!   per ACK), fast retransmit on the third duplicate ACK with ssthresh = flight/2 (AIMD), NewReno
//!   partial ACKs (RFC 6582) and, on a timeout, cwnd = 1 and go-back from the first unacked.
//!
//! Pure and seeded: the link draws loss, duplication and delay from `SimRng` children.

use crate::sim::{Ctx, EventId, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The link and the workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkParams {
    /// Probability that a packet is dropped.
    pub loss: f64,
    /// Probability that a delivered packet arrives twice.
    pub duplication: f64,
    /// One-way base latency, ms.
    pub latency_ms: u64,
    /// Extra delay drawn uniformly from [0, jitter_ms] per packet: packets overtake each other.
    pub jitter_ms: u64,
    /// Application messages sent …
    pub messages: u32,
    /// … one every this many ms.
    pub interval_ms: u64,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams { loss: 0.1, duplication: 0.02, latency_ms: 50, jitter_ms: 400, messages: 1_000, interval_ms: 300 }
    }
}

/// Why link parameters cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LinkError {
    #[error("{field} = {value} is out of range: expected {accepted}")]
    Range { field: &'static str, value: String, accepted: &'static str },
}

impl LinkParams {
    pub fn validate(&self) -> Result<(), LinkError> {
        let r = |field, value: String, accepted| Err(LinkError::Range { field, value, accepted });
        if !self.loss.is_finite() || !(0.0..=0.9).contains(&self.loss) {
            return r("loss", self.loss.to_string(), "a probability in [0, 0.9]");
        }
        if !self.duplication.is_finite() || !(0.0..=1.0).contains(&self.duplication) {
            return r("duplication", self.duplication.to_string(), "a probability in [0, 1]");
        }
        if self.latency_ms > 10_000 || self.jitter_ms > 10_000 {
            return r("latency_ms/jitter_ms", format!("{}/{}", self.latency_ms, self.jitter_ms), "0 to 10000 ms each");
        }
        if self.messages == 0 || self.messages > 100_000 {
            return r("messages", self.messages.to_string(), "1 to 100000");
        }
        if self.interval_ms > 60_000 {
            return r("interval_ms", self.interval_ms.to_string(), "0 to 60000");
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UdpReport {
    pub sent: u64,
    /// Distinct messages that arrived.
    pub delivered: u64,
    pub lost: u64,
    /// Extra copies that arrived.
    pub duplicated: u64,
    /// Messages that arrived after a later one.
    pub reordered: u64,
    pub p50_ms: u64,
    pub p99_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TcpReport {
    pub sent: u64,
    /// Messages handed to the application.
    pub delivered: u64,
    /// Whether the application got them exactly in the order they were written.
    pub in_order: bool,
    /// Segments sent again (SYNs included).
    pub retransmits: u64,
    pub timeouts: u64,
    pub fast_retransmits: u64,
    /// When the connection was established (client side), ms after the first SYN.
    pub handshake_ms: u64,
    /// Write → delivery, ms: head-of-line blocking shows as the tail.
    pub p50_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
    /// When the last message was delivered, ms.
    pub done_ms: u64,
    /// (ms, cwnd in segments, RTO ms) after each change, bounded.
    pub cwnd: Vec<(u64, f64, u64)>,
    /// (message, latency ms), bounded: the head-of-line spikes.
    pub latency: Vec<(u32, u64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransportReport {
    pub tcp: TcpReport,
    pub udp: UdpReport,
}

/// Longest a transport run may take in virtual time (a link at 90 % loss never finishes).
pub const MAX_TRANSPORT_MS: u64 = 3_600_000;
const SERIES_CAP: usize = 2_000;
const MIN_RTO: u64 = 1_000;
const MAX_RTO: u64 = 60_000;

#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Syn,
    SynAck,
    /// Data segment `seq` (the ACK it also carries is implied: the client only sends after the
    /// handshake).
    Data(u32),
    Ack(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TransportEvent {
    UdpSend(u32),
    UdpArrive(u32),
    AppWrite(u32),
    /// A segment arrives; `to_server` says at which end.
    Arrive {
        to_server: bool,
        seg: SegBox,
    },
    Rto(u64),
}

/// A segment in flight (opaque outside this module).
#[derive(Clone, Debug, PartialEq)]
pub struct SegBox(Seg);

struct TransportModel {
    p: LinkParams,
    link: SimRng,
    // UDP
    udp_seen: Vec<bool>,
    udp: UdpReport,
    udp_high: Option<u32>,
    udp_lat: Histogram<u64>,
    // TCP sender (client)
    established: bool,
    syn_retransmitted: bool,
    syn_sent_at: SimTime,
    written: u32,
    write_at: Vec<SimTime>,
    snd_una: u32,
    snd_nxt: u32,
    /// Highest sequence ever sent + 1 (to tell a retransmission from a first send).
    snd_max: u32,
    retransmitted: Vec<bool>,
    cwnd: f64,
    ssthresh: f64,
    dupacks: u32,
    recover: Option<u32>,
    /// The one segment being timed (sequence, first send), as BSD times one segment per RTT;
    /// cleared by any retransmission (Karn's algorithm).
    timed: Option<(u32, SimTime)>,
    srtt: Option<f64>,
    rttvar: f64,
    rto_ms: u64,
    timer: Option<(EventId, u64)>,
    timer_gen: u64,
    // TCP receiver (server)
    rcv_nxt: u32,
    ooo: BTreeSet<u32>,
    delivered_order: Vec<u32>,
    tcp: TcpReport,
    tcp_lat: Histogram<u64>,
    start: SimTime,
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 86_400_000, 3).expect("constant histogram bounds are valid")
}

fn push_bounded<T>(v: &mut Vec<T>, x: T) {
    if v.len() < SERIES_CAP {
        v.push(x);
    }
}

impl TransportModel {
    fn new(p: LinkParams, seed: u64) -> Self {
        let n = p.messages as usize;
        TransportModel {
            link: SimRng::new(seed).child("link"),
            udp_seen: vec![false; n],
            udp: UdpReport { sent: u64::from(p.messages), ..UdpReport::default() },
            udp_high: None,
            udp_lat: hist(),
            established: false,
            syn_retransmitted: false,
            syn_sent_at: TEST_EPOCH,
            written: 0,
            write_at: vec![TEST_EPOCH; n],
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            retransmitted: vec![false; n],
            cwnd: 1.0,
            ssthresh: 64.0,
            dupacks: 0,
            recover: None,
            timed: None,
            srtt: None,
            rttvar: 0.0,
            rto_ms: MIN_RTO,
            timer: None,
            timer_gen: 0,
            rcv_nxt: 0,
            ooo: BTreeSet::new(),
            delivered_order: Vec::new(),
            tcp: TcpReport { sent: u64::from(p.messages), ..TcpReport::default() },
            tcp_lat: hist(),
            start: TEST_EPOCH,
            p,
        }
    }

    fn ms(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).as_millis()
    }

    /// The link: each packet may be lost, delayed by jitter, or duplicated. Returns the arrival
    /// delays of its copies.
    fn transmit(&mut self) -> Vec<SimDuration> {
        if self.link.bernoulli(self.p.loss) {
            return Vec::new();
        }
        let mut d = vec![self.delay()];
        if self.link.bernoulli(self.p.duplication) {
            d.push(self.delay());
        }
        d
    }

    fn delay(&mut self) -> SimDuration {
        SimDuration::from_millis(self.p.latency_ms + self.link.range_inclusive(0, self.p.jitter_ms))
    }

    fn send_seg(&mut self, ctx: &mut Ctx<'_, TransportEvent>, to_server: bool, seg: Seg) {
        for d in self.transmit() {
            ctx.schedule_in(d, TransportEvent::Arrive { to_server, seg: SegBox(seg.clone()) });
        }
    }

    fn arm_timer(&mut self, ctx: &mut Ctx<'_, TransportEvent>) {
        if let Some((id, _)) = self.timer.take() {
            ctx.cancel(id);
        }
        self.timer_gen += 1;
        let id = ctx.schedule_in(SimDuration::from_millis(self.rto_ms), TransportEvent::Rto(self.timer_gen));
        self.timer = Some((id, self.timer_gen));
    }

    fn stop_timer(&mut self, ctx: &mut Ctx<'_, TransportEvent>) {
        if let Some((id, _)) = self.timer.take() {
            ctx.cancel(id);
        }
    }

    fn note_cwnd(&mut self, now: SimTime) {
        let at = self.ms(now);
        push_bounded(&mut self.tcp.cwnd, (at, self.cwnd, self.rto_ms));
    }

    fn send_data(&mut self, ctx: &mut Ctx<'_, TransportEvent>, seq: u32) {
        let first = seq >= self.snd_max;
        if first {
            self.snd_max = seq + 1;
            if self.timed.is_none() {
                self.timed = Some((seq, ctx.now()));
            }
        } else {
            self.retransmitted[seq as usize] = true;
            self.tcp.retransmits += 1;
            self.timed = None;
        }
        self.send_seg(ctx, true, Seg::Data(seq));
        // 5.1: start the timer if it is not running.
        if self.timer.is_none() {
            self.arm_timer(ctx);
        }
    }

    /// Sends new segments while the congestion window allows.
    fn pump(&mut self, ctx: &mut Ctx<'_, TransportEvent>) {
        if !self.established {
            return;
        }
        let window = (libm::floor(self.cwnd) as u32).max(1);
        while self.snd_nxt < self.written && self.snd_nxt - self.snd_una < window {
            let s = self.snd_nxt;
            self.snd_nxt += 1;
            self.send_data(ctx, s);
        }
    }

    fn rtt_sample(&mut self, r: f64) {
        // RFC 6298 2.2 / 2.3.
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(srtt) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * libm::fabs(srtt - r);
                self.srtt = Some(0.875 * srtt + 0.125 * r);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        let rto = srtt + (4.0 * self.rttvar).max(1.0);
        self.rto_ms = (libm::ceil(rto) as u64).clamp(MIN_RTO, MAX_RTO);
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_, TransportEvent>, a: u32) {
        let flight = f64::from(self.snd_max.saturating_sub(self.snd_una));
        if a > self.snd_una {
            if let Some((seq, t)) = self.timed {
                if a > seq {
                    self.timed = None;
                    if !self.retransmitted[seq as usize] {
                        self.rtt_sample(ctx.now().saturating_since(t).as_millis() as f64);
                    }
                }
            }
            let newly = a - self.snd_una;
            self.snd_una = a;
            self.snd_nxt = self.snd_nxt.max(a);
            self.dupacks = 0;
            match self.recover {
                Some(r) if a < r => {
                    // NewReno partial ACK: the next hole is lost too.
                    self.send_data(ctx, a);
                }
                Some(_) => {
                    self.recover = None;
                    self.cwnd = self.ssthresh;
                }
                None => {
                    for _ in 0..newly {
                        if self.cwnd < self.ssthresh {
                            self.cwnd += 1.0;
                        } else {
                            self.cwnd += 1.0 / self.cwnd;
                        }
                    }
                }
            }
            self.note_cwnd(ctx.now());
            // 5.2 / 5.3.
            if self.snd_una >= self.snd_max {
                self.stop_timer(ctx);
            } else {
                self.arm_timer(ctx);
            }
        } else if a == self.snd_una && self.snd_una < self.snd_max {
            self.dupacks += 1;
            if self.dupacks == 3 && self.recover.is_none() {
                self.tcp.fast_retransmits += 1;
                self.ssthresh = (flight / 2.0).max(2.0);
                self.cwnd = self.ssthresh;
                self.recover = Some(self.snd_max);
                self.note_cwnd(ctx.now());
                self.send_data(ctx, a);
            }
        }
        self.pump(ctx);
    }

    fn on_data(&mut self, ctx: &mut Ctx<'_, TransportEvent>, seq: u32) {
        if seq == self.rcv_nxt {
            self.deliver(ctx.now(), seq);
            self.rcv_nxt += 1;
            while self.ooo.remove(&self.rcv_nxt) {
                self.deliver(ctx.now(), self.rcv_nxt);
                self.rcv_nxt += 1;
            }
        } else if seq > self.rcv_nxt {
            self.ooo.insert(seq);
        }
        self.send_seg(ctx, false, Seg::Ack(self.rcv_nxt));
    }

    fn deliver(&mut self, now: SimTime, seq: u32) {
        self.delivered_order.push(seq);
        let lat = now.saturating_since(self.write_at[seq as usize]).as_millis();
        let _ = self.tcp_lat.record(lat.max(1));
        push_bounded(&mut self.tcp.latency, (seq, lat));
        self.tcp.done_ms = self.ms(now);
    }
}

impl Model for TransportModel {
    type Event = TransportEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, TransportEvent>, event: TransportEvent) {
        match event {
            TransportEvent::UdpSend(i) => {
                for d in self.transmit() {
                    ctx.schedule_in(d, TransportEvent::UdpArrive(i));
                }
            }
            TransportEvent::UdpArrive(i) => {
                let seen = &mut self.udp_seen[i as usize];
                if *seen {
                    self.udp.duplicated += 1;
                    return;
                }
                *seen = true;
                self.udp.delivered += 1;
                let sent = self.start + SimDuration::from_millis(u64::from(i) * self.p.interval_ms);
                let _ = self.udp_lat.record(ctx.now().saturating_since(sent).as_millis().max(1));
                match self.udp_high {
                    Some(h) if i < h => self.udp.reordered += 1,
                    _ => self.udp_high = Some(i),
                }
            }
            TransportEvent::AppWrite(i) => {
                self.write_at[i as usize] = ctx.now();
                self.written = i + 1;
                if i == 0 {
                    self.syn_sent_at = ctx.now();
                    self.send_seg(ctx, true, Seg::Syn);
                    self.arm_timer(ctx);
                }
                self.pump(ctx);
            }
            TransportEvent::Arrive { to_server: true, seg: SegBox(Seg::Syn) } => self.send_seg(ctx, false, Seg::SynAck),
            TransportEvent::Arrive { to_server: true, seg: SegBox(Seg::Data(s)) } => self.on_data(ctx, s),
            TransportEvent::Arrive { to_server: false, seg: SegBox(Seg::SynAck) } => {
                if self.established {
                    return; // a duplicate SYN-ACK: our ACK was lost or crossed it
                }
                self.established = true;
                self.tcp.handshake_ms = ctx.now().saturating_since(self.syn_sent_at).as_millis();
                self.stop_timer(ctx);
                // 5.7: a retransmitted SYN means the RTO starts data transmission at 3 s.
                self.rto_ms = if self.syn_retransmitted { 3_000 } else { MIN_RTO };
                self.send_seg(ctx, true, Seg::Ack(0));
                self.note_cwnd(ctx.now());
                self.pump(ctx);
            }
            TransportEvent::Arrive { to_server: false, seg: SegBox(Seg::Ack(a)) } => self.on_ack(ctx, a),
            // The server needs nothing from the handshake's final ACK: data implies it.
            TransportEvent::Arrive { to_server: true, seg: SegBox(Seg::Ack(_) | Seg::SynAck) }
            | TransportEvent::Arrive { to_server: false, seg: SegBox(Seg::Syn | Seg::Data(_)) } => {}
            TransportEvent::Rto(generation) => {
                if self.timer.map(|(_, g)| g) != Some(generation) {
                    return;
                }
                self.timer = None;
                self.tcp.timeouts += 1;
                // 5.5: back off.
                self.rto_ms = self.rto_ms.saturating_mul(2).min(MAX_RTO);
                if !self.established {
                    self.syn_retransmitted = true;
                    self.tcp.retransmits += 1;
                    self.send_seg(ctx, true, Seg::Syn);
                    self.arm_timer(ctx);
                    return;
                }
                let flight = f64::from(self.snd_max.saturating_sub(self.snd_una));
                self.ssthresh = (flight / 2.0).max(2.0);
                self.cwnd = 1.0;
                self.recover = None;
                self.dupacks = 0;
                self.note_cwnd(ctx.now());
                // 5.4: retransmit the earliest unacknowledged segment (and go back from there).
                self.snd_nxt = self.snd_una + 1;
                let s = self.snd_una;
                self.send_data(ctx, s);
                if self.timer.is_none() {
                    self.arm_timer(ctx);
                }
            }
        }
    }

    fn describe(&self, event: &TransportEvent) -> (String, String) {
        ("link".into(), format!("{event:?}"))
    }
}

/// Runs UDP and TCP over the same link parameters (independent draws per protocol).
pub fn run_transport(p: &LinkParams, seed: u64) -> Result<TransportReport, LinkError> {
    p.validate()?;
    let mut sim = Simulation::new(TransportModel::new(p.clone(), seed), TEST_EPOCH);
    let mut tcp_sim = Simulation::new(
        TransportModel { link: SimRng::new(seed).child("tcp-link"), ..TransportModel::new(p.clone(), seed) },
        TEST_EPOCH,
    );
    for i in 0..p.messages {
        let at = TEST_EPOCH + SimDuration::from_millis(u64::from(i) * p.interval_ms);
        sim.schedule_at(at, TransportEvent::UdpSend(i));
        tcp_sim.schedule_at(at, TransportEvent::AppWrite(i));
    }
    let end = TEST_EPOCH + SimDuration::from_millis(MAX_TRANSPORT_MS);
    sim.run_until(end);
    while tcp_sim.next_event_time().is_some_and(|t| t <= end) {
        tcp_sim.step();
        if tcp_sim.model.rcv_nxt == p.messages && tcp_sim.model.snd_una == p.messages {
            break;
        }
    }
    let u = &sim.model;
    let mut udp = u.udp.clone();
    udp.lost = udp.sent - udp.delivered;
    if !u.udp_lat.is_empty() {
        udp.p50_ms = u.udp_lat.value_at_quantile(0.5);
        udp.p99_ms = u.udp_lat.value_at_quantile(0.99);
    }
    let t = &tcp_sim.model;
    let mut tcp = t.tcp.clone();
    tcp.delivered = t.delivered_order.len() as u64;
    tcp.in_order = t.delivered_order.windows(2).all(|w| w[0] < w[1]);
    if !t.tcp_lat.is_empty() {
        tcp.p50_ms = t.tcp_lat.value_at_quantile(0.5);
        tcp.p99_ms = t.tcp_lat.value_at_quantile(0.99);
        tcp.max_ms = t.tcp_lat.max();
    }
    Ok(TransportReport { tcp, udp })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_link_needs_no_retransmission() {
        let p = LinkParams { loss: 0.0, duplication: 0.0, jitter_ms: 0, messages: 200, ..LinkParams::default() };
        let r = run_transport(&p, 1).unwrap();
        assert_eq!((r.udp.delivered, r.udp.lost, r.udp.reordered), (200, 0, 0));
        assert_eq!((r.tcp.delivered, r.tcp.in_order, r.tcp.retransmits), (200, true, 0));
        assert_eq!(r.tcp.handshake_ms, 100, "one round trip of 2 × 50 ms");
    }

    #[test]
    fn a_lost_syn_is_retransmitted_after_one_second_then_two() {
        // Find a seed whose first two SYNs are lost on a 50 %-loss link and check the timer.
        let p = LinkParams { loss: 0.5, duplication: 0.0, jitter_ms: 0, messages: 5, ..LinkParams::default() };
        let mut found = false;
        for seed in 0..200 {
            let r = run_transport(&p, seed).unwrap();
            assert_eq!((r.tcp.delivered, r.tcp.in_order), (5, true), "seed {seed}");
            // Handshake times are 100 ms + the sum of the timer's backoffs: 1 s, then 2 s, …
            if r.tcp.handshake_ms == 3_100 {
                found = true;
            }
            assert!(
                [100, 1_100, 3_100, 7_100, 15_100, 31_100, 63_100].contains(&r.tcp.handshake_ms)
                    || r.tcp.handshake_ms > 63_100,
                "seed {seed}: handshake {} ms is not 100 ms plus 1 s, 2 s, 4 s … of RTO",
                r.tcp.handshake_ms
            );
        }
        assert!(found, "some seed lost the first two SYNs (or their SYN-ACKs)");
    }

    #[test]
    fn bad_link_parameters_are_named() {
        let e = run_transport(&LinkParams { loss: 1.5, ..LinkParams::default() }, 1).unwrap_err().to_string();
        assert!(e.contains("loss = 1.5"), "{e}");
    }
}
