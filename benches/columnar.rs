//! Province scale: the columnar evaluator against the row evaluator, in one run.
//!
//! Corpora: the bundled one, and 1,000 synthetic policies (`zhengce_engine::synth::corpus`, seed 1).
//! Profiles: `zhengce_engine::synth::profile` (seed 11), laid out by column before timing.
//! Nothing in a timed loop reads files. Set `ZHENGCE_BENCH_ROWS` to change the big batch (default 1,000,000).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zhengce_benches::corpus_files;
use zhengce_engine::columnar::{Columns, Plan};
use zhengce_engine::{Snapshot, synth};
use zhengce_model::Date;
use zhengce_model::fact::Profile;

const SEED: u64 = 11;

fn synthetic_snapshot(real: &Snapshot, n: usize) -> Snapshot {
    let schema = real.schema().expect("schema");
    let mut files: Vec<_> = corpus_files()
        .into_iter()
        .filter(|f| f.path == "rules/derived.ron" || (f.path.starts_with("rules/schema") && f.path.ends_with(".ron")))
        .collect();
    files.extend(synth::corpus(schema, n, 1));
    let loaded = zhengce_engine::load(files);
    assert!(loaded.diagnostics.is_empty(), "synthetic corpus loads clean");
    loaded.snapshot
}

/// Sums the status codes of the active policies of every block (a cheap consumer that reads every result).
fn run_all(plan: &Plan, cols: &Columns, rows: usize) -> u64 {
    let bound = plan.bind(cols);
    let mut runner = bound.runner();
    let mut sum = 0u64;
    runner.run(0..rows, |b| {
        for p in 0..b.policies {
            if b.active[p] {
                sum += b.policy(p).iter().map(|&c| u64::from(c)).sum::<u64>();
            }
        }
    });
    sum
}

fn bench(c: &mut Criterion) {
    let real = zhengce_engine::load(corpus_files()).snapshot;
    let schema = real.schema().expect("schema");
    let syn = synthetic_snapshot(&real, 1000);
    let as_of: Date = "2025-06-01".parse().expect("date");
    let plan_real = Plan::new(&real, as_of);
    let plan_syn = Plan::new(&syn, as_of);
    let (distinct, uses) = plan_syn.leaf_counts();
    eprintln!("synthetic plan: {} policies, {uses} condition leaves, {distinct} distinct", plan_syn.policy_count());
    {
        let empty = plan_syn.columns();
        eprintln!("synthetic kernels: {:?}", plan_syn.bind(&empty).kernel_counts());
        let empty = plan_real.columns();
        let (d, u) = plan_real.leaf_counts();
        eprintln!(
            "real plan: {} policies, {u} leaves, {d} distinct; kernels {:?}",
            plan_real.policy_count(),
            plan_real.bind(&empty).kernel_counts()
        );
    }
    let rows: usize = std::env::var("ZHENGCE_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let sample: Vec<Profile> = (0..1000).map(|i| synth::profile(schema, SEED, i)).collect();

    // Single enterprise.
    let one = &sample[7];
    let single_real = plan_real.single();
    let single_syn = plan_syn.single();
    let mut g = c.benchmark_group("single_enterprise");
    g.bench_function("real_corpus/row_statuses", |b| b.iter(|| real.statuses(black_box(one), as_of).len()));
    g.bench_function("real_corpus/columnar_single", |b| b.iter(|| single_real.statuses(black_box(one)).len()));
    g.bench_function("real_corpus/row_full_reasons", |b| b.iter(|| real.match_profile(black_box(one), as_of).results.len()));
    g.bench_function("synthetic_1000/row_statuses", |b| b.iter(|| syn.statuses(black_box(one), as_of).len()));
    g.bench_function("synthetic_1000/columnar_single", |b| b.iter(|| single_syn.statuses(black_box(one)).len()));
    // A different enterprise at each call (the bench above repeats one, so branches on its data
    // are learnt by the predictor): 1,000 calls per iteration.
    g.bench_function("synthetic_1000/columnar_single_1000_enterprises", |b| {
        b.iter(|| sample.iter().map(|p| single_syn.statuses(black_box(p)).len()).sum::<usize>())
    });
    g.finish();

    // Row baseline on 1,000 enterprises × 1,000 policies (per-evaluation ratio below).
    let mut g = c.benchmark_group("batch_synthetic_1000_policies");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(8));
    g.throughput(Throughput::Elements((sample.len() * plan_syn.policy_count()) as u64));
    g.bench_function("row_statuses/1000_enterprises", |b| {
        b.iter(|| sample.iter().map(|p| syn.statuses(p, as_of).len()).sum::<usize>())
    });
    let small = plan_syn.columns_of(&sample);
    g.bench_function("columnar/1000_enterprises", |b| b.iter(|| run_all(&plan_syn, &small, small.len())));
    drop(small);

    let mut cols = plan_syn.columns();
    cols.reserve(rows);
    for i in 0..rows as u64 {
        plan_syn.push(&mut cols, &synth::profile(schema, SEED, i));
    }
    let t = std::time::Instant::now();
    let ranked = cols.seal();
    eprintln!(
        "columnar table: {rows} profiles, {ranked} numeric columns ranked in {:.2} s, {} MB of columns",
        t.elapsed().as_secs_f64(),
        cols.heap_bytes() / 1_000_000
    );
    let t = std::time::Instant::now();
    let bound = plan_syn.bind(&cols);
    eprintln!(
        "binding the plan ({} distinct text values in the table): {:.1} ms",
        cols.interner().len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(bound);
    let sizes = if rows > 100_000 { vec![100_000, rows] } else { vec![rows] };
    for n in sizes {
        g.throughput(Throughput::Elements((n * plan_syn.policy_count()) as u64));
        g.bench_function(format!("columnar/{n}_enterprises"), |b| b.iter(|| run_all(&plan_syn, &cols, n)));
    }
    // The same table with its rows grouped by region (the reordering is setup, like ranking).
    let t = std::time::Instant::now();
    let order = plan_syn.region_order(&cols);
    assert!(cols.permute(&order));
    drop(order);
    eprintln!("rows grouped by region in {:.2} s", t.elapsed().as_secs_f64());
    g.throughput(Throughput::Elements((rows * plan_syn.policy_count()) as u64));
    g.bench_function(format!("columnar_by_region/{rows}_enterprises"), |b| b.iter(|| run_all(&plan_syn, &cols, rows)));
    g.finish();
    drop(cols);

    // The bundled corpus on 100,000 enterprises (what `zhengce batch` evaluates).
    let mut g = c.benchmark_group("batch_real_corpus");
    g.sample_size(10);
    g.throughput(Throughput::Elements((sample.len() * plan_real.policy_count()) as u64));
    g.bench_function("row_statuses/1000_enterprises", |b| {
        b.iter(|| sample.iter().map(|p| real.statuses(p, as_of).len()).sum::<usize>())
    });
    let n = rows.min(100_000);
    let mut cols = plan_real.columns();
    for i in 0..n as u64 {
        plan_syn.push(&mut cols, &synth::profile(schema, SEED, i));
    }
    cols.seal();
    g.throughput(Throughput::Elements((n * plan_real.policy_count()) as u64));
    g.bench_function(format!("columnar/{n}_enterprises"), |b| b.iter(|| run_all(&plan_real, &cols, n)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
