//! Checking a typed row against the profile schema, and the canonical form profiles are stored in.
//!
//! The import turns every row into a JSON object and hands it to a [`ProfileValidator`]. The
//! binary passes the corpus schema (`zhengce_rules::schema::Schema`, through the adapter at the
//! bottom of this file); [`BasicValidator`] checks the vocabulary of [`crate::fields`] alone and
//! serves tests and callers without a corpus.
//!
//! Stored profiles are [`canonical`]: keys sorted, whole numbers written without a fraction, so the
//! same facts always give the same text and the same SHA-256 [`content_hash`].

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use zhengce_model::schema::FieldDef;

use crate::fields::{self, DERIVED, Kind};

/// A field that failed validation, with a Chinese message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldIssue {
    /// The profile field name.
    pub field: String,
    /// Why, in Chinese.
    pub message: String,
}

/// Checks a profile object; returns the validated profile (as JSON) or every problem found.
pub trait ProfileValidator: Send + Sync {
    /// Validates one profile object.
    fn validate(&self, obj: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldIssue>>;

    /// The schema's field definitions, so a roster may also use their names, labels and enum labels
    /// (including fields the schema adds beyond `profile-fields.md`). Empty by default.
    fn schema_fields(&self) -> &[FieldDef] {
        &[]
    }
}

/// The corpus schema as the validator: the one adapter between the store and `zhengce-rules`.
impl ProfileValidator for zhengce_rules::Schema {
    fn validate(&self, obj: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldIssue>> {
        match self.parse_profile(obj) {
            Ok(profile) => match serde_json::to_value(&profile) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(vec![FieldIssue { field: String::new(), message: "内部错误：档案无法转换为JSON".into() }]),
            },
            Err(errors) => Err(errors.into_iter().map(|e| FieldIssue { field: e.field, message: e.message }).collect()),
        }
    }

    fn schema_fields(&self) -> &[FieldDef] {
        &self.fields
    }
}

/// Checks the profile vocabulary of [`crate::fields`]: known names, types, ranges, enum values and
/// the credit-code check character.
#[derive(Clone, Copy, Debug, Default)]
pub struct BasicValidator;

impl ProfileValidator for BasicValidator {
    fn validate(&self, obj: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        for (name, value) in obj {
            let issue = |message: String| FieldIssue { field: name.clone(), message };
            let Some(field) = fields::field(name) else {
                if DERIVED.iter().any(|(d, _)| d == name) {
                    issues.push(issue("这是由规则计算的派生字段，不能直接填写".into()));
                } else {
                    issues.push(issue("未知字段".into()));
                }
                continue;
            };
            if let Err(m) = check_value(field.kind, value) {
                issues.push(issue(m));
            }
        }
        if issues.is_empty() { Ok(obj.clone()) } else { Err(issues) }
    }
}

fn check_value(kind: Kind, v: &Value) -> Result<(), String> {
    let num = || v.as_f64().ok_or_else(|| "应为数字".to_string());
    let text = || v.as_str().ok_or_else(|| "应为文本".to_string());
    match kind {
        Kind::Text => text().and_then(|s| if s.is_empty() { Err("不能为空文本".into()) } else { Ok(()) }),
        Kind::CreditCode => zhengce_model::uscc::validate(text()?).map_err(|e| e.to_string()),
        Kind::Region => {
            let s = text()?;
            if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err("行政区划代码应为6位数字".into())
            }
        }
        Kind::IndustryCode => {
            let s = text()?;
            if (2..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err("行业代码应为2至4位数字（GB/T 4754-2017）".into())
            }
        }
        Kind::Date => text()?.parse::<zhengce_model::Date>().map(|_| ()).map_err(|_| "日期应为YYYY-MM-DD".into()),
        Kind::Money | Kind::Count => {
            let n = num()?;
            if n < 0.0 {
                return Err("不能为负数".into());
            }
            if kind == Kind::Count && n.fract() != 0.0 {
                return Err("应为整数".into());
            }
            Ok(())
        }
        Kind::SignedMoney => num().map(|_| ()),
        Kind::Ratio => {
            let n = num()?;
            if (0.0..=1.0).contains(&n) { Ok(()) } else { Err("占比应在0到1之间（或写成百分数，如35%）".into()) }
        }
        Kind::Integer { min, max } => {
            let n = num()?;
            if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 {
                Ok(())
            } else {
                Err(format!("应为{min}到{max}之间的整数"))
            }
        }
        Kind::Bool => v.as_bool().map(|_| ()).ok_or_else(|| "应为是/否".into()),
        Kind::Enum(values) => {
            let s = text()?;
            if values.iter().any(|(c, _)| *c == s) { Ok(()) } else { Err("不是可选值之一".into()) }
        }
    }
}

/// The canonical JSON text of a flat profile: keys sorted, whole numbers without a fraction.
pub fn canonical(obj: &Map<String, Value>) -> String {
    canonical_entries(obj.iter().map(|(k, v)| (k.as_str(), v)).collect())
}

/// [`canonical`] for a list of facts.
pub(crate) fn canonical_entries(mut entries: Vec<(&str, &Value)>) -> String {
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = String::with_capacity(64 * entries.len() + 2);
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Serialising a string to JSON cannot fail.
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push(':');
        match v.as_f64() {
            Some(f) if v.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => out.push_str(&(f as i64).to_string()),
            _ => out.push_str(&v.to_string()),
        }
    }
    out.push('}');
    out
}

/// A value in canonical form: a whole float becomes an integer, so `45.0` and `45` compare equal.
pub fn canonical_value(v: &Value) -> Value {
    match v.as_f64() {
        Some(f) if v.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
        _ => v.clone(),
    }
}

/// The SHA-256 (hex) of a canonical profile text.
pub fn content_hash(canonical_json: &str) -> String {
    let digest = Sha256::digest(canonical_json.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn basic_validator() {
        let good =
            obj(json!({"credit_code": "91350100M000100Y43", "employees": 45, "region": "370830", "vat_status": "general"}));
        assert!(BasicValidator.validate(&good).is_ok());
        let bad = obj(
            json!({"credit_code": "91350100M000100Y44", "employees": -1, "size_class": "small", "foo": 1, "main_product_share": 1.5}),
        );
        let issues = BasicValidator.validate(&bad).expect_err("bad");
        let names: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(names, ["credit_code", "employees", "size_class", "foo", "main_product_share"]);
    }

    #[test]
    fn canonical_is_order_and_float_independent() {
        let a = obj(json!({"b": 2.0, "a": "x", "c": 1.5}));
        let b = obj(json!({"c": 1.5, "a": "x", "b": 2}));
        assert_eq!(canonical(&a), r#"{"a":"x","b":2,"c":1.5}"#);
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(content_hash(&canonical(&a)).len(), 64);
    }
}
