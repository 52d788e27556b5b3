//! Labelled Prometheus series written by hand: counters and histograms
//! keyed by their label values, in the text exposition format. Small on
//! purpose: a mutex around a map per family, taken for a few hundred
//! nanoseconds per observation.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard};

/// At most this many label sets per family; further new ones are counted
/// under `other` in every label, so that an unexpected label value (a
/// misconfigured source id, a new status) cannot grow memory without end.
const MAX_SERIES: usize = 2_000;

/// Seconds; from a fast page (5 ms) to a slow upstream (30 s).
pub const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain numbers behind: usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn key(labels: &[&str], map_len: usize, exists: impl Fn(&[String]) -> bool) -> Vec<String> {
    let k: Vec<String> = labels.iter().map(|s| (*s).to_string()).collect();
    if map_len >= MAX_SERIES && !exists(&k) {
        return vec!["other".to_string(); labels.len()];
    }
    k
}

fn label_text(names: &[&str], values: &[String], extra: Option<(&str, &str)>) -> String {
    let mut parts: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
        .collect();
    if let Some((n, v)) = extra {
        parts.push(format!("{n}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// A counter family: `name{labels…} value`.
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl CounterVec {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to the series with these label values (in the order of
    /// the family's label names).
    pub fn inc(&self, values: &[&str]) {
        let mut m = lock(&self.series);
        let k = key(values, m.len(), |k| m.contains_key(k));
        *m.entry(k).or_default() += 1;
    }

    /// The series' value, for tests.
    pub fn get(&self, values: &[&str]) -> u64 {
        let k: Vec<String> = values.iter().map(|s| (*s).to_string()).collect();
        lock(&self.series).get(&k).copied().unwrap_or(0)
    }

    pub fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} counter", self.name);
        for (k, v) in lock(&self.series).iter() {
            let _ = writeln!(out, "{}{} {v}", self.name, label_text(self.labels, k, None));
        }
    }
}

#[derive(Clone)]
struct Hist {
    /// Not cumulative: observations that fell in each bucket.
    buckets: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// A histogram family of durations in seconds.
pub struct HistogramVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Vec<String>, Hist>>,
}

impl HistogramVec {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn observe(&self, values: &[&str], seconds: f64) {
        let i = DURATION_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(DURATION_BUCKETS.len());
        let mut m = lock(&self.series);
        let k = key(values, m.len(), |k| m.contains_key(k));
        let h = m.entry(k).or_insert(Hist {
            buckets: [0; DURATION_BUCKETS.len()],
            count: 0,
            sum: 0.0,
        });
        if let Some(b) = h.buckets.get_mut(i) {
            *b += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// How many observations the series has, for tests.
    pub fn count(&self, values: &[&str]) -> u64 {
        let k: Vec<String> = values.iter().map(|s| (*s).to_string()).collect();
        lock(&self.series).get(&k).map_or(0, |h| h.count)
    }

    pub fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} histogram", self.name);
        let series: Vec<(Vec<String>, Hist)> = lock(&self.series)
            .iter()
            .map(|(k, h)| (k.clone(), h.clone()))
            .collect();
        for (k, h) in series {
            let mut cumulative = 0;
            for (b, n) in DURATION_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let le = b.to_string();
                let labels = label_text(self.labels, &k, Some(("le", &le)));
                let _ = writeln!(out, "{}_bucket{labels} {cumulative}", self.name);
            }
            let labels = label_text(self.labels, &k, Some(("le", "+Inf")));
            let _ = writeln!(out, "{}_bucket{labels} {}", self.name, h.count);
            let labels = label_text(self.labels, &k, None);
            let _ = writeln!(out, "{}_sum{labels} {}", self.name, h.sum);
            let _ = writeln!(out, "{}_count{labels} {}", self.name, h.count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_count_and_escaped_labels() {
        let h = HistogramVec::new("t_seconds", "Test.", &["route", "status"]);
        h.observe(&["/a", "200"], 0.003);
        h.observe(&["/a", "200"], 0.2);
        h.observe(&["/a", "200"], 99.0);
        h.observe(&["/b\"\\\n", "500"], 0.001);
        let mut out = String::new();
        h.write(&mut out);
        assert!(out.contains("# TYPE t_seconds histogram"));
        assert!(out.contains("t_seconds_bucket{route=\"/a\",status=\"200\",le=\"0.001\"} 0\n"));
        assert!(out.contains("t_seconds_bucket{route=\"/a\",status=\"200\",le=\"0.005\"} 1\n"));
        assert!(out.contains("t_seconds_bucket{route=\"/a\",status=\"200\",le=\"0.25\"} 2\n"));
        assert!(out.contains("t_seconds_bucket{route=\"/a\",status=\"200\",le=\"30\"} 2\n"));
        assert!(out.contains("t_seconds_bucket{route=\"/a\",status=\"200\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("t_seconds_count{route=\"/a\",status=\"200\"} 3\n"));
        assert!(out.contains("t_seconds_sum{route=\"/a\",status=\"200\"} 99.203"));
        assert!(out.contains("route=\"/b\\\"\\\\\\n\""), "{out}");
        assert_eq!(h.count(&["/a", "200"]), 3);
    }

    #[test]
    fn a_family_stops_growing_at_its_cap() {
        let c = CounterVec::new("t_total", "Test.", &["v"]);
        for i in 0..MAX_SERIES + 10 {
            c.inc(&[&i.to_string()]);
        }
        c.inc(&["0"]);
        assert_eq!(c.get(&["0"]), 2, "an existing series still counts");
        assert_eq!(c.get(&["other"]), 10);
        assert_eq!(lock(&c.series).len(), MAX_SERIES + 1);
    }
}
