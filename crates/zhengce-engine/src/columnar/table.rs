//! Profiles laid out by column: one dense vector per schema field plus an unknown mask.
//!
//! Numbers are `f64` with a known-bit per row, yes/no facts one three-valued byte per row
//! (0 no, 1 unknown, 2 yes), text an id into the table's [`Interner`] (`NONE_TEXT` when unknown),
//! dates days since 1970-01-01 (`NONE_DATE` when unknown). Only the fields a [`super::Plan`] reads
//! are stored, so a wide schema costs nothing for the fields no rule uses.

use std::collections::HashMap;

use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::schema::FieldType;

/// Text id of an unknown text value.
pub const NONE_TEXT: u32 = u32::MAX;
/// Day number of an unknown date.
pub const NONE_DATE: i32 = i32::MIN;

/// The kind of values a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Numbers.
    Num,
    /// Yes / no.
    Bool,
    /// Text, enum values and codes.
    Text,
    /// Dates.
    Date,
}

impl Kind {
    /// The kind of a schema field type.
    pub fn of(ty: &FieldType) -> Kind {
        match ty {
            FieldType::Text | FieldType::CreditCode | FieldType::Region | FieldType::IndustryCode | FieldType::Enum(_) => {
                Kind::Text
            }
            FieldType::Date => Kind::Date,
            FieldType::Bool => Kind::Bool,
            _ => Kind::Num,
        }
    }
}

/// Distinct text values, each with a dense id (hashed with `rustc-hash`: the keys are the
/// table's own short values, not attacker-chosen in a way that matters to a batch).
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: rustc_hash::FxHashMap<String, u32>,
    strings: Vec<String>,
}

impl Interner {
    /// The id of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// The id of `s`, if present.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// Every string, by id.
    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// One stored column.
#[derive(Clone, Debug)]
pub enum Column {
    /// Not read by the plan, not stored.
    Absent,
    /// Numbers with a known bit per row.
    Num {
        /// Values (0.0 where unknown).
        vals: Vec<f64>,
        /// Bit `i % 64` of word `i / 64` is set when row `i` is known.
        known: Vec<u64>,
        /// After [`Columns::seal`]: each row's rank among the column's distinct values.
        ranks: Option<Ranks>,
    },
    /// Three-valued bytes.
    Bool(Vec<u8>),
    /// Interned text ids.
    Text(Vec<u32>),
    /// Day numbers.
    Date(Vec<i32>),
}

/// Order-preserving codes of a numeric column: thresholds compare ranks instead of doubles,
/// exactly (a threshold becomes the rank boundary found by binary search over the distinct
/// values with the very same floating-point test).
#[derive(Clone, Debug)]
pub struct Ranks {
    /// Rank per row, as narrow as the number of distinct values allows; the type's maximum
    /// when unknown or not a number.
    pub rank: RankVec,
    /// Distinct values ascending (`total_cmp`), by rank.
    pub distinct: Vec<f64>,
}

/// Ranks of one column: 8 bits for fewer than 255 distinct values (16 rows per SSE2
/// instruction in the threshold kernel), 16 bits for fewer than 65,535, else 32 bits.
#[derive(Clone, Debug)]
pub enum RankVec {
    /// At most 254 distinct values; `u8::MAX` unranked.
    U8(Vec<u8>),
    /// At most 65,534 distinct values; `u16::MAX` unranked.
    U16(Vec<u16>),
    /// Otherwise; [`UNRANKED`] unranked.
    U32(Vec<u32>),
}

impl RankVec {
    /// The rank of row `i` ([`UNRANKED`] when unranked), whatever the width.
    pub fn get(&self, i: usize) -> u32 {
        match self {
            RankVec::U8(v) => v.get(i).map_or(UNRANKED, |&r| if r == u8::MAX { UNRANKED } else { u32::from(r) }),
            RankVec::U16(v) => v.get(i).map_or(UNRANKED, |&r| if r == u16::MAX { UNRANKED } else { u32::from(r) }),
            RankVec::U32(v) => v.get(i).copied().unwrap_or(UNRANKED),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            RankVec::U8(v) => v.capacity(),
            RankVec::U16(v) => v.capacity() * 2,
            RankVec::U32(v) => v.capacity() * 4,
        }
    }
}

/// The rank of an unknown (or NaN) value (32-bit ranks).
pub const UNRANKED: u32 = u32::MAX;

/// A table of profiles by column.
#[derive(Clone, Debug)]
pub struct Columns {
    len: usize,
    cols: Vec<Column>,
    kinds: Vec<Kind>,
    names: Vec<String>,
    interner: Interner,
    /// After [`Columns::seal`], per text column: its own small dictionary (see [`LocalCodes`]).
    local: Vec<Option<LocalCodes>>,
}

/// A text column's own dictionary: each row's value as a 16-bit code into `dict` (the column's
/// distinct interner ids, in order of first appearance), `u16::MAX` when unknown. Text tests
/// on the column become a lookup in a table of the column's few distinct values (it stays in
/// L1) instead of one over every string of the table.
#[derive(Clone, Debug)]
pub struct LocalCodes {
    /// Code per row.
    pub codes: Vec<u16>,
    /// Interner id per code.
    pub dict: Vec<u32>,
}

impl Columns {
    /// An empty table for the schema fields `fields` (name and type), storing only those with `used[i]`.
    pub fn new(fields: &[(String, FieldType)], used: &[bool]) -> Columns {
        let kinds: Vec<Kind> = fields.iter().map(|(_, t)| Kind::of(t)).collect();
        let cols = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                if !used.get(i).copied().unwrap_or(false) {
                    return Column::Absent;
                }
                match k {
                    Kind::Num => Column::Num { vals: Vec::new(), known: Vec::new(), ranks: None },
                    Kind::Bool => Column::Bool(Vec::new()),
                    Kind::Text => Column::Text(Vec::new()),
                    Kind::Date => Column::Date(Vec::new()),
                }
            })
            .collect();
        let local = vec![None; fields.len()];
        Columns {
            len: 0,
            cols,
            kinds,
            names: fields.iter().map(|(n, _)| n.clone()).collect(),
            interner: Interner::default(),
            local,
        }
    }

    /// Reserves room for `n` more rows.
    pub fn reserve(&mut self, n: usize) {
        for c in &mut self.cols {
            match c {
                Column::Absent => {}
                Column::Num { vals, known, .. } => {
                    vals.reserve(n);
                    known.reserve(n / 64 + 1);
                }
                Column::Bool(v) => v.reserve(n),
                Column::Text(v) => v.reserve(n),
                Column::Date(v) => v.reserve(n),
            }
        }
    }

    /// Appends one profile. A value of the wrong kind for its field (never the case for a
    /// profile validated against the schema) is stored as unknown.
    pub fn push(&mut self, profile: &Profile) {
        let names = &self.names;
        push_row(&mut self.cols, &mut self.interner, self.len, |i| profile.get(&names[i]));
        self.after_push();
    }

    /// Appends one enterprise given as values by schema field index (`values[i]` for field
    /// `i`, `None` when unknown; missing indices are unknown): [`Columns::push`] without a
    /// lookup by name.
    pub fn push_values(&mut self, values: &[Option<FactValue>]) {
        push_row(&mut self.cols, &mut self.interner, self.len, |i| values.get(i).and_then(Option::as_ref));
        self.after_push();
    }

    fn after_push(&mut self) {
        self.len += 1;
        // Like the ranks, the local dictionaries hold only until the next push.
        if self.local.iter().any(Option::is_some) {
            self.local.iter_mut().for_each(|l| *l = None);
        }
    }

    /// Ranks every numeric column (after the last [`Columns::push`]; a later push drops them)
    /// and gives each text column its local dictionary. Returns the number of columns ranked.
    pub fn seal(&mut self) -> usize {
        self.seal_ranking(|_| true)
    }

    /// As [`Columns::seal`], ranking only the numeric columns `rank(i)` selects: ranking sorts
    /// the column, which pays when many thresholds read it (the others compare doubles).
    pub fn seal_ranking(&mut self, rank: impl Fn(usize) -> bool) -> usize {
        let len = self.len;
        let mut n = 0;
        for (c, local) in self.cols.iter().zip(self.local.iter_mut()) {
            let Column::Text(ids) = c else { continue };
            let mut code_of: HashMap<u32, u16> = HashMap::new();
            let mut dict: Vec<u32> = Vec::new();
            let mut codes = Vec::with_capacity(ids.len());
            let mut fits = true;
            for &id in ids {
                if id == NONE_TEXT {
                    codes.push(u16::MAX);
                    continue;
                }
                let code = match code_of.get(&id) {
                    Some(&c) => c,
                    None if dict.len() + 1 < usize::from(u16::MAX) => {
                        dict.push(id);
                        code_of.insert(id, (dict.len() - 1) as u16);
                        (dict.len() - 1) as u16
                    }
                    None => {
                        fits = false;
                        break;
                    }
                };
                codes.push(code);
            }
            *local = fits.then_some(LocalCodes { codes, dict });
        }
        for (i, c) in self.cols.iter_mut().enumerate() {
            let Column::Num { vals, known, ranks } = c else { continue };
            if !rank(i) {
                *ranks = None;
                continue;
            }
            let mut order: Vec<u32> = (0..len as u32)
                .filter(|&i| (known[i as usize / 64] >> (i % 64)) & 1 == 1 && !vals[i as usize].is_nan())
                .collect();
            order.sort_unstable_by(|&a, &b| vals[a as usize].total_cmp(&vals[b as usize]));
            let mut rank = vec![UNRANKED; len];
            let mut distinct: Vec<f64> = Vec::new();
            for &i in &order {
                let v = vals[i as usize];
                if distinct.last().is_none_or(|d| d.to_bits() != v.to_bits()) {
                    distinct.push(v);
                }
                rank[i as usize] = (distinct.len() - 1) as u32;
            }
            // Narrow when the distinct values allow it (the maximum stays free for "unranked").
            let rank = if distinct.len() < usize::from(u8::MAX) {
                RankVec::U8(rank.iter().map(|&r| if r == UNRANKED { u8::MAX } else { r as u8 }).collect())
            } else if distinct.len() < usize::from(u16::MAX) {
                RankVec::U16(rank.iter().map(|&r| if r == UNRANKED { u16::MAX } else { r as u16 }).collect())
            } else {
                RankVec::U32(rank)
            };
            *ranks = Some(Ranks { rank, distinct });
            n += 1;
        }
        n
    }

    /// Reorders the rows: row `i` becomes the former row `order[i]` (`order` is a permutation
    /// of `0..len()`; otherwise the table is left unchanged and `false` returned). Ranks and
    /// local dictionaries move with their rows, so a sealed table stays sealed. One column at a
    /// time: the extra memory is one column.
    pub fn permute(&mut self, order: &[u32]) -> bool {
        let len = self.len;
        let mut seen = vec![false; len];
        if order.len() != len || !order.iter().all(|&i| seen.get_mut(i as usize).is_some_and(|s| !std::mem::replace(s, true))) {
            return false;
        }
        fn take<X: Copy>(v: &[X], order: &[u32]) -> Vec<X> {
            order.iter().map(|&i| v[i as usize]).collect()
        }
        for c in &mut self.cols {
            match c {
                Column::Absent => {}
                Column::Num { vals, known, ranks } => {
                    *vals = take(vals, order);
                    let mut k = vec![0u64; known.len()];
                    for (row, &from) in order.iter().enumerate() {
                        let bit = (known[from as usize / 64] >> (from % 64)) & 1;
                        k[row / 64] |= bit << (row % 64);
                    }
                    *known = k;
                    if let Some(r) = ranks {
                        r.rank = match &r.rank {
                            RankVec::U8(v) => RankVec::U8(take(v, order)),
                            RankVec::U16(v) => RankVec::U16(take(v, order)),
                            RankVec::U32(v) => RankVec::U32(take(v, order)),
                        };
                    }
                }
                Column::Bool(v) => *v = take(v, order),
                Column::Text(v) => *v = take(v, order),
                Column::Date(v) => *v = take(v, order),
            }
        }
        for l in self.local.iter_mut().flatten() {
            l.codes = take(&l.codes, order);
        }
        true
    }

    /// The order that groups the rows by the text of field `field` (unknown last), stable: pass
    /// it to [`Columns::permute`]. With the rows of one region together, a block holds one or a
    /// few regions and a city or county policy skips every block outside it.
    pub fn order_by_text(&self, field: usize) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len as u32).collect();
        if let Column::Text(ids) = self.column(field) {
            let s = |id: u32| if id == NONE_TEXT { None } else { self.interner.strings.get(id as usize).map(String::as_str) };
            // Rank the distinct strings once, then sort the rows by rank (unknown last).
            let mut by_string: Vec<u32> = (0..self.interner.len() as u32).collect();
            by_string.sort_by(|&a, &b| s(a).cmp(&s(b)));
            let mut rank = vec![0u32; self.interner.len()];
            for (r, &id) in by_string.iter().enumerate() {
                rank[id as usize] = r as u32;
            }
            order.sort_by_key(|&row| ids.get(row as usize).and_then(|&id| rank.get(id as usize).copied()).unwrap_or(u32::MAX));
        }
        order
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The column of field `i`.
    pub fn column(&self, i: usize) -> &Column {
        self.cols.get(i).unwrap_or(&Column::Absent)
    }

    /// Every column, by schema field index.
    pub fn columns(&self) -> &[Column] {
        &self.cols
    }

    /// The kind of field `i`.
    pub fn kind(&self, i: usize) -> Option<Kind> {
        self.kinds.get(i).copied()
    }

    /// The local dictionary of text column `i`, after [`Columns::seal`] (none when the column
    /// has 65,535 distinct values or more).
    pub fn local_codes(&self, i: usize) -> Option<&LocalCodes> {
        self.local.get(i).and_then(Option::as_ref)
    }

    /// The text values.
    pub fn interner(&self) -> &Interner {
        &self.interner
    }

    /// Bytes held by the columns and the interner (an estimate of the heap they use).
    pub fn heap_bytes(&self) -> usize {
        let cols: usize = self
            .cols
            .iter()
            .map(|c| match c {
                Column::Absent => 0,
                Column::Num { vals, known, ranks } => {
                    vals.capacity() * 8
                        + known.capacity() * 8
                        + ranks.as_ref().map_or(0, |r| r.rank.heap_bytes() + r.distinct.capacity() * 8)
                }
                Column::Bool(v) => v.capacity(),
                Column::Text(v) => v.capacity() * 4,
                Column::Date(v) => v.capacity() * 4,
            })
            .sum();
        let text: usize = self.interner.strings.iter().map(|s| 2 * s.capacity() + 64).sum();
        let local: usize = self.local.iter().flatten().map(|l| l.codes.capacity() * 2 + l.dict.capacity() * 4).sum();
        cols + text + local
    }
}

/// Appends row `row` to every stored column, reading field `i`'s value with `get(i)`.
fn push_row<'v>(cols: &mut [Column], interner: &mut Interner, row: usize, get: impl Fn(usize) -> Option<&'v FactValue>) {
    for (i, c) in cols.iter_mut().enumerate() {
        if matches!(c, Column::Absent) {
            continue;
        }
        let v = get(i);
        match c {
            Column::Absent => {}
            Column::Num { vals, known, ranks } => {
                *ranks = None;
                if row.is_multiple_of(64) {
                    known.push(0);
                }
                match v {
                    Some(FactValue::Num(n)) => {
                        vals.push(*n);
                        if let Some(w) = known.last_mut() {
                            *w |= 1 << (row % 64);
                        }
                    }
                    _ => vals.push(0.0),
                }
            }
            Column::Bool(b) => b.push(match v {
                Some(FactValue::Bool(true)) => 2,
                Some(FactValue::Bool(false)) => 0,
                _ => 1,
            }),
            Column::Text(t) => t.push(match v {
                Some(FactValue::Text(s)) => interner.intern(s),
                _ => NONE_TEXT,
            }),
            Column::Date(d) => d.push(match v {
                Some(FactValue::Date(x)) => x.days_since_epoch().clamp(i64::from(i32::MIN) + 1, i64::from(i32::MAX)) as i32,
                _ => NONE_DATE,
            }),
        }
    }
}
