//! Generates a register and prints its size, time and memory (VmRSS).
#![allow(clippy::print_stdout)]

use std::time::Instant;

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(10_000), |s| s.parse())?;
    let before = rss_kib("VmRSS:");
    let t = Instant::now();
    let g = isms_gen::generate(&isms_gen::GeneratorConfig::new(n, 42))?;
    let secs = t.elapsed().as_secs_f64();
    let after = rss_kib("VmRSS:");
    println!(
        "{n} nonconformities: {} actions, {} improvements, {} commands, {} events in {secs:.2} s ({:.0} NC/s); register RSS {} MiB, peak {} MiB",
        g.stats.actions,
        g.stats.improvements,
        g.stats.commands,
        g.stats.events,
        n as f64 / secs,
        (after - before) / 1024,
        rss_kib("VmHWM:") / 1024,
    );
    let mut states = std::collections::BTreeMap::new();
    for nc in g.register.nonconformities() {
        *states.entry(nc.state.as_str()).or_insert(0u64) += 1;
    }
    println!("states: {states:?}");
    Ok(())
}
