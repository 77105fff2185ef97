//! The profile form, generated from the schema: fields grouped by dimension, each with its label,
//! unit and question, every one optional. An empty field, the 不清楚 radio and the 不清楚 option all
//! mean "unknown" (never zero or false).
//!
//! Values travel as the strings the user typed ([`Values`]), so a page can be shown again exactly
//! as submitted; [`to_profile`] turns them into a profile JSON object, naming each bad field.
//! Ratios are entered as percentages.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use zhengce_engine::{Schema, Snapshot};
use zhengce_model::schema::{FieldDef, FieldType};

/// Field name → the text in the form.
pub(crate) type Values = BTreeMap<String, String>;

/// Field name → what is wrong with it (Chinese).
pub(crate) type Errors = BTreeMap<String, String>;

/// A choice of a select or radio group.
#[derive(Clone, Debug)]
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One form field, ready to print.
#[derive(Clone, Debug)]
pub(crate) struct FieldView {
    pub name: String,
    /// The element id (prefix + name), unique on the page.
    pub id: String,
    pub label: String,
    /// The unit shown after the input (`%` for ratios).
    pub unit: String,
    /// The schema's question, as help text.
    pub help: String,
    /// `text`, `number`, `date`, `bool` or `enum`.
    pub kind: &'static str,
    /// `decimal`, `numeric` or `text` (the phone keyboard).
    pub inputmode: &'static str,
    pub placeholder: String,
    /// Choices for `bool` (是/否/不清楚) and `enum` (不清楚 first).
    pub options: Vec<Opt>,
    pub value: String,
    pub error: String,
    pub readonly: bool,
}

/// A group of fields (one dimension).
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub key: String,
    pub title: String,
    pub open: bool,
    pub filled: usize,
    pub fields: Vec<FieldView>,
}

/// Display order and Chinese titles of the schema's dimensions.
const GROUPS: &[(&str, &str)] = &[
    ("identity", "基本信息"),
    ("size", "规模与财务"),
    ("employment", "用工与社保"),
    ("financing", "融资"),
    ("technology", "技术创新与技改"),
    ("digital", "数字化（智改数转）"),
    ("compliance", "信用与合规"),
];

/// Groups opened by default (the facts most policies ask about).
const OPEN_BY_DEFAULT: &[&str] = &["identity", "size", "employment"];

/// The Chinese title of a dimension key.
pub(crate) fn group_title(key: &str) -> String {
    GROUPS.iter().find(|(k, _)| *k == key).map_or_else(|| key.to_string(), |(_, t)| (*t).to_string())
}

/// The form's groups for `values`, with `errors` shown under their fields. `locked` fields are
/// shown read-only (an enterprise's own credit code).
pub(crate) fn groups(schema: &Schema, values: &Values, errors: &Errors, locked: &[&str]) -> Vec<Group> {
    let mut keys: Vec<&str> = GROUPS.iter().map(|(k, _)| *k).collect();
    for f in &schema.fields {
        if !keys.contains(&f.dimension.as_str()) {
            keys.push(&f.dimension);
        }
    }
    keys.iter()
        .filter_map(|key| {
            let fields: Vec<FieldView> = schema
                .fields
                .iter()
                .filter(|f| f.dimension == *key)
                .map(|def| {
                    let mut v = field_view(def, values.get(&def.name).map_or("", String::as_str), errors.get(&def.name), "f");
                    v.readonly = locked.contains(&def.name.as_str());
                    v
                })
                .collect();
            if fields.is_empty() {
                return None;
            }
            let filled = fields.iter().filter(|f| !f.value.is_empty()).count();
            let has_error = fields.iter().any(|f| !f.error.is_empty());
            Some(Group {
                key: (*key).to_string(),
                title: group_title(key),
                open: OPEN_BY_DEFAULT.contains(key) || filled > 0 || has_error,
                filled,
                fields,
            })
        })
        .collect()
}

/// A field's view with `value`; `prefix` keeps ids unique (`f` in the form, `q` in questions).
pub(crate) fn field_view(def: &FieldDef, value: &str, error: Option<&String>, prefix: &str) -> FieldView {
    let mut v = FieldView {
        name: def.name.clone(),
        id: format!("{prefix}-{}", def.name),
        label: def.label.clone(),
        unit: def.unit.clone(),
        help: def.question.clone(),
        kind: "text",
        inputmode: "text",
        placeholder: String::new(),
        options: Vec::new(),
        value: value.to_string(),
        error: error.cloned().unwrap_or_default(),
        readonly: false,
    };
    match &def.ty {
        FieldType::Text => {}
        FieldType::CreditCode => v.placeholder = "18位，如 91370830MA3C4K5L83".into(),
        FieldType::Region => {
            v.inputmode = "numeric";
            v.placeholder = "6位代码，汶上县为 370830".into();
        }
        FieldType::IndustryCode => {
            v.inputmode = "numeric";
            v.placeholder = "2–4位，如 1811".into();
        }
        FieldType::Date => v.kind = "date",
        FieldType::Money | FieldType::SignedMoney | FieldType::Number => {
            v.kind = "number";
            v.inputmode = "decimal";
        }
        FieldType::Count => {
            v.kind = "number";
            v.inputmode = "numeric";
        }
        FieldType::Integer { min, max } => {
            v.kind = "number";
            v.inputmode = "numeric";
            v.placeholder = format!("{min}–{max}");
        }
        FieldType::Ratio => {
            v.kind = "number";
            v.inputmode = "decimal";
            v.unit = "%".into();
            v.placeholder = "0–100".into();
        }
        FieldType::Bool => {
            v.kind = "bool";
            v.options = [("true", "是"), ("false", "否"), ("", "不清楚")]
                .iter()
                .map(|(val, label)| Opt { value: (*val).into(), label: (*label).into(), selected: value == *val })
                .collect();
        }
        FieldType::Enum(choices) => {
            v.kind = "enum";
            v.options.push(Opt { value: String::new(), label: "不清楚".into(), selected: value.is_empty() });
            v.options.extend(choices.iter().map(|(val, label)| Opt {
                value: val.clone(),
                label: label.clone(),
                selected: value == val,
            }));
        }
    }
    v
}

/// A plain text field for a name the schema does not know (never expected; keeps pages whole).
pub(crate) fn text_view(name: &str, label: &str) -> FieldView {
    FieldView {
        name: name.to_string(),
        id: format!("q-{name}"),
        label: label.to_string(),
        unit: String::new(),
        help: String::new(),
        kind: "text",
        inputmode: "text",
        placeholder: String::new(),
        options: Vec::new(),
        value: String::new(),
        error: String::new(),
        readonly: false,
    }
}

/// A number as the form shows it: no exponent, at most 6 decimals, no trailing zeros.
pub(crate) fn number_text(n: f64) -> String {
    let s = format!("{:.6}", (n * 1e6).round() / 1e6);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// The form values of a stored profile.
pub(crate) fn from_profile(schema: &Schema, profile: &Map<String, Value>) -> Values {
    let mut out = Values::new();
    for def in &schema.fields {
        let Some(v) = profile.get(&def.name) else { continue };
        let text = match (v, &def.ty) {
            (Value::Number(n), FieldType::Ratio) => n.as_f64().map(|x| number_text(x * 100.0)),
            (Value::Number(n), _) => n.as_f64().map(number_text),
            (Value::Bool(b), _) => Some(b.to_string()),
            (Value::String(s), _) => Some(s.clone()),
            _ => None,
        };
        if let Some(t) = text {
            out.insert(def.name.clone(), t);
        }
    }
    out
}

/// The name prefix of a question's answer in the results (`q:layoffs`).
pub(crate) const ANSWER_PREFIX: &str = "q:";

/// The form values of a submission: for each schema field, the first non-empty value; a question
/// answered in the results (`q:<field>`) fills a field the form left empty.
pub(crate) fn from_pairs(schema: &Schema, pairs: &[(String, String)]) -> Values {
    let mut out = Values::new();
    for (k, v) in pairs {
        let k = &k.strip_prefix(ANSWER_PREFIX).unwrap_or(k).to_string();
        let v = v.trim();
        if v.is_empty() || out.contains_key(k) || schema.field(k).is_none() {
            continue;
        }
        out.insert(k.clone(), v.chars().take(500).collect());
    }
    out
}

/// Folds full-width digits and punctuation to ASCII and drops thousands separators and spaces.
fn fold_number(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '．' | '。' => Some('.'),
            '－' | '—' => Some('-'),
            '，' | ',' | ' ' | '\u{3000}' => None,
            c => Some(c),
        })
        .collect()
}

fn parse_number(raw: &str, units: &[&str]) -> Option<f64> {
    let mut s = fold_number(raw);
    for u in units {
        if let Some(t) = s.strip_suffix(u) {
            s = t.to_string();
            break;
        }
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Converts form values into a profile JSON object, with an error per bad field. Values that
/// convert are then checked by the schema itself (credit-code check digit, ranges, …).
pub(crate) fn to_profile(snap: &Snapshot, values: &Values) -> (Map<String, Value>, Errors) {
    let mut obj = Map::new();
    let mut errors = Errors::new();
    let Some(schema) = snap.schema() else {
        errors.insert(String::new(), "规则库的字段定义无法加载".into());
        return (obj, errors);
    };
    for (name, raw) in values {
        let Some(def) = schema.field(name) else { continue };
        let unit_suffixes = [def.unit.as_str(), "万元", "万"];
        let number = || parse_number(raw, &unit_suffixes).ok_or_else(|| "请填写数字".to_string());
        let converted: Result<Value, String> = match &def.ty {
            FieldType::Text => {
                if raw.chars().count() > 200 {
                    Err("不能超过200个字".into())
                } else {
                    Ok(Value::String(raw.clone()))
                }
            }
            FieldType::CreditCode => Ok(Value::String(fold_number(raw).to_uppercase())),
            FieldType::Region | FieldType::IndustryCode => Ok(Value::String(fold_number(raw))),
            FieldType::Date => Ok(Value::String(raw.clone())),
            FieldType::Money | FieldType::SignedMoney | FieldType::Number => number().map(Value::from),
            FieldType::Count => number().and_then(|x| {
                if x >= 0.0 && x.fract() == 0.0 && x < 1e15 {
                    Ok(Value::from(x as u64))
                } else {
                    Err("请填写不小于0的整数".into())
                }
            }),
            FieldType::Integer { min, max } => number().and_then(|x| {
                if x.fract() == 0.0 && x >= *min as f64 && x <= *max as f64 {
                    Ok(Value::from(x as i64))
                } else {
                    Err(format!("请填写 {min} 到 {max} 之间的整数"))
                }
            }),
            FieldType::Ratio => parse_number(raw.trim_end_matches(['%', '％']), &[])
                .ok_or_else(|| "请填写百分比数字（0–100）".to_string())
                .and_then(|p| {
                    if (0.0..=100.0).contains(&p) {
                        Ok(Value::from(p / 100.0))
                    } else {
                        Err("百分比应在 0 到 100 之间".into())
                    }
                }),
            FieldType::Bool => match raw.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("请选择 是、否 或 不清楚".into()),
            },
            FieldType::Enum(choices) => {
                if choices.iter().any(|(v, _)| v == raw) {
                    Ok(Value::String(raw.clone()))
                } else {
                    Err("请从列表中选择".into())
                }
            }
        };
        match converted {
            Ok(v) => {
                obj.insert(name.clone(), v);
            }
            Err(m) => {
                errors.insert(name.clone(), m);
            }
        }
    }
    if let Err(es) = snap.parse_profile_json(&Value::Object(obj.clone())) {
        for e in es {
            obj.remove(&e.field);
            errors.entry(e.field).or_insert(e.message);
        }
    }
    (obj, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fold_and_format() {
        assert_eq!(parse_number("１，２００.5万元", &["万元"]), Some(1200.5));
        assert_eq!(parse_number("abc", &[]), None);
        assert_eq!(number_text(0.2 * 100.0), "20");
        assert_eq!(number_text(5.76), "5.76");
        assert_eq!(number_text(-0.0), "0");
    }
}
