//! Seeded synthetic corpora and profiles, for benches and property tests at province scale.
//!
//! [`corpus`] writes policy and rule files shaped like the real ones in `policies/` and `rules/`:
//! thresholds on the schema's numeric fields (constants and dated parameters, some not published
//! for a period), yes/no facts, enum values, industry-code prefixes, regions (national,
//! provincial, city and county policies), derived facts (`is_sme`, `sector`, `size_class`,
//! `rd_intensity`, …), `Any`/`AtLeast`/`Not` groups, near-miss margins and tiered benefits.
//! [`profile`] draws an enterprise from the same value distributions, with a share of facts
//! unknown. Both are pure functions of the seed; nothing here reads files or the clock.

use zhengce_model::Date;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::schema::FieldType;
use zhengce_rules::Schema;

use crate::SourceFile;

/// A small deterministic generator (splitmix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` and stream `stream`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F) ^ 0x9E37_79B9_7F4A_7C15);
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

/// Shandong cities (the 16 prefecture-level divisions) and a few counties, plus divisions elsewhere.
const CITIES: [&str; 16] = [
    "370100", "370200", "370300", "370400", "370500", "370600", "370700", "370800", "370900", "371000", "371100", "371300",
    "371400", "371500", "371600", "371700",
];
const COUNTIES: [&str; 12] =
    ["370830", "370811", "370812", "370826", "370827", "370828", "370829", "370831", "370832", "370881", "370883", "370102"];
const ELSEWHERE: [&str; 4] = ["320583", "110105", "440305", "330106"];

/// A region code for an enterprise: mostly Jining and Shandong, some elsewhere.
fn enterprise_region(r: &mut Rng) -> String {
    let x = r.unit();
    if x < 0.45 {
        (*r.pick(&COUNTIES)).to_string()
    } else if x < 0.95 {
        let city = r.pick(&CITIES);
        format!("{}{:02}", &city[..4], 1 + r.below(30))
    } else {
        (*r.pick(&ELSEWHERE)).to_string()
    }
}

/// Share of enterprises for which a field is known (by field, stable across runs).
fn known_share(name: &str) -> f64 {
    const CORE: [&str; 10] = [
        "region",
        "industry_code",
        "employees",
        "revenue",
        "total_assets",
        "established",
        "insured_employees",
        "ownership",
        "taxable_income",
        "vat_status",
    ];
    if CORE.contains(&name) {
        return 0.95;
    }
    [0.85, 0.7, 0.5, 0.3][(hash(name) % 4) as usize]
}

/// A value for a field of type `ty` named `name`, from the distribution profiles use (so a
/// threshold drawn here passes about half of the enterprises).
pub fn value(r: &mut Rng, name: &str, ty: &FieldType) -> Option<FactValue> {
    let log_uniform = |r: &mut Rng, max: f64| ((r.unit() * (max + 1.0).ln()).exp() - 1.0).max(0.0);
    Some(match ty {
        FieldType::Count => FactValue::Num(log_uniform(r, 2000.0).floor()),
        FieldType::Money => FactValue::Num((log_uniform(r, 100_000.0) * 100.0).round() / 100.0),
        FieldType::SignedMoney => FactValue::Num(((log_uniform(r, 5000.0) - 100.0) * 100.0).round() / 100.0),
        FieldType::Ratio | FieldType::Number => FactValue::Num((r.unit() * 100.0).round() / 100.0),
        FieldType::Integer { min, max } => {
            FactValue::Num((*min + r.below(max.saturating_sub(*min).saturating_add(1).max(1) as u64) as i64) as f64)
        }
        FieldType::Bool => {
            let p = [0.1, 0.5, 0.8][(hash(name) % 3) as usize];
            FactValue::Bool(r.chance(p))
        }
        FieldType::Enum(vs) if !vs.is_empty() => FactValue::Text(r.pick(vs).0.clone()),
        FieldType::Region => FactValue::Text(enterprise_region(r)),
        FieldType::IndustryCode => {
            let major = 1 + r.below(96);
            let n = if r.chance(0.8) {
                4
            } else if r.chance(0.5) {
                3
            } else {
                2
            };
            let full = format!("{major:02}{:02}", r.below(100));
            FactValue::Text(full[..n].to_string())
        }
        FieldType::Date => {
            let d = Date::new(1990 + r.below(36) as i32, 1 + r.below(12) as u8, 1 + r.below(28) as u8)?;
            FactValue::Date(d)
        }
        _ => return None,
    })
}

/// Enterprise number `i` of the synthetic population `seed`.
pub fn profile(schema: &Schema, seed: u64, i: u64) -> Profile {
    let mut r = Rng::new(seed, i);
    let mut p = Profile::new();
    for f in &schema.fields {
        if !r.chance(known_share(&f.name)) {
            continue;
        }
        if let Some(v) = value(&mut r, &f.name, &f.ty) {
            p.insert(f.name.clone(), v);
        }
    }
    p
}

fn num_text(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') { s } else { format!("{s}.0") }
}

struct Gen<'s> {
    r: Rng,
    schema: &'s Schema,
    numeric: Vec<usize>,
    bools: Vec<usize>,
    enums: Vec<usize>,
    params: Vec<(String, f64, Option<f64>)>,
}

const DERIVED_CHECKS: [&str; 14] = [
    "is_sme",
    "is_sme == true",
    "is_small_micro == true",
    "is_manufacturing",
    "sector == 'industry'",
    "sector != 'agriculture'",
    "size_class != 'large'",
    "in(size_class, 'small', 'micro')",
    "rd_intensity >= 3%",
    "years_established >= 2",
    "layoff_rate <= 5.5%",
    "tech_staff_share >= 10%",
    "is_small_low_profit",
    "years_established < 10",
];

impl Gen<'_> {
    fn field(&self, i: usize) -> &zhengce_model::schema::FieldDef {
        &self.schema.fields[i]
    }

    fn any_of(&mut self, which: u8) -> usize {
        let xs = match which {
            0 => &self.numeric,
            1 => &self.bools,
            _ => &self.enums,
        };
        xs[self.r.below(xs.len() as u64) as usize]
    }

    fn threshold(&mut self) -> String {
        let f = self.numeric[self.r.below(self.numeric.len() as u64) as usize];
        let (name, ty) = (self.field(f).name.clone(), self.field(f).ty.clone());
        let op = *self.r.pick(&[">=", ">=", "<=", "<=", ">", "<"]);
        let v = match value(&mut self.r, &name, &ty) {
            Some(FactValue::Num(n)) => n,
            _ => 1.0,
        };
        if self.r.chance(0.25) && self.params.len() < 3 {
            // A dated parameter; the later value is sometimes not published yet.
            let p = format!("p_{}_{}", name, self.params.len());
            let later = if self.r.chance(0.15) { None } else { Some((v * (0.8 + 0.4 * self.r.unit())).round()) };
            self.params.push((p.clone(), v, later));
            return format!("{name} {op} {p}");
        }
        format!("{name} {op} {}", num_text(v))
    }

    fn leaf(&mut self) -> String {
        let x = self.r.unit();
        if x < 0.38 {
            self.threshold()
        } else if x < 0.55 {
            let f = {
                let i = self.any_of(1);
                self.field(i)
            }
            .name
            .clone();
            match self.r.below(4) {
                0 => f,
                1 => format!("{f} == false"),
                2 => format!("not {f}"),
                _ => format!("{f} == true"),
            }
        } else if x < 0.65 {
            let f = {
                let i = self.any_of(2);
                self.field(i)
            }
            .clone();
            let FieldType::Enum(vs) = &f.ty else { return "true".into() };
            let a = &self.r.pick(vs).0;
            let b = &self.r.pick(vs).0;
            match self.r.below(3) {
                0 => format!("{} == '{a}'", f.name),
                1 => format!("{} != '{a}'", f.name),
                _ => format!("in({}, '{a}', '{b}')", f.name),
            }
        } else if x < 0.73 {
            let k = 1 + self.r.below(6);
            let codes: Vec<String> = (0..k)
                .map(|_| {
                    if self.r.chance(0.8) {
                        format!("'{:02}'", 1 + self.r.below(96))
                    } else {
                        format!("'{:03}'", 10 + self.r.below(960))
                    }
                })
                .collect();
            let p = format!("prefix(industry_code, {})", codes.join(", "));
            if self.r.chance(0.3) { format!("not {p}") } else { p }
        } else if x < 0.88 {
            (*self.r.pick(&DERIVED_CHECKS)).to_string()
        } else if x < 0.95 {
            let a = {
                let i = self.any_of(0);
                self.field(i)
            }
            .name
            .clone();
            let b = {
                let i = self.any_of(0);
                self.field(i)
            }
            .name
            .clone();
            match self.r.below(3) {
                0 => format!("{a} >= {b} * {}%", 1 + self.r.below(30)),
                1 => format!("{a} >= 1 or {b} >= 1"),
                _ => format!("{a} + {b} <= {}", 10 + self.r.below(5000)),
            }
        } else {
            format!("within(region, '{}')", self.r.pick(&CITIES))
        }
    }

    fn check(&mut self) -> String {
        let e = self.leaf();
        let c = if self.r.chance(0.3) {
            format!("Named(\"条件{}\", Check(\"{e}\"))", self.r.below(1000))
        } else {
            format!("Check(\"{e}\")")
        };
        // Like the real rules, about half the thresholds are something a firm can act on (only
        // those can be near misses).
        if self.r.chance(0.5) { format!("Act(\"再提高{{gap}}即达到{{required}}\", {c})") } else { c }
    }

    fn cond(&mut self) -> String {
        let n = 3 + self.r.below(8);
        let mut parts = Vec::new();
        let mut i = 0;
        while i < n {
            let x = self.r.unit();
            if x < 0.15 && i + 2 <= n {
                let m = 2 + self.r.below(2);
                let cs: Vec<String> = (0..m).map(|_| self.check()).collect();
                parts.push(format!("Named(\"满足其一\", Any([{}]))", cs.join(", ")));
                i += m;
            } else if x < 0.2 && i + 3 <= n {
                let cs: Vec<String> = (0..3).map(|_| self.check()).collect();
                parts.push(format!("AtLeast(2, [{}])", cs.join(", ")));
                i += 3;
            } else if x < 0.23 {
                parts.push(format!("Not({})", self.check()));
                i += 1;
            } else {
                parts.push(self.check());
                i += 1;
            }
        }
        format!("All([{}])", parts.join(", "))
    }
}

/// Policy and rule files for `n` synthetic policies in force from 2024-01-01 through 2026-12-31
/// (plus `n / 20` more that are expired, not yet in force or historical), numbered by `seed`.
/// Load them together with the real `rules/schema*.ron` and `rules/derived.ron`.
pub fn corpus(schema: &Schema, n: usize, seed: u64) -> Vec<SourceFile> {
    let kinds = |pred: &dyn Fn(&FieldType) -> bool| -> Vec<usize> {
        schema.fields.iter().enumerate().filter(|(_, f)| pred(&f.ty)).map(|(i, _)| i).collect()
    };
    let numeric = kinds(&|t| t.is_numeric());
    let bools = kinds(&|t| matches!(t, FieldType::Bool));
    let enums = kinds(&|t| matches!(t, FieldType::Enum(vs) if !vs.is_empty()));
    let mut out = Vec::new();
    for j in 0..n + n / 20 {
        let mut g = Gen {
            r: Rng::new(seed, 1_000_000 + j as u64),
            schema,
            numeric: numeric.clone(),
            bools: bools.clone(),
            enums: enums.clone(),
            params: Vec::new(),
        };
        let slug = format!("syn-{j:05}");
        let (level, region) = match g.r.below(20) {
            0..=7 => ("national", None),
            8..=12 => ("province", Some("370000".to_string())),
            13..=16 => ("city", Some((*g.r.pick(&CITIES)).to_string())),
            _ => ("county", Some((*g.r.pick(&COUNTIES)).to_string())),
        };
        let extra = j >= n;
        let (from, to, marking) = match (extra, j % 3) {
            (false, _) => (
                "2024-01-01",
                Some("2026-12-31").filter(|_| j % 2 == 0),
                *g.r.pick(&["official", "official", "official", "draft", "sample"]),
            ),
            (true, 0) => ("2022-01-01", Some("2023-12-31"), "official"),
            (true, 1) => ("2030-01-01", None, "official"),
            (true, _) => ("2024-01-01", None, "historical"),
        };
        let cond = g.cond();
        let benefit = match g.r.below(3) {
            0 => format!(
                "Benefit(amount: \"if revenue <= {} then {} else {}\", text: \"分档支持约{{amount}}万元\")",
                1000 + g.r.below(9000),
                5 + g.r.below(20),
                30 + g.r.below(100)
            ),
            1 => format!(
                "Benefit(amount: \"min(ui_premium_paid * {}%, {})\", text: \"约{{amount}}万元\")",
                10 + g.r.below(80),
                20 + g.r.below(200)
            ),
            _ => "Benefit(amount: \"none\", text: \"金额以通知为准\")".to_string(),
        };
        let params: Vec<String> = g
            .params
            .iter()
            .map(|(p, v1, v2)| {
                let v2 = v2.map_or("None".to_string(), num_text);
                if from > "2025-06-30" {
                    return format!("\"{p}\": [(from: \"{from}\", value: {v2}, source: \"合成\")]");
                }
                format!(
                    "\"{p}\": [(from: \"{from}\", to: \"2025-06-30\", value: {}, source: \"合成\"), (from: \"2025-07-01\", value: {v2}, source: \"合成\")]",
                    num_text(*v1)
                )
            })
            .collect();
        let margin = match g.r.below(4) {
            0 => "near_miss_margin: 0.05,\n".to_string(),
            1 => "near_miss_margin: 0.2,\n".to_string(),
            _ => String::new(),
        };
        let rule = format!(
            "Rule(\n    policy: \"{slug}\",\n    params: {{{}}},\n    eligibility: {cond},\n    {margin}    benefit: {benefit},\n)\n",
            params.join(", ")
        );
        let region_line = region.map(|r| format!("region = \"{r}\"\n")).unwrap_or_default();
        let to_line = to.map(|t| format!("effective_to = \"{t}\"\n")).unwrap_or_default();
        let md = format!(
            "+++\nslug = \"{slug}\"\ntitle = \"合成政策{j}\"\nlevel = \"{level}\"\n{region_line}issuers = [\"合成部门\"]\ndepartment = \"工业和信息化局\"\ndimensions = [\"technology\"]\neffective_from = \"{from}\"\n{to_line}benefit_summary = \"合成\"\nconfidence = \"S\"\nmarking = \"{marking}\"\nkind = \"benefit\"\nevaluable = true\n\n[[sources]]\nid = \"SYN\"\ntitle = \"合成数据\"\n+++\n\n## 政策要点\n\n合成政策，仅用于性能测试。\n"
        );
        out.push(SourceFile { path: format!("policies/{slug}.md"), text: md });
        out.push(SourceFile { path: format!("rules/{slug}.ron"), text: rule });
    }
    out
}

/// Synthetic profiles `range` of population `seed` and enterprise value `_` draws, for tests.
pub fn profiles(schema: &Schema, seed: u64, range: std::ops::Range<u64>) -> Vec<Profile> {
    range.map(|i| profile(schema, seed, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r = Rng::new(1, 2);
        let x = r.unit();
        assert!((0.0..1.0).contains(&x));
    }
}
