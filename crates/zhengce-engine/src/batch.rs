//! Batch matching: many profiles against one snapshot, in input order.
//!
//! [`match_chunk_jsonl`] is what `zhengce batch` runs on each chunk of lines. The chunk is cut
//! into parts of [`PART`] lines, and each part goes through the whole pipeline on its own, in
//! parallel (rayon): its lines are parsed straight into values by schema field index (no JSON
//! tree, no profile map; see [`LineParser`]), laid out by column, evaluated by the columnar
//! [`Plan`] and written as JSONL from the plan's slug indices. [`match_chunk`] gives the same as
//! values, and [`match_many`] is the row-by-row reference, kept for comparison and tests.

use rayon::prelude::*;
use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use zhengce_model::Date;
use zhengce_model::fact::FactValue;
use zhengce_model::verdict::Status;
use zhengce_rules::schema::Slot;

use crate::columnar::{Plan, code};
use crate::{Schema, Snapshot};

/// Lines per part: each part is parsed, laid out, evaluated and written on its own (a few
/// columnar blocks: large enough that the per-part setup is noise, small enough to spread a
/// chunk over the threads).
pub const PART: usize = 4096;

/// One output line of `zhengce batch` (see `contracts.md`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum BatchLine {
    /// A matched enterprise.
    Ok {
        /// Credit code, or the 1-based line number when there is none.
        enterprise: String,
        /// Eligible slugs.
        eligible: Vec<String>,
        /// Possible slugs.
        possible: Vec<String>,
        /// Near-miss slugs.
        near_miss: Vec<String>,
    },
    /// A line that could not be matched.
    Error {
        /// Credit code or line number.
        enterprise: String,
        /// What was wrong.
        error: String,
    },
}

/// A parsed line: the enterprise's name in the output and its profile, or the error line.
fn parse_line(snapshot: &Snapshot, line_no: usize, line: &str) -> Result<(String, zhengce_model::fact::Profile), BatchLine> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| BatchLine::Error {
            enterprise: line_no.to_string(), error: format!("第{line_no}行不是有效的 JSON：{e}")
        })?;
    let enterprise = value.get("credit_code").and_then(|c| c.as_str()).map_or_else(|| line_no.to_string(), str::to_string);
    match snapshot.parse_profile_json(&value) {
        Ok(p) => Ok((enterprise, p)),
        Err(errs) => {
            let msg: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
            Err(BatchLine::Error { enterprise, error: msg.join("；") })
        }
    }
}

/// An enterprise's values by schema field index (`None`: unknown).
type Values = Vec<Option<FactValue>>;

/// Parses a profile line straight into values by schema field index, for the lines every
/// check passes: the keys are looked up in the schema as they stream by, each value is checked
/// by [`Schema::field_value`] (the very check [`Schema::parse_profile`] makes), and only the
/// fields the plan reads are kept. Anything else — not an object, an unknown key, a derived or
/// region fact, a bad value, trailing bytes — is refused, and the caller takes the reference
/// path ([`Snapshot::parse_profile_json`]), which accepts or reports exactly as before (it also
/// accepts what this refuses conservatively, such as an unknown key whose value is `null`).
pub struct LineParser<'s> {
    schema: &'s Schema,
    /// The input fields a profile may carry (not region facts), by name.
    by_name: rustc_hash::FxHashMap<&'s str, usize>,
    keep: Vec<bool>,
    credit: Option<usize>,
}

impl<'s> LineParser<'s> {
    /// A parser keeping the fields `plan` reads (and the credit code, for the output's name).
    pub fn new(schema: &'s Schema, plan: &Plan) -> LineParser<'s> {
        let credit = match schema.slot("credit_code") {
            Some(Slot::Field(i)) => Some(i),
            _ => None,
        };
        let mut keep: Vec<bool> = (0..schema.fields.len()).map(|i| plan.fields_used.get(i).copied().unwrap_or(false)).collect();
        if let Some(c) = credit {
            keep[c] = true;
        }
        let by_name =
            schema.fields.iter().enumerate().filter(|(_, f)| !f.region_fact).map(|(i, f)| (f.name.as_str(), i)).collect();
        LineParser { schema, by_name, keep, credit }
    }

    /// The line's credit code (when it has one) and values, or `None` when the line needs the
    /// reference path.
    pub fn parse(&self, line: &str) -> Option<(Option<String>, Values)> {
        let mut values = Vec::new();
        let credit = self.parse_into(line, &mut values)?;
        Some((credit, values))
    }

    /// As [`LineParser::parse`], into `values` (cleared first; its allocation is reused).
    pub fn parse_into(&self, line: &str, values: &mut Values) -> Option<Option<String>> {
        values.clear();
        values.resize(self.keep.len(), None);
        let mut row = RowVisitor { parser: self, values, credit: None };
        let mut de = serde_json::Deserializer::from_str(line);
        de::Deserializer::deserialize_map(&mut de, &mut row).ok()?;
        de.end().ok()?;
        Some(row.credit)
    }
}

struct RowVisitor<'p, 's, 'v> {
    parser: &'p LineParser<'s>,
    values: &'v mut Values,
    credit: Option<String>,
}

impl<'de> Visitor<'de> for &mut RowVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a profile object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let p = self.parser;
        while let Some(i) = map.next_key_seed(KeySeed(&p.by_name))? {
            // The last of duplicate keys wins, as in the reference's JSON object.
            let value: serde_json::Value = map.next_value()?;
            let v = if value.is_null() { None } else { Some(p.schema.field_value(i, &value).map_err(de::Error::custom)?) };
            if Some(i) == p.credit {
                self.credit = match &v {
                    Some(FactValue::Text(s)) => Some(s.clone()),
                    _ => None,
                };
            }
            if p.keep[i] {
                self.values[i] = v;
            }
        }
        Ok(())
    }
}

/// Resolves a key to an input field that a profile may carry, refusing any other.
struct KeySeed<'m, 's>(&'m rustc_hash::FxHashMap<&'s str, usize>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<usize, E> {
        self.0.get(s).copied().ok_or_else(|| E::custom("not a profile field"))
    }
}

/// One line through the fast parser, else the reference path, into `values` (by field index):
/// the output name, or the error line.
fn parse_values(
    snapshot: &Snapshot,
    parser: Option<&LineParser<'_>>,
    line_no: usize,
    line: &str,
    values: &mut Values,
) -> Result<String, BatchLine> {
    if let Some(credit) = parser.and_then(|p| p.parse_into(line, values)) {
        return Ok(credit.unwrap_or_else(|| line_no.to_string()));
    }
    let (enterprise, profile) = parse_line(snapshot, line_no, line)?;
    values.clear();
    values.resize(snapshot.schema().map_or(0, |s| s.fields.len()), None);
    if let Some(schema) = snapshot.schema() {
        for (name, v) in profile {
            if let Some(Slot::Field(i)) = schema.slot(&name) {
                values[i] = Some(v);
            }
        }
    }
    Ok(enterprise)
}

/// Statuses of one part: the parsed lines (enterprise name or the error line) and, per parsed
/// enterprise in order, the indices into the plan's slugs of its eligible, possible and near-miss
/// policies (no strings are made per pair).
type Evaluated = (Vec<Result<String, BatchLine>>, Vec<[Vec<u32>; 3]>);

fn evaluate_part<S: AsRef<str>>(
    snapshot: &Snapshot,
    plan: &Plan,
    parser: Option<&LineParser<'_>>,
    lines: &[S],
    first_line: usize,
) -> Evaluated {
    let mut cols = plan.columns();
    cols.reserve(lines.len());
    let mut names = Vec::with_capacity(lines.len());
    let mut values = Values::new();
    for (i, l) in lines.iter().enumerate() {
        match parse_values(snapshot, parser, first_line + i, l.as_ref(), &mut values) {
            Ok(enterprise) => {
                plan.fill_region_facts(&mut values);
                cols.push_values(&values);
                names.push(Ok(enterprise));
            }
            Err(line) => names.push(Err(line)),
        }
    }
    plan.seal(&mut cols);
    let mut lists: Vec<[Vec<u32>; 3]> = vec![Default::default(); cols.len()];
    let bound = plan.bind(&cols);
    let mut runner = bound.runner();
    let policies = plan.policy_count();
    runner.run(0..cols.len(), |b| {
        for p in 0..policies {
            if !b.active[p] {
                continue;
            }
            for (i, &c) in b.policy(p).iter().enumerate() {
                let k = match c {
                    code::ELIGIBLE => 0,
                    code::POSSIBLE => 1,
                    code::NEAR_MISS => 2,
                    _ => continue,
                };
                lists[b.start + i][k].push(p as u32);
            }
        }
    });
    (names, lists)
}

/// Each part of `lines` evaluated on its own, in parallel, then `out` of each (in input order).
fn by_parts<S: AsRef<str> + Sync, T: Send>(
    snapshot: &Snapshot,
    plan: &Plan,
    lines: &[S],
    first_line: usize,
    out: impl Fn(Evaluated) -> T + Sync,
) -> Vec<T> {
    let parser = snapshot.schema().map(|s| LineParser::new(s, plan));
    lines
        .par_chunks(PART)
        .enumerate()
        .map(|(k, part)| out(evaluate_part(snapshot, plan, parser.as_ref(), part, first_line + k * PART)))
        .collect()
}

/// Pairs each parsed enterprise with its lists (error lines get none).
fn rows((names, lists): Evaluated) -> impl Iterator<Item = (Result<String, BatchLine>, [Vec<u32>; 3])> {
    let mut it = lists.into_iter();
    names.into_iter().map(move |r| {
        let l = if r.is_ok() { it.next().unwrap_or_default() } else { Default::default() };
        (r, l)
    })
}

/// Matches one chunk of lines with the columnar `plan` (made for the snapshot and date); the
/// output keeps input order. `first_line` is the 1-based number of `lines[0]`.
pub fn match_chunk<S: AsRef<str> + Sync>(snapshot: &Snapshot, plan: &Plan, lines: &[S], first_line: usize) -> Vec<BatchLine> {
    let slugs: Vec<&str> = plan.slugs().collect();
    let strings = |ix: &[u32]| ix.iter().map(|&p| slugs[p as usize].to_string()).collect();
    let parts = by_parts(snapshot, plan, lines, first_line, |ev| {
        rows(ev)
            .map(|(r, [eligible, possible, near_miss])| match r {
                Ok(enterprise) => BatchLine::Ok {
                    enterprise,
                    eligible: strings(&eligible),
                    possible: strings(&possible),
                    near_miss: strings(&near_miss),
                },
                Err(line) => line,
            })
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().collect()
}

/// As [`match_chunk`], written straight to JSONL bytes (the same bytes as serialising each
/// [`BatchLine`] and a newline), parts written in parallel; also the number of error lines.
pub fn match_chunk_jsonl<S: AsRef<str> + Sync>(
    snapshot: &Snapshot,
    plan: &Plan,
    lines: &[S],
    first_line: usize,
) -> (Vec<u8>, usize) {
    // Each slug as a JSON string literal, escaped once.
    let slugs: Vec<Vec<u8>> = plan
        .slugs()
        .map(|s| {
            let mut b = Vec::new();
            write_str(&mut b, s);
            b
        })
        .collect();
    let parts = by_parts(snapshot, plan, lines, first_line, |ev| {
        let mut out = Vec::with_capacity(ev.0.len() * 1024);
        let mut errors = 0;
        for (r, l) in rows(ev) {
            match r {
                Ok(enterprise) => {
                    out.extend_from_slice(b"{\"enterprise\":");
                    write_str(&mut out, &enterprise);
                    for (key, ix) in [("eligible", &l[0]), ("possible", &l[1]), ("near_miss", &l[2])] {
                        out.extend_from_slice(b",\"");
                        out.extend_from_slice(key.as_bytes());
                        out.extend_from_slice(b"\":[");
                        for (n, &p) in ix.iter().enumerate() {
                            if n > 0 {
                                out.push(b',');
                            }
                            out.extend_from_slice(&slugs[p as usize]);
                        }
                        out.push(b']');
                    }
                    out.push(b'}');
                }
                Err(line) => {
                    errors += 1;
                    // Serialising a plain enum into a Vec cannot fail.
                    let _ = serde_json::to_writer(&mut out, &line);
                }
            }
            out.push(b'\n');
        }
        (out, errors)
    });
    let errors = parts.iter().map(|(_, e)| e).sum();
    let mut bytes = Vec::with_capacity(parts.iter().map(|(b, _)| b.len()).sum());
    for (b, _) in parts {
        bytes.extend_from_slice(&b);
    }
    (bytes, errors)
}

/// A JSON string literal, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Matches one JSONL line (1-based `line_no`).
pub fn batch_line(snapshot: &Snapshot, line_no: usize, line: &str, as_of: Date) -> BatchLine {
    let (enterprise, profile) = match parse_line(snapshot, line_no, line) {
        Ok(parsed) => parsed,
        Err(error_line) => return error_line,
    };
    let statuses = snapshot.statuses(&profile, as_of);
    let pick = |s: Status| statuses.iter().filter(|(_, st)| *st == s).map(|(slug, _)| (*slug).to_string()).collect();
    BatchLine::Ok {
        enterprise,
        eligible: pick(Status::Eligible),
        possible: pick(Status::Possible),
        near_miss: pick(Status::NearMiss),
    }
}

/// Matches many lines in parallel; the output keeps input order. `first_line` is the 1-based number of `lines[0]`.
pub fn match_many(snapshot: &Snapshot, lines: &[String], first_line: usize, as_of: Date) -> Vec<BatchLine> {
    lines.par_iter().enumerate().map(|(i, l)| batch_line(snapshot, first_line + i, l, as_of)).collect()
}
