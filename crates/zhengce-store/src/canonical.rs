//! The stored form of a profile: canonical JSON text and its content hash.
//!
//! Stored profiles are [`canonical`]: keys sorted, whole numbers written without a fraction, so the
//! same facts always give the same text and the same SHA-256 [`content_hash`]. The store writes
//! what its callers validated (with the corpus schema, in `zhengce-roster` and the server); it does
//! not know the profile vocabulary itself.

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// The canonical JSON text of a flat profile: keys sorted, whole numbers without a fraction.
pub fn canonical(obj: &Map<String, Value>) -> String {
    canonical_entries(obj.iter().map(|(k, v)| (k.as_str(), v)).collect())
}

/// [`canonical`] for a list of facts.
pub fn canonical_entries(mut entries: Vec<(&str, &Value)>) -> String {
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
    fn canonical_is_order_and_float_independent() {
        let a = obj(json!({"b": 2.0, "a": "x", "c": 1.5}));
        let b = obj(json!({"c": 1.5, "a": "x", "b": 2}));
        assert_eq!(canonical(&a), r#"{"a":"x","b":2,"c":1.5}"#);
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(content_hash(&canonical(&a)).len(), 64);
    }
}
