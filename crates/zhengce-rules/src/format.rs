//! Chinese formatting of values with the schema's units.

use zhengce_model::schema::FieldType;

use crate::eval::Val;

/// How to show a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// As a percentage (ratios).
    Percent,
    /// With a unit (人, 万元, …).
    Plain,
}

/// The display style for a field type.
pub fn style_of(ty: &FieldType) -> Style {
    if matches!(ty, FieldType::Ratio) { Style::Percent } else { Style::Plain }
}

/// Formats a number without noise: at most two decimals, no trailing zeros.
pub fn num(n: f64) -> String {
    if n.is_finite() && n == n.trunc() && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let s = format!("{n:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Formats a ratio as a percentage with up to two decimals.
pub fn pct(n: f64) -> String {
    format!("{}%", num((n * 10000.0).round() / 100.0))
}

/// Formats a value for a field of type `ty` with `unit`.
pub fn value(v: &Val<'_>, ty: Option<&FieldType>, unit: &str) -> String {
    match v {
        Val::Unknown => "未知".into(),
        Val::Bool(true) => "是".into(),
        Val::Bool(false) => "否".into(),
        Val::Date(d) => d.to_string(),
        Val::Text(t) => match ty.and_then(|ty| ty.enum_label(t)) {
            Some(label) => label.to_string(),
            None => (*t).to_string(),
        },
        Val::Num(n) => match ty.map(style_of) {
            Some(Style::Percent) => pct(*n),
            _ if unit.is_empty() => num(*n),
            _ => format!("{}{unit}", num(*n)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(num(4.8), "4.8");
        assert_eq!(num(45.0), "45");
        assert_eq!(num(0.0550001), "0.06");
        assert_eq!(pct(0.055), "5.5%");
        assert_eq!(pct(0.02222), "2.22%");
    }
}
