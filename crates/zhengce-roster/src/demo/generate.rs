//! One demo enterprise from `(seed, index)`: the random stream, the credit code and the profile.

use serde_json::{Map, Value};
use zhengce_model::uscc::{check_char, org_check_char as org_check};

use super::data::{COUNTY_CHAMBER, INDUSTRIES, Industry, NAME_FIRST, NAME_SECOND, PARKS, Sector, TOWNS};

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A splitmix64 stream.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, index: u64) -> Rng {
        let mut r = Rng(mix(seed) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }

    /// Uniform integer in [lo, hi].
    pub(crate) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// Log-uniform integer in [lo, hi]: many small values, few large ones.
    fn log_int(&mut self, lo: i64, hi: i64) -> i64 {
        let v = self.range((lo as f64).ln(), (hi as f64 + 1.0).ln()).exp();
        (v.floor() as i64).clamp(lo, hi)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.f().max(1e-12);
        let u2 = self.f();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    pub(crate) fn weighted<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
        let total: u64 = items.iter().map(|i| u64::from(weight(i))).sum();
        let mut pick = self.next() % total.max(1);
        for item in items {
            let w = u64::from(weight(item));
            if pick < w {
                return item;
            }
            pick -= w;
        }
        &items[items.len() - 1]
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn money(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A unique credit code for `index` (pre-2015 firms get a numeric organisation code, later ones an
/// `MA…` code, as registrations show).
fn credit_code(seed: u64, index: u64, old: bool) -> String {
    let body = if old {
        let n = (u128::from(index) * 7_654_321 + u128::from(mix(seed ^ 1))) % 10_000_000;
        format!("7{n:07}")
    } else {
        let space = 31u128.pow(6);
        let mut n = (u128::from(index) * 48_271 + u128::from(mix(seed ^ 2))) % space;
        let mut chars = [b'0'; 6];
        for c in chars.iter_mut().rev() {
            *c = USCC_ALPHABET[(n % 31) as usize];
            n /= 31;
        }
        format!("MA{}", String::from_utf8_lossy(&chars))
    };
    let first17 = format!("91370830{body}{}", org_check(&body));
    let check = check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// Sizes: employees by a class drawn per sector.
fn employees(r: &mut Rng, sector: Sector) -> i64 {
    let (micro, small, medium) = match sector {
        Sector::Trade => (0.72, 0.26, 0.02),
        Sector::Supporting => (0.45, 0.45, 0.09),
        _ => (0.48, 0.38, 0.115),
    };
    let u = r.f();
    if u < micro {
        r.int(3, 19)
    } else if u < micro + small {
        r.log_int(20, 299)
    } else if u < micro + small + medium {
        r.log_int(300, 999)
    } else {
        r.log_int(1000, 3500)
    }
}

/// Facts in the making: each is kept with probability `p × diligence`.
struct Builder<'a> {
    r: &'a mut Rng,
    diligence: f64,
    facts: Vec<(&'static str, Value)>,
}

impl Builder<'_> {
    fn put(&mut self, name: &'static str, p: f64, v: impl Into<Value>) {
        if self.r.chance((p * self.diligence).min(1.0)) {
            self.facts.push((name, v.into()));
        }
    }
}

/// Demo enterprise `index` of `seed`, as a profile object (field names of `profile-fields.md`).
pub fn enterprise(seed: u64, index: u64) -> Map<String, Value> {
    facts(seed, index).into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The same facts as a list (cheaper to stream).
pub(crate) fn facts(seed: u64, index: u64) -> Vec<(&'static str, Value)> {
    let r = &mut Rng::new(seed, index);
    let industry: &Industry = r.weighted(INDUSTRIES, |i| i.weight);
    let sector = industry.sector;
    let town = r.weighted(TOWNS, |t| t.1).0;
    let emp = employees(r, sector);
    let size = match emp {
        0..20 => 0,
        20..300 => 1,
        300..1000 => 2,
        _ => 3,
    };
    let per_head = match sector {
        Sector::Garment => r.range(10.0, 30.0),
        Sector::Textile => r.range(20.0, 60.0),
        Sector::Supporting => r.range(25.0, 70.0),
        Sector::Trade => r.range(60.0, 250.0),
    };
    let revenue = money(emp as f64 * per_head * (0.25 * r.normal()).exp());
    let year = match size {
        0 => r.int(2010, 2025),
        1 => r.int(2003, 2024),
        2 => r.int(1998, 2020),
        _ => r.int(1995, 2015),
    };
    let (month, day) = (r.int(1, 12), r.int(1, 28));
    let code = credit_code(seed, index, year < 2015);
    let trade = format!("{}{}", r.pick(NAME_FIRST), r.pick(NAME_SECOND));
    let form = if size == 3 && r.chance(0.4) { "股份有限公司" } else { "有限公司" };
    let name = format!("汶上县{trade}{}{form}（演示）", r.pick(industry.words));

    let diligence = r.range(0.6, 1.2);
    let mut b = Builder { r, diligence, facts: Vec::with_capacity(64) };
    b.facts.push(("credit_code", code.into()));
    b.facts.push(("name", name.into()));
    b.facts.push(("region", "370830".into()));
    b.facts.push(("town", town.into()));
    if b.r.chance(0.2 + 0.15 * size as f64) {
        let park = b.r.weighted(PARKS, |p| p.1).0;
        b.facts.push(("park", park.into()));
    }
    let chamber = match (sector, b.r.f()) {
        (Sector::Garment | Sector::Textile, u) if u < 0.45 => Some(COUNTY_CHAMBER.to_string()),
        (_, u) if u < 0.7 => Some(format!("{town}商会")),
        _ => None,
    };
    if let Some(c) = chamber {
        b.facts.push(("chamber", c.into()));
    }
    b.facts.push(("industry_code", industry.code.into()));
    b.put("established", 1.0, format!("{year:04}-{month:02}-{day:02}"));
    let capital = [(10, 200), (100, 2000), (1000, 8000), (5000, 30000)][size];
    let capital = b.r.int(capital.0 / 10, capital.1 / 10) * 10;
    b.put("registered_capital", 0.9, capital);
    let ownership = *b.r.weighted(&[("private", 92), ("foreign", 2), ("collective", 2), ("state", 1), ("other", 3)], |o| o.1);
    b.put("ownership", 0.9, ownership.0);

    // Size and finance.
    b.put("employees", 1.0, emp);
    b.put("revenue", 0.92, revenue);
    let assets = money(revenue * b.r.range(0.5, 1.3));
    b.put("total_assets", 0.75, assets);
    let margin = 0.03 + 0.04 * b.r.normal();
    b.put("taxable_income", 0.6, money(revenue * margin));
    let tax = money(revenue * b.r.range(0.01, 0.05));
    b.put("tax_paid", 0.75, tax);
    let general = if revenue > 500.0 { b.r.chance(0.95) } else { b.r.chance(0.15) };
    b.put("vat_status", 0.85, if general { "general" } else { "small_scale" });
    let grade = if year >= 2024 { "M" } else { b.r.weighted(&[("A", 30), ("B", 45), ("M", 17), ("C", 6), ("D", 2)], |g| g.1).0 };
    b.put("tax_credit_grade", 0.7, grade);
    let dishonest = b.r.chance(0.01);
    b.put("serious_dishonesty", 0.8, dishonest);
    let violation = b.r.chance(0.02);
    b.put("major_violation_3y", 0.7, violation);

    // Employment.
    let insured = ((emp as f64) * b.r.range(0.55, 1.0)).round() as i64;
    let insured_start = ((insured as f64) * b.r.range(0.85, 1.12)).round() as i64;
    b.put("insured_employees", 0.88, insured);
    b.put("insured_employees_start", 0.72, insured_start);
    let layoffs = if b.r.chance(0.3) { b.r.int(1, (insured_start / 12).max(1)) } else { 0 };
    b.put("layoffs", 0.72, layoffs);
    let premium = money((insured + insured_start) as f64 / 2.0 * 4.8 * 0.01 * b.r.range(0.9, 1.1));
    b.put("ui_premium_paid", 0.78, premium);
    let months_alive = (2026 - year) * 12 - month + 1;
    let months = if b.r.chance(0.1) { b.r.int(1, 11) } else { b.r.int(12, 120) }.min(months_alive.max(1));
    b.put("ui_paid_months", 0.7, months);
    let si_arrears = b.r.chance(0.03);
    b.put("social_insurance_arrears", 0.75, si_arrears);
    let wage_arrears = b.r.chance(0.01);
    b.put("wage_arrears", 0.75, wage_arrears);
    let hires = ((emp as f64) * b.r.range(0.03, 0.3)).round() as i64;
    b.put("new_hires", 0.6, hires);
    let youth = ((hires as f64) * b.r.range(0.0, 0.35)).round() as i64;
    b.put("new_hires_youth", 0.5, youth);
    let hard = if b.r.chance(0.3) { b.r.int(0, hires.min(3)) } else { 0 };
    b.put("new_hires_disadvantaged", 0.45, hard);
    let target = ((hires as f64) * b.r.range(0.0, 0.3)).round() as i64;
    b.put("new_hires_target_groups", 0.4, target);
    let disabled = if b.r.chance(0.25) { b.r.int(1, (emp / 50).max(1)) } else { 0 };
    b.put("disabled_employees", 0.5, disabled);
    let trained = ((emp as f64) * b.r.range(0.0, 0.5)).round() as i64;
    b.put("training_participants", 0.5, trained);

    // Financing.
    let (balance, new_loans) = if b.r.chance(0.6) {
        let bal = money(revenue * b.r.range(0.05, 0.4));
        (bal, money(bal * b.r.range(0.0, 0.6)))
    } else {
        (0.0, 0.0)
    };
    b.put("loan_balance", 0.55, balance);
    b.put("new_loans", 0.5, new_loans);
    let startup = if size <= 1 && year >= 2020 && b.r.chance(0.3) { *b.r.pick(&[30, 50, 100, 200, 300]) } else { 0 };
    b.put("startup_loan_amount", 0.5, startup);
    let guarantee = if b.r.chance(0.15) { money(b.r.range(50.0, 500.0)) } else { 0.0 };
    b.put("guarantee_loan", 0.5, guarantee);
    let bridge = if b.r.chance(0.1) { money(b.r.range(100.0, 1000.0)) } else { 0.0 };
    b.put("bridge_loan_need", 0.45, bridge);
    let listed = match (size, b.r.f()) {
        (3, u) if u < 0.2 => "planning",
        (3, u) if u < 0.25 => "new_otc",
        (3, u) if u < 0.35 => "regional_equity",
        (_, u) if u < 0.03 => "regional_equity",
        _ => "none",
    };
    b.put("listed", 0.6, listed);

    // Technology.
    let intensity = match sector {
        _ if size == 0 && b.r.chance(0.5) => 0.0,
        Sector::Garment => b.r.range(0.005, 0.035),
        Sector::Textile => b.r.range(0.01, 0.04),
        Sector::Supporting => b.r.range(0.02, 0.05),
        Sector::Trade => b.r.range(0.0, 0.003),
    };
    let rd = money(revenue * intensity);
    b.put("rd_expense", 0.55, rd);
    let rd3 = money(rd * b.r.range(2.4, 3.1));
    b.put("rd_expense_3y", 0.4, rd3);
    let rev3 = money(revenue * b.r.range(2.5, 3.1));
    b.put("revenue_3y", 0.4, rev3);
    let tech_staff = ((emp as f64) * b.r.range(0.03, 0.15)).round() as i64;
    let rd_staff = ((tech_staff as f64) * b.r.range(0.3, 1.0)).round() as i64;
    b.put("rd_staff", 0.45, rd_staff);
    b.put("tech_staff", 0.45, tech_staff);
    let patents = if intensity > 0.025 && b.r.chance(0.4) { b.r.int(1, 2 + 2 * size as i64) } else { 0 };
    b.put("invention_patents", 0.5, patents);
    let class1 = patents + if b.r.chance(0.1) { b.r.int(0, 2) } else { 0 };
    b.put("ip_class1", 0.4, class1);
    let class2 = if intensity > 0.0 { b.r.int(0, 6 + 6 * size as i64) } else { 0 };
    b.put("ip_class2", 0.4, class2);
    let hnte = intensity >= 0.03 && class1 >= 1 && b.r.chance(0.6);
    let share = if hnte { b.r.range(0.6, 0.9) } else { b.r.range(0.0, 0.4) };
    b.put("high_tech_revenue_share", 0.35, money(share));
    b.put("hnte", 0.6, hnte);
    let tech_sme = emp <= 500 && revenue <= 20_000.0 && rd > 0.0 && b.r.chance(0.35);
    b.put("tech_sme", 0.5, tech_sme);
    let srdi = match (hnte || tech_sme, b.r.f()) {
        (true, u) if u < 0.03 => "little_giant",
        (true, u) if u < 0.18 => "srdi",
        (true, u) if u < 0.48 => "innovative",
        (false, u) if u < 0.01 => "srdi",
        (false, u) if u < 0.07 => "innovative",
        _ => "none",
    };
    b.put("srdi_level", 0.5, srdi);
    let center = match (size >= 2, b.r.f()) {
        (true, u) if u < 0.01 => "national",
        (true, u) if u < 0.09 => "province",
        (true, u) if u < 0.34 => "city",
        (false, u) if u < 0.03 => "city",
        _ => "none",
    };
    b.put("tech_center_level", 0.45, center);
    let (upgrade, equipment) = if b.r.chance(0.15 + 0.1 * size as f64) {
        let up = money(revenue * b.r.range(0.05, 0.3));
        (up, money(up * b.r.range(0.4, 0.8)))
    } else {
        (0.0, 0.0)
    };
    b.put("equipment_investment", 0.4, equipment);
    b.put("upgrade_project_investment", 0.4, upgrade);
    let main_share = money(b.r.range(0.75, 1.0));
    b.put("main_product_share", 0.4, main_share);

    // Digitalisation: a maturity score drives every answer.
    let score = (size as i64 + b.r.int(0, 2) - 1).clamp(0, 4);
    let cloud = ["none", "basic", "basic", "platform", "deep"][score as usize];
    b.put("cloud_level", 0.4, cloud);
    b.put("digital_level", 0.4, score);
    let mes = score >= 3 && b.r.chance(0.6);
    b.put("mes", 0.4, mes);
    let erp = score >= 2 && b.r.chance(0.7);
    b.put("erp", 0.45, erp);
    let workshop = match (size >= 2 && score >= 3, b.r.f()) {
        (true, u) if u < 0.05 => "province",
        (true, u) if u < 0.2 => "city",
        (true, u) if u < 0.4 => "county",
        _ => "none",
    };
    b.put("digital_workshop", 0.4, workshop);
    let factory = match (size == 3 && score == 4, b.r.f()) {
        (true, u) if u < 0.1 => "province",
        (true, u) if u < 0.3 => "city",
        _ => "none",
    };
    b.put("smart_factory", 0.4, factory);
    let two = score >= 3 && b.r.chance(0.25);
    b.put("two_integration_cert", 0.4, two);
    let invest = money(revenue * b.r.range(0.0, 0.02) * score as f64 / 2.0);
    b.put("digital_investment", 0.35, invest);
    let internet = score >= 2 && b.r.chance(0.35);
    b.put("industrial_internet", 0.4, internet);

    b.facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let code = credit_code(7, i, i % 3 == 0);
            assert_eq!(zhengce_model::uscc::validate(&code), Ok(()), "{code}");
            assert!(code.starts_with("91370830"));
            assert!(seen.insert(code));
        }
        // Organisation codes inside the GB 32100 test vectors 91350100M000100Y43 and 91110108551385082Q.
        assert_eq!(org_check("M000100Y"), '4');
        assert_eq!(org_check("55138508"), '2');
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        assert_eq!(enterprise(1, 5), enterprise(1, 5));
        assert_ne!(enterprise(1, 5), enterprise(2, 5));
    }
}
