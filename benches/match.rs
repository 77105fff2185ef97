//! Matching speed: one enterprise against every policy in force, and a batch of profiles.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zhengce_benches::{corpus_files, synthetic_profile};
use zhengce_model::Date;

fn bench(c: &mut Criterion) {
    let loaded = zhengce_engine::load(corpus_files());
    let snap = &loaded.snapshot;
    let as_of: Date = "2025-06-01".parse().expect("date");
    let profiles: Vec<_> =
        (0..1000).map(|i| snap.parse_profile_json(&synthetic_profile(i)).expect("valid synthetic profile")).collect();
    c.bench_function("load_corpus", |b| b.iter(|| zhengce_engine::load(corpus_files())));
    c.bench_function("match_one_enterprise", |b| b.iter(|| snap.match_profile(&profiles[7], as_of)));
    let mut g = c.benchmark_group("match_1000_enterprises");
    g.throughput(Throughput::Elements(1000));
    g.sample_size(10);
    g.bench_function("row_wise", |b| {
        b.iter(|| profiles.iter().map(|p| snap.match_profile(p, as_of).results.len()).sum::<usize>())
    });
    g.bench_function("status_only", |b| b.iter(|| profiles.iter().map(|p| snap.statuses(p, as_of).len()).sum::<usize>()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
