//! Typing spreadsheet cells into JSON facts, by the column's schema field (its [`FieldType`]).
//!
//! Accepted forms: numbers with thousands separators, full-width digits, a trailing unit that
//! matches the column (`万元`, `人`, `%` for ratios); yes/no as 是/否, 有/无, true/false, 1/0, Y/N,
//! √/×; dates as `2021-03-05`, `2021/3/5`, `2021.3.5`, `2021年3月5日`, `20210305`, or an Excel date
//! cell; enums as their code or any Chinese label. An empty cell (or `-`, `/`, `未知`, `不详`) is an
//! unknown fact. Errors are Chinese reasons for the import report.

use serde_json::{Number, Value};
use zhengce_model::Date;
use zhengce_model::schema::{FieldDef, FieldType};

use crate::columns::fold_width;

/// One cell as read from a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (every CSV cell; string cells of a workbook).
    Text(String),
    /// A numeric workbook cell.
    Number(f64),
    /// A boolean workbook cell.
    Bool(bool),
    /// A date workbook cell, already `YYYY-MM-DD`.
    Date(String),
    /// A workbook error value such as `#N/A`.
    Error(String),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(s) | Cell::Date(s) | Cell::Error(s) => f.write_str(s),
            Cell::Number(n) => write!(f, "{n}"),
            Cell::Bool(b) => f.write_str(if *b { "是" } else { "否" }),
        }
    }
}

/// Types a cell for a field; `Ok(None)` is an unknown fact.
pub fn to_json(def: &FieldDef, cell: &Cell) -> Result<Option<Value>, String> {
    let kind = &def.ty;
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Text(s) => {
            let t = fold_width(s.trim()).trim().to_string();
            if matches!(t.as_str(), "" | "-" | "—" | "/" | "未知" | "不详") {
                return Ok(None);
            }
            if *kind == FieldType::Text {
                // Names keep their own characters (full-width brackets and all).
                return Ok(Some(Value::String(s.trim().to_string())));
            }
            t
        }
        Cell::Number(n) => return number_cell(kind, *n).map(Some),
        Cell::Error(e) => return Err(format!("单元格是Excel错误值 {e}")),
        Cell::Bool(b) => {
            return match kind {
                FieldType::Bool => Ok(Some(Value::Bool(*b))),
                _ => Err("此列不应是是/否".into()),
            };
        }
        Cell::Date(d) => {
            return match kind {
                FieldType::Date | FieldType::Text => Ok(Some(Value::String(d.clone()))),
                _ => Err("此列不应是日期".into()),
            };
        }
    };
    text_cell(def, &text).map(Some)
}

fn text_cell(def: &FieldDef, t: &str) -> Result<Value, String> {
    let kind = &def.ty;
    match kind {
        FieldType::Text => Ok(Value::String(t.to_string())),
        FieldType::CreditCode => {
            Ok(Value::String(t.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()))
        }
        FieldType::Region | FieldType::IndustryCode => {
            let code: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            let code = code.strip_suffix(".0").unwrap_or(&code).to_string();
            Ok(Value::String(code))
        }
        FieldType::Date => parse_date(t).map(Value::String),
        FieldType::Bool => parse_bool(t).map(Value::Bool),
        FieldType::Enum(values) => {
            let norm: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            for (code, label) in values {
                let roster = def.value_labels.get(code).into_iter().flatten();
                if code.eq_ignore_ascii_case(&norm) || std::iter::once(label).chain(roster).any(|l| fold_width(l) == norm) {
                    return Ok(Value::String(code.clone()));
                }
            }
            let allowed: Vec<&str> = values.iter().filter_map(|(code, _)| def.roster_label(code)).collect();
            Err(format!("不是可选值之一（可选：{}）", allowed.join("、")))
        }
        FieldType::Money
        | FieldType::SignedMoney
        | FieldType::Number
        | FieldType::Count
        | FieldType::Ratio
        | FieldType::Integer { .. } => {
            let n = parse_number(kind, t)?;
            number_cell(kind, n)
        }
    }
}

/// Numbers as read: separators removed, unit checked, `%` scaled.
fn parse_number(kind: &FieldType, t: &str) -> Result<f64, String> {
    let mut s: String = t.chars().filter(|c| !c.is_whitespace() && *c != ',' && *c != '、').collect();
    let mut scale = 1.0;
    let units: &[&str] = match kind {
        FieldType::Money | FieldType::SignedMoney | FieldType::Number => &["万元", "万"],
        FieldType::Count => &["人", "件", "个月", "个", "月", "名"],
        FieldType::Ratio => &["%"],
        _ => &[],
    };
    for u in units {
        if let Some(rest) = s.strip_suffix(u) {
            if *u == "%" {
                scale = 0.01;
            }
            s = rest.to_string();
            break;
        }
    }
    if matches!(kind, FieldType::Money | FieldType::SignedMoney | FieldType::Number) && (s.ends_with('元') || s.ends_with("亿"))
    {
        return Err("金额请以万元为单位填写数字".into());
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n * scale),
        _ => Err("不是数字".into()),
    }
}

/// Types a number (from a workbook cell or parsed text).
fn number_cell(kind: &FieldType, n: f64) -> Result<Value, String> {
    let whole = |n: f64| -> Option<i64> { (n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64) };
    match kind {
        FieldType::Text => Ok(Value::String(match whole(n) {
            Some(i) => i.to_string(),
            None => n.to_string(),
        })),
        FieldType::CreditCode => Err("统一社会信用代码被存成了数字（可能已丢失位数），请把该列设为文本格式".into()),
        FieldType::Region | FieldType::IndustryCode => match whole(n) {
            Some(i) if i >= 0 => Ok(Value::String(i.to_string())),
            _ => Err("代码应为数字串".into()),
        },
        FieldType::Date => excel_serial_date(n).ok_or_else(|| "不是有效日期".to_string()).map(Value::String),
        FieldType::Bool => match whole(n) {
            Some(1) => Ok(Value::Bool(true)),
            Some(0) => Ok(Value::Bool(false)),
            _ => Err("应为是/否".into()),
        },
        FieldType::Enum(_) => Err("不是可选值之一".into()),
        FieldType::Count | FieldType::Integer { .. } => match whole(n) {
            Some(i) => Ok(Value::Number(i.into())),
            None => Err("应为整数".into()),
        },
        FieldType::Money | FieldType::SignedMoney | FieldType::Number | FieldType::Ratio => Ok(match whole(n) {
            Some(i) => Value::Number(i.into()),
            None => Number::from_f64(n).map(Value::Number).ok_or("不是数字")?,
        }),
    }
}

fn parse_bool(t: &str) -> Result<bool, String> {
    match t.to_ascii_lowercase().as_str() {
        "是" | "有" | "true" | "yes" | "y" | "1" | "√" | "✓" | "对" => Ok(true),
        "否" | "无" | "没有" | "false" | "no" | "n" | "0" | "×" | "✗" | "不是" => Ok(false),
        _ => Err("应为是/否".into()),
    }
}

/// Parses the date forms officers type, to `YYYY-MM-DD`.
pub fn parse_date(t: &str) -> Result<String, String> {
    let bad = || "不是有效日期（示例：2021-03-05、2021/3/5、2021年3月5日）".to_string();
    // Drop a time part: "2021-03-05 00:00:00", "2021-03-05T08:00".
    let date_part = t.split([' ', 'T']).next().unwrap_or(t);
    let parts: Vec<&str> = if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        vec![&date_part[0..4], &date_part[4..6], &date_part[6..8]]
    } else {
        date_part.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect()
    };
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else { return Err(bad()) };
    if !(1000..=9999).contains(&y) {
        return Err(bad());
    }
    Date::new(y, m, d).map(|d| d.to_string()).ok_or_else(bad)
}

/// An Excel serial date (1900 system) to `YYYY-MM-DD`.
pub fn excel_serial_date(serial: f64) -> Option<String> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    // Serial 25569 is 1970-01-01 (Excel's 1900-02-29 bug is before any realistic date).
    days_to_date(serial.floor() as i64 - 25_569).map(|d| d.to_string())
}

/// Days since 1970-01-01 to a date.
pub fn days_to_date(days: i64) -> Option<Date> {
    Date::from_days_since_epoch(days)
}
