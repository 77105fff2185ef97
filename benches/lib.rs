//! Shared bench inputs: the corpus on disk and deterministic synthetic profiles.

use zhengce_engine::SourceFile;

/// Every bench runs with the allocator the `zhengce` binary ships with (`crates/zhengce/src/main.rs`),
/// so the figures are the product's; reports with full reasons allocate many small strings, where
/// the allocator matters (BENCHMARKS.md records both for `match_one_enterprise`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reads every file of `policies/` and `rules/` (benches do their IO in setup, never in the timed part).
pub fn corpus_files() -> Vec<SourceFile> {
    let files = zhengce_corpus::source_root().read().unwrap_or_default();
    files.into_iter().map(|(path, text)| SourceFile { path, text }).collect()
}

/// A deterministic garment-county profile number `i` as JSON (a share of facts left unknown).
pub fn synthetic_profile(i: u64) -> serde_json::Value {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let employees = 5 + next(400);
    let insured = employees * (60 + next(40)) / 100;
    let revenue = employees as f64 * (20.0 + next(40) as f64);
    let industry = ["1811", "1713", "1762", "1819", "5132"][next(5) as usize];
    let mut v = serde_json::json!({
        "region": "370830",
        "industry_code": industry,
        "employees": employees,
        "revenue": revenue,
        "total_assets": revenue * 0.8,
        "taxable_income": revenue * 0.04,
        "insured_employees": insured,
        "insured_employees_start": insured + next(5),
        "layoffs": next(6),
        "ui_premium_paid": insured as f64 * 0.08,
        "ui_paid_months": next(60),
        "serious_dishonesty": next(50) == 0,
        "rd_expense": revenue * next(6) as f64 / 100.0,
        "tech_staff": employees * next(15) / 100,
        "ip_class2": next(6),
        "high_tech_revenue_share": next(80) as f64 / 100.0,
        "established": format!("{}-0{}-1{}", 2000 + next(24), 1 + next(9), next(9)),
    });
    if let Some(obj) = v.as_object_mut() {
        let keys: Vec<String> = obj.keys().cloned().collect();
        for k in keys {
            if k != "region" && next(5) == 0 {
                obj.remove(&k);
            }
        }
    }
    v
}
