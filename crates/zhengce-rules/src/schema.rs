//! The profile schema: field definitions, profile validation and derived facts.

use std::collections::HashMap;

use serde_json::{Map, Value};
use zhengce_model::Date;
use zhengce_model::diagnostic::suggest;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::schema::{FieldDef, FieldType};
use zhengce_model::uscc;

/// What is wrong with one field of a submitted profile.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field name as submitted.
    pub field: String,
    /// Chinese explanation.
    pub message: String,
}

/// Where a name resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// An input field, by index into [`Schema::fields`].
    Field(usize),
    /// A derived fact, by index into [`Schema::derived`].
    Derived(usize),
}

/// The compiled schema: input fields and derived facts.
#[derive(Debug)]
pub struct Schema {
    /// Input fields.
    pub fields: Vec<FieldDef>,
    /// Derived facts, with compiled expressions, in evaluation (topological) order.
    pub derived: Vec<crate::compile::CompiledDerived>,
    /// Each field's gate (`after`), by field index.
    pub gates: Vec<Option<usize>>,
    by_name: HashMap<String, Slot>,
    /// The indices of the region facts, ascending.
    region_facts: Vec<usize>,
}

impl Schema {
    pub(crate) fn new(fields: Vec<FieldDef>, derived: Vec<crate::compile::CompiledDerived>) -> Schema {
        let mut by_name = HashMap::new();
        for (i, f) in fields.iter().enumerate() {
            by_name.insert(f.name.clone(), Slot::Field(i));
        }
        for (i, d) in derived.iter().enumerate() {
            by_name.insert(d.def.name.clone(), Slot::Derived(i));
        }
        let gates = fields.iter().map(|f| f.after.as_ref().and_then(|g| fields.iter().position(|x| &x.name == g))).collect();
        let region_facts = fields.iter().enumerate().filter(|(_, f)| f.region_fact).map(|(i, _)| i).collect();
        Schema { fields, derived, gates, by_name, region_facts }
    }

    /// The indices of the fields that are region facts, ascending.
    pub fn region_facts(&self) -> &[usize] {
        &self.region_facts
    }

    /// Whether field `i` is a region fact.
    pub fn is_region_fact(&self, i: usize) -> bool {
        self.fields.get(i).is_some_and(|f| f.region_fact)
    }

    /// Resolves a name to a field or derived fact.
    pub fn slot(&self, name: &str) -> Option<Slot> {
        self.by_name.get(name).copied()
    }

    /// The field definition by name.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        match self.slot(name)? {
            Slot::Field(i) => self.fields.get(i),
            Slot::Derived(_) => None,
        }
    }

    /// Label, unit and type for any name (field or derived).
    pub fn describe(&self, name: &str) -> Option<(&str, &str, &FieldType)> {
        match self.slot(name)? {
            Slot::Field(i) => self.fields.get(i).map(|f| (f.label.as_str(), f.unit.as_str(), &f.ty)),
            Slot::Derived(i) => self.derived.get(i).map(|d| (d.def.label.as_str(), d.def.unit.as_str(), &d.def.ty)),
        }
    }

    /// All names (fields then derived), for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str()).chain(self.derived.iter().map(|d| d.def.name.as_str()))
    }

    /// Converts one non-null JSON value of input field `i` as [`Schema::parse_profile`] does
    /// (the same checks and the same value); `Err` with the message's detail when it is not
    /// valid for the field, or when `i` is not an input field.
    pub fn field_value(&self, i: usize, value: &Value) -> Result<FactValue, String> {
        match self.fields.get(i) {
            Some(def) => convert(def, value),
            None => Err(format!("没有第 {i} 个字段")),
        }
    }

    /// Validates a JSON object against the schema. `null` means unknown.
    /// Every problem is reported, not only the first.
    pub fn parse_profile(&self, obj: &Map<String, Value>) -> Result<Profile, Vec<FieldError>> {
        let mut profile = Profile::new();
        let mut errors = Vec::new();
        for (key, value) in obj {
            if value.is_null() {
                continue;
            }
            let err = |message: String| FieldError { field: key.clone(), message };
            let def = match self.slot(key) {
                Some(Slot::Field(i)) if self.fields[i].region_fact => {
                    let label = &self.fields[i].label;
                    errors.push(err(format!(
                        "`{key}`（{label}）是地区事实（对整个地区都成立，如试点城市、地方是否采用某项选项），由主管部门在规则库 rules/region-facts.ron 中维护，不能在企业画像中填写，请删除该字段"
                    )));
                    continue;
                }
                Some(Slot::Field(i)) => &self.fields[i],
                Some(Slot::Derived(i)) => {
                    let label = &self.derived[i].def.label;
                    errors.push(err(format!("`{key}`（{label}）是由规则计算的派生事实，不能直接填写，请删除该字段")));
                    continue;
                }
                None => {
                    let hint = suggest(key, self.fields.iter().map(|f| f.name.as_str()))
                        .map(|s| format!("，是否是 `{s}`？"))
                        .unwrap_or_default();
                    errors.push(err(format!("未知字段 `{key}`{hint}")));
                    continue;
                }
            };
            match convert(def, value) {
                Ok(v) => {
                    profile.insert(key.clone(), v);
                }
                Err(m) => errors.push(err(format!("{}（{key}）：{m}", def.label))),
            }
        }
        if errors.is_empty() { Ok(profile) } else { Err(errors) }
    }
}

impl Schema {
    /// Validates region facts given as a JSON object (an example's `region_facts`): only fields
    /// the schema marks `region_fact`, each of its type.
    pub fn parse_region_facts(&self, obj: &Map<String, Value>) -> Result<Profile, Vec<FieldError>> {
        let mut out = Profile::new();
        let mut errors = Vec::new();
        for (key, value) in obj {
            let err = |message: String| FieldError { field: key.clone(), message };
            match self.field(key) {
                Some(def) if def.region_fact => match convert(def, value) {
                    Ok(v) => {
                        out.insert(key.clone(), v);
                    }
                    Err(m) => errors.push(err(format!("{}（{key}）：{m}", def.label))),
                },
                _ => errors.push(err(format!("`{key}` 不是地区事实（schema 中标记 region_fact 的字段）"))),
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "空值",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "文本",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

pub(crate) fn convert(def: &FieldDef, value: &Value) -> Result<FactValue, String> {
    let want_num = || value.as_f64().ok_or_else(|| format!("应为数字，实际为{}", type_name(value)));
    let want_text = || value.as_str().ok_or_else(|| format!("应为文本，实际为{}", type_name(value)));
    match &def.ty {
        FieldType::Text => Ok(FactValue::Text(want_text()?.to_string())),
        FieldType::CreditCode => {
            let s = want_text()?;
            uscc::validate(s).map_err(|e| e.to_string())?;
            Ok(FactValue::Text(s.to_string()))
        }
        FieldType::Region => {
            let s = want_text()?;
            if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{s}` 不是6位行政区划代码（如汶上县 370830）"));
            }
            Ok(FactValue::Text(s.to_string()))
        }
        FieldType::IndustryCode => {
            let s = want_text()?;
            if !(2..=4).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{s}` 不是2–4位国民经济行业代码（GB/T 4754-2017，如 1811），不要带门类字母"));
            }
            Ok(FactValue::Text(s.to_string()))
        }
        FieldType::Date => {
            let s = want_text()?;
            s.parse::<Date>().map(FactValue::Date).map_err(|_| format!("`{s}` 不是有效日期，应为 YYYY-MM-DD"))
        }
        FieldType::Money | FieldType::Number => {
            let n = want_num()?;
            if matches!(def.ty, FieldType::Money) && n < 0.0 {
                return Err(format!("不能为负数（{n}）"));
            }
            Ok(FactValue::Num(n))
        }
        FieldType::SignedMoney => Ok(FactValue::Num(want_num()?)),
        FieldType::Count => {
            let n = want_num()?;
            if n < 0.0 {
                return Err(format!("人数/个数不能为负数（{n}）"));
            }
            if n.fract() != 0.0 {
                return Err(format!("应为整数（{n}）"));
            }
            Ok(FactValue::Num(n))
        }
        FieldType::Ratio => {
            let n = want_num()?;
            if !(0.0..=1.0).contains(&n) {
                return Err(format!("比例应在 0 到 1 之间（{n}），例如 65% 写作 0.65"));
            }
            Ok(FactValue::Num(n))
        }
        FieldType::Integer { min, max } => {
            let n = want_num()?;
            if n.fract() != 0.0 || n < *min as f64 || n > *max as f64 {
                return Err(format!("应为 {min} 到 {max} 之间的整数（{n}）"));
            }
            Ok(FactValue::Num(n))
        }
        FieldType::Bool => {
            value.as_bool().map(FactValue::Bool).ok_or_else(|| format!("应为 true 或 false，实际为{}", type_name(value)))
        }
        FieldType::Enum(values) => {
            let s = want_text()?;
            if values.iter().any(|(v, _)| v == s) {
                return Ok(FactValue::Text(s.to_string()));
            }
            let allowed: Vec<String> = values.iter().map(|(v, l)| format!("{v}（{l}）")).collect();
            let hint =
                suggest(s, values.iter().map(|(v, _)| v.as_str())).map(|x| format!("，是否是 `{x}`？")).unwrap_or_default();
            Err(format!("`{s}` 不是可选值{hint} 可选：{}", allowed.join("、")))
        }
    }
}
