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
    let mut s = String::new();
    push_num(&mut s, n);
    s
}

/// [`num`], appended to `out` (no String of its own).
pub fn push_num(out: &mut String, n: f64) {
    use std::fmt::Write;
    if n.is_finite() && n == n.trunc() && n.abs() < 1e15 {
        let _ = write!(out, "{}", n as i64);
        return;
    }
    let start = out.len();
    let _ = write!(out, "{n:.2}");
    if out[start..].contains('.') {
        let kept = out[start..].trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(start + kept);
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// Formats a ratio as a percentage with up to two decimals.
pub fn pct(n: f64) -> String {
    let mut s = String::new();
    push_pct(&mut s, n);
    s
}

/// [`pct`], appended to `out`.
pub fn push_pct(out: &mut String, n: f64) {
    push_num(out, (n * 10000.0).round() / 100.0);
    out.push('%');
}

/// Formats a value for a field of type `ty` with `unit`.
pub fn value(v: &Val<'_>, ty: Option<&FieldType>, unit: &str) -> String {
    let mut s = String::new();
    push_value(&mut s, v, ty, unit);
    s
}

/// [`value`], appended to `out`.
pub fn push_value(out: &mut String, v: &Val<'_>, ty: Option<&FieldType>, unit: &str) {
    match v {
        Val::Unknown => out.push_str("未知"),
        Val::Bool(true) => out.push('是'),
        Val::Bool(false) => out.push('否'),
        Val::Date(d) => {
            use std::fmt::Write;
            let _ = write!(out, "{d}");
        }
        Val::Text(t) => match ty.and_then(|ty| ty.enum_label(t)) {
            Some(label) => out.push_str(label),
            None => out.push_str(t),
        },
        Val::Num(n) => match ty.map(style_of) {
            Some(Style::Percent) => push_pct(out, *n),
            _ => {
                push_num(out, *n);
                out.push_str(unit);
            }
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
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-1.5), "-1.5");
        assert_eq!(num(2.999), "3");
        assert_eq!(num(f64::NAN), "NaN");
        assert_eq!(num(1e16), "10000000000000000");
    }
}
