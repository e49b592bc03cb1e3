//! One module per route. Model pages draw the core's state; their issues fill them in.

pub mod backoff;
pub mod cluster;
pub mod elsewhere;
pub mod home;
pub mod load_balancing;
pub mod locks;
pub mod messaging;
pub mod not_found;
pub mod redis;

use super::routes::Route;

/// What each playground teaches: the home page's cards and each page's header use the same words.
pub struct PlaygroundInfo {
    pub route: Route,
    pub title: &'static str,
    pub lede: &'static str,
    pub teaches: &'static [&'static str],
}

pub const PLAYGROUNDS: [PlaygroundInfo; 6] = [
    PlaygroundInfo {
        route: Route::Locks,
        title: "Distributed locks",
        lede: "Workers elect one of themselves through a Redis lock (SET NX EX), renew it, and hand it over. \
               Crash them, pause them, cut them off — and watch where mutual exclusion breaks.",
        teaches: &[
            "The lock-worker state machine: acquire, work, renew, release",
            "Why a GC pause longer than the TTL gives you two holders",
            "Fencing tokens, atomic renew and release, Redlock",
        ],
    },
    PlaygroundInfo {
        route: Route::Backoff,
        title: "Retry with exponential backoff",
        lede: "Wait 2ⁿ × 100 ms between attempts, up to maxRetries — then add jitter and see why it matters when \
               many clients retry at once.",
        teaches: &[
            "The exact schedule of a retry loop",
            "Full, equal and decorrelated jitter",
            "Contention and thundering herds; retry budgets",
        ],
    },
    PlaygroundInfo {
        route: Route::LoadBalancing,
        title: "Load balancing",
        lede: "Round robin, smooth weighted round robin, least connections, IP hash, consistent hashing, Maglev, \
               power of two choices and peak EWMA on a simulated fleet, with live latency percentiles.",
        teaches: &[
            "How each algorithm picks, and what it costs at p99",
            "Health checks and what clients see before a failure is detected",
            "How many keys move when a server leaves",
        ],
    },
    PlaygroundInfo {
        route: Route::Redis,
        title: "Redis",
        lede: "An in-memory Redis with Redis 7's replies and errors: several redis-cli clients in tabs (pub/sub, \
               MULTI/WATCH, blocking pops), a key browser with live TTLs, memory and eviction, and a cache-aside demo.",
        teaches: &[
            "Strings, lists, sets, hashes and sorted sets, reply for reply",
            "Expiry: lazy on access and the active cycle",
            "Cache-aside: hits, misses and TTL-driven refetches",
        ],
    },
    PlaygroundInfo {
        route: Route::Cluster,
        title: "Redis Cluster",
        lede: "16384 hash slots over three masters and their replicas: redirects, gossip, failure detection, \
               replica elections and resharding, with a cluster-aware client and the writes a failover loses.",
        teaches: &[
            "Key slots, hash tags, MOVED and ASK",
            "PFAIL → FAIL → election → promotion, and why it takes about the node timeout plus a second or two",
            "What asynchronous replication loses in a failover or a minority partition",
        ],
    },
    PlaygroundInfo {
        route: Route::Messaging,
        title: "Messaging",
        lede:
            "Request/response, list queues, pub/sub, Redis streams and a Celery-style task queue on a modeled Redis, \
               and TCP vs UDP: crash, slow or cut off a consumer and count what each pattern loses or duplicates.",
        teaches: &[
            "At-most-once vs at-least-once: BRPOP, BLMOVE + LREM, XREADGROUP + XACK + XAUTOCLAIM",
            "Why pub/sub loses what an offline subscriber missed, and streams do not",
            "Visibility timeouts, retries, dead letters and idempotency keys",
        ],
    },
];

/// The card data for a route.
pub fn info(route: Route) -> &'static PlaygroundInfo {
    PLAYGROUNDS.iter().find(|p| p.route == route).expect("every model route has a PlaygroundInfo entry")
}
