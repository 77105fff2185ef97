//! The roster column catalogue: every field of `profile-fields.md` with its Chinese header, the
//! other headers officers' spreadsheets use for it, and the kind of value its cells hold.
//!
//! This table is the import contract (and the header row `zhengce demo-data` writes). A header is
//! matched after [`normalize_header`]: full-width characters folded, spaces, `*` and a trailing
//! unit in brackets removed, ASCII lower-cased, so `从业人员（人）`, `*从业人员` and `employees`
//! all name the same column.

use std::collections::HashMap;
use std::sync::LazyLock;

use zhengce_model::schema::FieldType;

/// Enum values: the canonical code and its Chinese labels (the first one is written by demo-data).
pub type EnumValues = &'static [(&'static str, &'static [&'static str])];

/// What a cell of a column holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Free text.
    Text,
    /// 统一社会信用代码 (upper-cased, spaces removed).
    CreditCode,
    /// 6-digit division code, kept as text.
    Region,
    /// GB/T 4754 code, 2–4 digits, kept as text.
    IndustryCode,
    /// A date, normalised to `YYYY-MM-DD`.
    Date,
    /// 万元, non-negative.
    Money,
    /// 万元, may be negative.
    SignedMoney,
    /// A whole non-negative number.
    Count,
    /// A ratio 0–1 (`35%` is accepted).
    Ratio,
    /// A whole number within bounds.
    Integer {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// Yes / no (是/否, true/false, 1/0, …).
    Bool,
    /// One of the listed codes (the code or any of its labels is accepted).
    Enum(EnumValues),
}

/// One roster column.
#[derive(Debug)]
pub struct Field {
    /// Canonical profile field name.
    pub name: &'static str,
    /// The Chinese header written by demo-data (unit in full-width brackets).
    pub header: &'static str,
    /// Other accepted headers.
    pub aliases: &'static [&'static str],
    /// Cell kind.
    pub kind: Kind,
}

const OWNERSHIP: EnumValues = &[
    ("private", &["民营", "私营", "民营企业", "私营企业"]),
    ("state", &["国有", "国有企业", "国有控股"]),
    ("foreign", &["外资", "外资企业", "外商投资", "外商投资企业", "港澳台"]),
    ("collective", &["集体", "集体企业"]),
    ("other", &["其他"]),
];
const VAT: EnumValues = &[("general", &["一般纳税人"]), ("small_scale", &["小规模纳税人", "小规模"])];
const GRADE: EnumValues = &[("A", &["A级"]), ("B", &["B级"]), ("M", &["M级"]), ("C", &["C级"]), ("D", &["D级"])];
const LISTED: EnumValues = &[
    ("none", &["未上市", "无", "否"]),
    ("planning", &["拟上市", "上市培育"]),
    ("new_otc", &["新三板", "新三板挂牌"]),
    ("regional_equity", &["区域性股权市场", "齐鲁股交", "区域股权市场挂牌"]),
    ("a_share", &["A股", "A股上市", "主板上市"]),
];
const SRDI: EnumValues = &[
    ("none", &["无", "否"]),
    ("innovative", &["创新型中小企业", "创新型"]),
    ("srdi", &["专精特新中小企业", "专精特新"]),
    ("little_giant", &["专精特新“小巨人”", "专精特新小巨人", "小巨人", "专精特新\"小巨人\""]),
];
const CENTER: EnumValues = &[("none", &["无", "否"]), ("city", &["市级"]), ("province", &["省级"]), ("national", &["国家级"])];
const CLOUD: EnumValues = &[
    ("none", &["未上云", "无", "否"]),
    ("basic", &["基础设施上云", "基础上云"]),
    ("platform", &["业务系统上云", "平台上云"]),
    ("deep", &["数据智能上云", "深度上云"]),
];
const CERT_LEVEL: EnumValues =
    &[("none", &["无", "否"]), ("county", &["县级"]), ("city", &["市级"]), ("province", &["省级"]), ("national", &["国家级"])];

macro_rules! f {
    ($name:literal, $header:literal, [$($alias:literal),*], $kind:expr) => {
        Field { name: $name, header: $header, aliases: &[$($alias),*], kind: $kind }
    };
}

/// Every profile field, in the order of `profile-fields.md` (and of demo-data's columns).
pub static FIELDS: &[Field] = &[
    // Identity and basics.
    f!("credit_code", "统一社会信用代码", ["信用代码", "社会信用代码", "USCC"], Kind::CreditCode),
    f!("name", "企业名称", ["单位名称", "公司名称", "企业全称"], Kind::Text),
    f!("region", "行政区划代码", ["区划代码", "注册地区划代码"], Kind::Region),
    f!("town", "所属镇街", ["镇街", "乡镇街道", "所属乡镇", "镇（街道）"], Kind::Text),
    f!("park", "所属园区", ["园区"], Kind::Text),
    f!("chamber", "所属商会", ["商会"], Kind::Text),
    f!("industry_code", "行业代码", ["国民经济行业代码", "行业分类代码"], Kind::IndustryCode),
    f!("established", "成立日期", ["注册日期", "成立时间"], Kind::Date),
    f!("registered_capital", "注册资本（万元）", [], Kind::Money),
    f!("ownership", "企业性质", ["所有制类型", "经济类型"], Kind::Enum(OWNERSHIP)),
    // Size and finance.
    f!("employees", "从业人员（人）", ["从业人数", "职工人数", "员工人数"], Kind::Count),
    f!("revenue", "营业收入（万元）", ["主营业务收入"], Kind::Money),
    f!("total_assets", "资产总额（万元）", [], Kind::Money),
    f!("taxable_income", "应纳税所得额（万元）", [], Kind::SignedMoney),
    f!("tax_paid", "纳税总额（万元）", ["纳税额", "实缴税金"], Kind::Money),
    f!("vat_status", "纳税人类型", ["增值税纳税人类型"], Kind::Enum(VAT)),
    f!("tax_credit_grade", "纳税信用等级", [], Kind::Enum(GRADE)),
    f!("serious_dishonesty", "严重失信", ["是否严重失信", "失信被执行人"], Kind::Bool),
    f!("major_violation_3y", "近三年重大违法违规", ["近三年重大安全环保质量事故"], Kind::Bool),
    // Employment.
    f!("insured_employees", "参保职工（人）", ["参保职工人数", "失业保险参保人数"], Kind::Count),
    f!("insured_employees_start", "年初参保职工（人）", ["年初参保人数"], Kind::Count),
    f!("layoffs", "裁员人数（人）", [], Kind::Count),
    f!("ui_premium_paid", "上年实缴失业保险费（万元）", ["实缴失业保险费"], Kind::Money),
    f!("ui_paid_months", "连续足额缴纳失业保险月数", ["失业保险连续缴费月数"], Kind::Count),
    f!("social_insurance_arrears", "欠缴社保", ["是否欠缴社保"], Kind::Bool),
    f!("wage_arrears", "拖欠工资", ["是否拖欠工资"], Kind::Bool),
    f!("new_hires", "新招用员工（人）", ["新招用人数"], Kind::Count),
    f!("new_hires_youth", "新招用青年（人）", ["新招用高校毕业生及青年"], Kind::Count),
    f!("new_hires_disadvantaged", "新招用就业困难人员（人）", [], Kind::Count),
    f!("new_hires_target_groups", "新招用创业担保贷款重点群体（人）", [], Kind::Count),
    f!("disabled_employees", "残疾职工（人）", ["残疾职工人数"], Kind::Count),
    f!("training_participants", "职业培训人数（人）", [], Kind::Count),
    // Financing.
    f!("loan_balance", "贷款余额（万元）", [], Kind::Money),
    f!("new_loans", "新增贷款（万元）", [], Kind::Money),
    f!("startup_loan_amount", "创业担保贷款（万元）", [], Kind::Money),
    f!("guarantee_loan", "政府性融资担保贷款（万元）", [], Kind::Money),
    f!("bridge_loan_need", "应急转贷需求（万元）", [], Kind::Money),
    f!("listed", "上市挂牌情况", [], Kind::Enum(LISTED)),
    // Technology upgrades.
    f!("rd_expense", "研发费用（万元）", [], Kind::Money),
    f!("rd_expense_3y", "近三年研发费用（万元）", [], Kind::Money),
    f!("revenue_3y", "近三年营业收入（万元）", [], Kind::Money),
    f!("rd_staff", "研发人员（人）", [], Kind::Count),
    f!("tech_staff", "科技人员（人）", [], Kind::Count),
    f!("invention_patents", "发明专利（件）", [], Kind::Count),
    f!("ip_class1", "I类知识产权（件）", ["一类知识产权"], Kind::Count),
    f!("ip_class2", "II类知识产权（件）", ["二类知识产权"], Kind::Count),
    f!("high_tech_revenue_share", "高新技术产品收入占比", [], Kind::Ratio),
    f!("hnte", "高新技术企业", ["是否高新技术企业"], Kind::Bool),
    f!("tech_sme", "科技型中小企业", ["是否科技型中小企业"], Kind::Bool),
    f!("srdi_level", "专精特新等级", [], Kind::Enum(SRDI)),
    f!("tech_center_level", "企业技术中心级别", [], Kind::Enum(CENTER)),
    f!("equipment_investment", "技改设备投资（万元）", [], Kind::Money),
    f!("upgrade_project_investment", "技改项目总投资（万元）", [], Kind::Money),
    f!("main_product_share", "主营业务收入占比", [], Kind::Ratio),
    // Digitalisation.
    f!("cloud_level", "上云等级", [], Kind::Enum(CLOUD)),
    f!("digital_level", "数字化水平等级", ["数字化水平"], Kind::Integer { min: 0, max: 6 }),
    f!("mes", "使用MES", ["MES"], Kind::Bool),
    f!("erp", "使用ERP", ["ERP"], Kind::Bool),
    f!("digital_workshop", "数字化车间", [], Kind::Enum(CERT_LEVEL)),
    f!("smart_factory", "智能工厂", [], Kind::Enum(CERT_LEVEL)),
    f!("two_integration_cert", "两化融合管理体系认证", ["两化融合贯标"], Kind::Bool),
    f!("digital_investment", "数字化转型投入（万元）", [], Kind::Money),
    f!("industrial_internet", "接入工业互联网平台", ["工业互联网"], Kind::Bool),
];

/// Derived facts (computed by rules, never imported): name and the headers that mean them.
pub static DERIVED: &[(&str, &[&str])] = &[
    ("size_class", &["企业规模", "规模"]),
    ("years_established", &["成立年限"]),
    ("layoff_rate", &["裁员率"]),
    ("rd_intensity", &["研发强度", "研发投入强度"]),
    ("is_small_low_profit", &["小型微利企业"]),
];

/// What a header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderMatch {
    /// A profile field (index into [`FIELDS`]).
    Field(usize),
    /// A derived fact: ignored on import, with a warning.
    Derived(&'static str),
}

static LOOKUP: LazyLock<HashMap<String, HeaderMatch>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (i, f) in FIELDS.iter().enumerate() {
        for h in [f.name, f.header].iter().chain(f.aliases) {
            map.insert(normalize_header(h), HeaderMatch::Field(i));
        }
    }
    for (name, headers) in DERIVED {
        for h in std::iter::once(name).chain(headers.iter()) {
            map.insert(normalize_header(h), HeaderMatch::Derived(name));
        }
    }
    map
});

/// Folds full-width ASCII (U+FF01–FF5E, U+3000) to half-width.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The form headers are compared in.
pub fn normalize_header(h: &str) -> String {
    let mut s: String = fold_width(h).chars().filter(|c| !c.is_whitespace() && *c != '*').collect();
    if s.ends_with(')')
        && let Some(open) = s.rfind('(')
        && open > 0
    {
        s.truncate(open);
    }
    s.to_ascii_lowercase()
}

/// What a roster header names, if anything.
pub fn match_header(h: &str) -> Option<HeaderMatch> {
    LOOKUP.get(&normalize_header(h)).copied()
}

/// The cell kind for a schema field type (enums are typed as text and translated by label).
pub fn kind_of(ty: &FieldType) -> Kind {
    match ty {
        FieldType::Text | FieldType::Enum(_) => Kind::Text,
        FieldType::CreditCode => Kind::CreditCode,
        FieldType::Region => Kind::Region,
        FieldType::IndustryCode => Kind::IndustryCode,
        FieldType::Date => Kind::Date,
        FieldType::Money => Kind::Money,
        FieldType::SignedMoney | FieldType::Number => Kind::SignedMoney,
        FieldType::Count => Kind::Count,
        FieldType::Ratio => Kind::Ratio,
        FieldType::Integer { min, max } => Kind::Integer { min: *min, max: *max },
        FieldType::Bool => Kind::Bool,
    }
}

/// The field with this canonical name.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_unambiguous_and_cover_the_vocabulary() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for f in FIELDS {
            for h in [f.name, f.header].iter().chain(f.aliases) {
                if let Some(prev) = seen.insert(normalize_header(h), f.name) {
                    assert_eq!(prev, f.name, "header {h} is ambiguous");
                }
            }
        }
        assert_eq!(FIELDS.len(), 63);
        assert_eq!(match_header("从业人员（人）"), Some(HeaderMatch::Field(10)));
        assert_eq!(match_header("*从业人员"), Some(HeaderMatch::Field(10)));
        assert_eq!(match_header(" Employees "), Some(HeaderMatch::Field(10)));
        assert_eq!(match_header("统一社会信用代码"), Some(HeaderMatch::Field(0)));
        assert_eq!(match_header("企业规模"), Some(HeaderMatch::Derived("size_class")));
        assert_eq!(match_header("备注"), None);
    }
}
