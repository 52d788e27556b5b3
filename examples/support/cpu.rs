//! CPU time by thread, for the load examples: the gateway's runtime and
//! its SQLite workers on one side, the load generator on the other (both
//! run in the example's process, on the same cores).

/// CPU seconds (user + system) this process's threads have used, summed
/// by whether the thread's name starts with one of `prefixes`: (matching,
/// others). The gateway's runtime (with the CRL server) and its SQLite
/// workers are one side, the load generator's runtime the other.
pub fn cpu_by_thread(prefixes: &[&str]) -> (f64, f64) {
    let tick = 100.0; // USER_HZ on Linux
    let (mut mine, mut other) = (0.0, 0.0);
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // Fields after the ")" that ends the name: utime is the 12th, stime the 13th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<f64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        let secs = (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / tick;
        if prefixes.iter().any(|p| comm.starts_with(p)) {
            mine += secs;
        } else {
            other += secs;
        }
    }
    (mine, other)
}
