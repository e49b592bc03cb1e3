//! Where the messaging page's flow picture puts things: producers, the broker, consumers and the
//! dead-letter box, and the dots of the newest moves along their paths, coloured by fate. Pure
//! geometry (the page's `flow.rs` draws it), so it is tested natively.

use super::trail::{Fate, Flow, Node};
use super::MsgId;

/// At most this many dots per frame (the newest moves), whatever the rate.
pub const MAX_DOTS: usize = 150;
/// Wall time one dot takes along its path, at any speed.
const TRIP_WALL_MS: f64 = 700.0;
/// Producer rows drawn (more producers share rows).
pub const PRODUCER_ROWS: u32 = 10;
/// Consumer rows drawn (more consumers share rows).
pub const CONSUMER_ROWS: u32 = 12;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub w: f64,
    pub producer_x: f64,
    pub broker_x: f64,
    pub consumer_x: f64,
}

impl Geometry {
    pub const WIDE: Geometry = Geometry { w: 640.0, producer_x: 56.0, broker_x: 320.0, consumer_x: 570.0 };
    pub const NARROW: Geometry = Geometry { w: 400.0, producer_x: 40.0, broker_x: 196.0, consumer_x: 340.0 };
}

pub fn height(consumers: u32, producers: u32) -> f64 {
    (f64::from(consumers.min(CONSUMER_ROWS).max(producers.min(PRODUCER_ROWS))) * 30.0 + 70.0).max(230.0)
}

fn row_y(i: u32, n: u32, rows: u32, h: f64) -> f64 {
    let n = n.clamp(1, rows);
    let step = (h - 70.0) / f64::from(n);
    20.0 + step * (f64::from(i % rows) + 0.5)
}

/// Where a node is drawn.
pub fn place(node: Node, producers: u32, consumers: u32, g: Geometry, h: f64) -> (f64, f64) {
    match node {
        Node::Producer(p) => (g.producer_x + 14.0, row_y(p, producers, PRODUCER_ROWS, h)),
        Node::Broker => (g.broker_x, (h - 50.0) / 2.0),
        Node::Consumer(c) => (g.consumer_x - 16.0, row_y(c, consumers, CONSUMER_ROWS, h)),
        Node::DeadLetter => (g.broker_x, h - 22.0),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub x: i64,
    pub y: i64,
    pub msg: MsgId,
    pub class: &'static str,
}

fn fate_class(f: Fate) -> &'static str {
    match f {
        Fate::Sent => "msg-dot msg-dot--sent",
        Fate::Delivered => "msg-dot msg-dot--delivered",
        Fate::Duplicate => "msg-dot msg-dot--duplicate",
        Fate::Lost => "msg-dot msg-dot--lost",
        Fate::DeadLettered => "msg-dot msg-dot--dead",
    }
}

/// The dots of the newest moves: a move of age `a` (virtual ms) is `a / trip` along its path,
/// the trip being [`TRIP_WALL_MS`] of wall time at `speed`, shortened when the newest
/// [`MAX_DOTS`] moves all happened within less virtual time (so dots spread along the paths).
pub fn dots(flows: &[Flow], now_ms: u64, speed: f64, producers: u32, consumers: u32, g: Geometry) -> Vec<Dot> {
    let h = height(consumers, producers);
    let newest = &flows[flows.len().saturating_sub(MAX_DOTS)..];
    let Some(oldest) = newest.first() else {
        return Vec::new();
    };
    let span = now_ms.saturating_sub(oldest.at_ms) as f64;
    let trip = if flows.len() >= MAX_DOTS { (speed * TRIP_WALL_MS).min(span.max(1.0)) } else { speed * TRIP_WALL_MS };
    let trip = trip.max(1.0);
    newest
        .iter()
        .filter_map(|f| {
            let t = now_ms.saturating_sub(f.at_ms) as f64 / trip;
            if t > 1.0 || f.at_ms > now_ms {
                return None;
            }
            let (x0, y0) = place(f.from, producers, consumers, g, h);
            let (x1, y1) = place(f.to, producers, consumers, g, h);
            let (x, y) = if f.from == f.to {
                // Dropped where it was held: it falls away from the consumer.
                (x0 + 6.0, y0 + 28.0 * t)
            } else {
                (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            };
            Some(Dot { x: x.round() as i64, y: y.round() as i64, msg: f.msg, class: fate_class(f.fate) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_move_from_the_producer_to_the_broker_and_stop_after_the_trip() {
        let f = Flow { at_ms: 0, msg: 7, from: Node::Producer(0), to: Node::Broker, fate: Fate::Sent };
        let g = Geometry::WIDE;
        let start = dots(&[f], 0, 1.0, 1, 2, g);
        let mid = dots(&[f], 350, 1.0, 1, 2, g);
        assert_eq!(start.len(), 1);
        assert!(mid[0].x > start[0].x && mid[0].msg == 7);
        assert!(dots(&[f], 701, 1.0, 1, 2, g).is_empty());
        let many: Vec<Flow> = (0..1_000).map(|i| Flow { at_ms: i, ..f }).collect();
        assert!(dots(&many, 1_000, 100.0, 1, 2, g).len() <= MAX_DOTS);
    }
}
