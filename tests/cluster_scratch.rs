use playground::cluster::runtime::ClusterRun;
use playground::cluster::scenario::preset;

#[test]
fn scratch() {
    for id in ["failover", "partition-minority", "reshard", "replica-lag"] {
        let t = std::time::Instant::now();
        let mut run = ClusterRun::new(preset(id).unwrap(), 1).unwrap();
        run.run_to_end();
        let m = run.model();
        println!("== {id}: {:?} events={} wall={:?}", m.metrics.totals, run.sim.processed(), t.elapsed());
        for f in &m.metrics.failovers { println!("  failover {:?} ms={:?}", f, f.failover_ms()); }
        println!("  ledger lost={} acked={}", m.ledger.lost, m.ledger.acked);
        for (t, l) in &m.log { println!("  log {t}: {l}"); }
        for c in &m.clients { println!("  client {:?}", c.stats); }
        for e in m.metrics.events.iter().take(40) { println!("  ev {:?}", e); }
        let writable = m.writable_slots();
        println!("  writable={writable}");
        for s in &m.servers { println!("  node {} master={} state={:?} epoch={} slots={} keys={} offset={}", s.idx, s.cluster.is_master(), s.cluster.state, s.cluster.myself().config_epoch, s.cluster.myself().numslots(), s.store.dbsize(), s.repl.offset); }
    }
}
