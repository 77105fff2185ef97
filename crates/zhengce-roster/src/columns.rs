//! Roster columns from the loaded profile schema: which header names which field.
//!
//! The schema is the only field list (`rules/schema*.ron`): a field is named by its `name` (the
//! English header), its `header` (the Chinese header `zhengce demo-data` writes), its `aliases`
//! and its `label`; a derived fact (`rules/derived.ron`) by its name, label and `aliases`, and such
//! a column is ignored with a warning. Headers are compared after [`normalize_header`]: full-width
//! characters folded, spaces, `*` and a trailing unit in brackets removed, ASCII lower-cased, so
//! `从业人员（人）`, `*从业人员` and `employees` all name the same column. When two names collide,
//! a field's name, header or alias wins over a derived fact, which wins over a field's label.

use std::collections::HashMap;

use zhengce_engine::Schema;
use zhengce_model::schema::FieldDef;

/// The field every roster row is keyed by.
pub const KEY_FIELD: &str = "credit_code";

/// What a header names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HeaderMatch<'s> {
    /// A profile field.
    Field(&'s FieldDef),
    /// A derived fact (by name): ignored on import, with a warning.
    Derived(&'s str),
}

/// The header lookup of one schema.
pub struct Columns<'s> {
    lookup: HashMap<String, HeaderMatch<'s>>,
    key: &'s FieldDef,
}

impl<'s> Columns<'s> {
    /// The lookup for `schema`; `None` if it has no [`KEY_FIELD`].
    pub fn new(schema: &'s Schema) -> Option<Columns<'s>> {
        let key = schema.fields.iter().find(|f| f.name == KEY_FIELD)?;
        let mut lookup = HashMap::new();
        let mut add = |h: &str, m: HeaderMatch<'s>| {
            let norm = normalize_header(h);
            if !norm.is_empty() {
                lookup.entry(norm).or_insert(m);
            }
        };
        for f in &schema.fields {
            for h in [&f.name, &f.header].into_iter().chain(&f.aliases) {
                add(h, HeaderMatch::Field(f));
            }
        }
        for d in schema.derived.iter().map(|d| &d.def) {
            for h in [&d.name, &d.label].into_iter().chain(&d.aliases) {
                add(h, HeaderMatch::Derived(&d.name));
            }
        }
        for f in &schema.fields {
            add(&f.label, HeaderMatch::Field(f));
        }
        Some(Columns { lookup, key })
    }

    /// What a roster header names, if anything.
    pub fn match_header(&self, h: &str) -> Option<HeaderMatch<'s>> {
        self.lookup.get(&normalize_header(h)).copied()
    }

    /// Whether a header names the key column (how the header row is recognised).
    pub fn is_key(&self, h: &str) -> bool {
        matches!(self.match_header(h), Some(HeaderMatch::Field(f)) if f.name == KEY_FIELD)
    }

    /// The key field (its header and name are named when no header row is found).
    pub fn key(&self) -> &'s FieldDef {
        self.key
    }
}

/// The fields that are columns of the standard roster (those with a `header`), in schema order.
pub fn roster_fields(schema: &Schema) -> impl Iterator<Item = &FieldDef> {
    schema.fields.iter().filter(|f| !f.header.is_empty())
}

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
