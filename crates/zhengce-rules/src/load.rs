//! Loading the rules folder: schema, derived facts and rule files, with diagnostics.
//!
//! One bad file never hides the others: each file is parsed and checked on its own, and a file with
//! errors is left out of the rule set while its diagnostics are reported.

use std::collections::{BTreeMap, HashMap};

use zhengce_model::Date;
use zhengce_model::diagnostic::{Code, Diagnostic, line_col};
use zhengce_model::fact::FactValue;
use zhengce_model::policy::{Confidence, region_contains};
use zhengce_model::region::RegionFactsFile;
use zhengce_model::rule::{BenefitDef, Cond, Example, ParamValue, RuleFile, SharedParamsFile};
use zhengce_model::schema::{DerivedFile, FieldType, SchemaFile};

use crate::compile::{self, CExpr, CompileError, CompiledDerived, Scope, Ty};
use crate::expr::{self, BinOp};
use crate::schema::Schema;

/// A compiled condition tree.
#[derive(Debug, Clone)]
pub enum CCond {
    /// All hold.
    All(Vec<CCond>),
    /// One holds.
    Any(Vec<CCond>),
    /// Negation.
    Not(Box<CCond>),
    /// At least k hold.
    AtLeast(usize, Vec<CCond>),
    /// A boolean expression, with its source text.
    Check(CExpr, String),
    /// A labelled condition.
    Named(String, Box<CCond>),
    /// Thresholds the firm can act on, with the text template saying what to do.
    Act(Vec<Piece>, Box<CCond>),
    /// Criteria by period; the one covering `as_of` applies.
    Dated(Vec<CDated>),
}

impl CCond {
    /// The most reasons judging this condition writes: one per criterion, label and period shown.
    pub fn max_reasons(&self) -> usize {
        match self {
            CCond::All(cs) | CCond::Any(cs) | CCond::AtLeast(_, cs) => cs.iter().map(CCond::max_reasons).sum(),
            CCond::Not(c) | CCond::Act(_, c) => c.max_reasons(),
            CCond::Check(..) => 1,
            CCond::Named(_, c) if matches!(c.as_ref(), CCond::Check(..)) => 1,
            CCond::Named(_, c) => 1 + c.max_reasons(),
            CCond::Dated(ps) => 1 + ps.iter().map(|p| p.cond.max_reasons()).max().unwrap_or(0),
        }
    }
}

/// One compiled period of dated criteria.
#[derive(Debug, Clone)]
pub struct CDated {
    /// First day.
    pub from: Date,
    /// Last day; `None` is open-ended.
    pub to: Option<Date>,
    /// The document setting these criteria.
    pub source: String,
    /// The criteria.
    pub cond: CCond,
}

/// A piece of a text template (benefit texts, near-miss actions).
#[derive(Debug, Clone)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// An expression value; `true` = as a percentage.
    Expr(CExpr, bool),
    /// A value the template's user supplies (`{amount}`, `{gap}`, …).
    Slot(Slot),
    /// `{?cond}`: the text up to the matching `{/}` shows only when `cond` is known to hold.
    If(CExpr),
    /// `{/}`: ends the innermost `{?cond}` section.
    EndIf,
}

/// The named values a template may insert besides expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `{amount}`: the benefit amount (benefit texts).
    Amount,
    /// `{gap}`: the shortfall, with its unit (near-miss actions).
    Gap,
    /// `{required}`: the threshold, with its unit (near-miss actions).
    Required,
    /// `{current}`: the current value, with its unit (near-miss actions).
    Current,
}

const BENEFIT_SLOTS: &[(&str, Slot)] = &[("amount", Slot::Amount)];
const ACT_SLOTS: &[(&str, Slot)] = &[("gap", Slot::Gap), ("required", Slot::Required), ("current", Slot::Current)];

/// A compiled benefit.
#[derive(Debug, Clone)]
pub struct CBenefit {
    /// Amount in 万元.
    pub amount: CExpr,
    /// Text template.
    pub text: Vec<Piece>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Policy slug.
    pub policy: String,
    /// The file it came from.
    pub file: String,
    /// Parameters by index: name and dated values.
    pub params: Vec<(String, Vec<ParamValue>)>,
    /// Conditions.
    pub cond: CCond,
    /// Near-miss margin.
    pub margin: f64,
    /// Benefit.
    pub benefit: Option<CBenefit>,
    /// Examples (checked by `crate::examples`).
    pub examples: Vec<Example>,
    /// Confidence marks of criteria by the facts they read: schema field index → mark.
    pub field_marks: BTreeMap<usize, Confidence>,
    /// The same for derived facts, by derived index.
    pub derived_marks: BTreeMap<usize, Confidence>,
    /// The most reasons a judgement of the rule writes (to size its list once).
    pub max_reasons: usize,
    /// Each parameter value's confidence ([`ParamValue::confidence`]), as `params`, read once.
    pub param_marks: Vec<Vec<Option<Confidence>>>,
}

impl CompiledRule {
    /// The lowest confidence of every parameter value and criterion mark in the rule, with what
    /// carries it (for the check that a policy's mark agrees with what it contains).
    /// Only parameter values whose period overlaps `period` (the policy's effective period) count:
    /// a shared parameter's value for a later year does not make an earlier policy less certain.
    pub fn lowest_confidence(&self, schema: &Schema, period: (Date, Option<Date>)) -> Option<(Confidence, String)> {
        let (from, to) = period;
        let params = self.params.iter().flat_map(move |(name, vs)| {
            vs.iter()
                .filter(move |v| to.is_none_or(|t| v.from <= t) && v.to.is_none_or(|vt| from <= vt))
                .filter_map(move |v| v.confidence().map(|c| (c, format!("parameter `{name}` ({})", v.source))))
        });
        let fields = self.field_marks.iter().map(|(i, c)| (*c, format!("criteria on `{}`", schema.fields[*i].name)));
        let derived = self.derived_marks.iter().map(|(i, c)| (*c, format!("criteria on `{}`", schema.derived[*i].def.name)));
        params.chain(fields).chain(derived).max_by_key(|(c, _)| *c)
    }

    /// Parameter values at `as_of`.
    pub fn params_at(&self, as_of: Date) -> Vec<Option<f64>> {
        self.params
            .iter()
            .map(|(_, vs)| vs.iter().find(|v| v.from <= as_of && v.to.is_none_or(|t| as_of <= t)).and_then(|v| v.value))
            .collect()
    }
}

/// A corpus file handed to the loader.
pub struct Input<'a> {
    /// Path used in diagnostics.
    pub path: &'a str,
    /// Contents.
    pub text: &'a str,
}

/// The effective period of each policy, for slug checks and parameter coverage.
pub type PolicyPeriods = BTreeMap<String, (Date, Option<Date>)>;

/// The loaded rules.
#[derive(Debug)]
pub struct RuleSet {
    /// The schema with derived facts.
    pub schema: Schema,
    /// Rules, sorted by policy slug.
    pub rules: Vec<CompiledRule>,
    /// Region facts (`rules/region-facts.ron`).
    pub region: RegionTable,
}

/// One dated, sourced value of a region fact for one region.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionEntry {
    /// The division (6 digits; `000000` is the whole country).
    pub region: String,
    /// First day.
    pub from: Date,
    /// Last day, `None` open-ended.
    pub to: Option<Date>,
    /// The value, of the field's type.
    pub value: FactValue,
    /// Its confidence.
    pub confidence: Confidence,
    /// The document it rests on.
    pub source: String,
}

/// A region fact as it applies to one enterprise on one date.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RegionValue<'a> {
    /// The entry for the narrowest region containing the enterprise's.
    Entry(&'a RegionEntry),
    /// A local option no entry adopts: off.
    Off,
    /// Given by an example (`region_facts`), to test a rule under another region's decision.
    Given(&'a FactValue),
    /// Not known: officers have not recorded it (or the enterprise's region is unknown).
    Unknown,
}

/// The region facts of the corpus, by schema field index.
#[derive(Clone, Debug, Default)]
pub struct RegionTable {
    /// Entries by field index.
    pub entries: BTreeMap<usize, Vec<RegionEntry>>,
    /// Field indices of local options (off unless an entry adopts them).
    pub options: Vec<usize>,
}

/// The value a local option takes where no region adopted it.
pub static OFF: FactValue = FactValue::Bool(false);

impl RegionTable {
    /// The value of region fact `field` for an enterprise registered in `region` on `as_of`: the
    /// entry of the narrowest region containing it whose period covers the date; otherwise off for
    /// a local option, unknown for any other fact. Also what a columnar evaluator fills a region
    /// fact's column with, region by region.
    pub fn lookup(&self, field: usize, region: Option<&str>, as_of: Date) -> RegionValue<'_> {
        let Some(region) = region else { return RegionValue::Unknown };
        let best = self
            .entries
            .get(&field)
            .into_iter()
            .flatten()
            .filter(|e| region_contains(&e.region, region) && e.from <= as_of && e.to.is_none_or(|t| as_of <= t))
            .max_by_key(|e| e.region.trim_end_matches('0').len());
        match best {
            Some(e) => RegionValue::Entry(e),
            None if self.options.contains(&field) => RegionValue::Off,
            None => RegionValue::Unknown,
        }
    }
}

impl<'a> RegionValue<'a> {
    /// The fact value, when known.
    pub fn value(self) -> Option<&'a FactValue> {
        match self {
            RegionValue::Entry(e) => Some(&e.value),
            RegionValue::Off => Some(&OFF),
            RegionValue::Given(v) => Some(v),
            RegionValue::Unknown => None,
        }
    }
}

/// Loads `rules/region-facts.ron` against the schema: every entry names a field the schema marks
/// `region_fact`, has a value of its type, a 6-digit region, and no two entries of one field and
/// region overlap in time.
pub fn load_region_facts(input: Input<'_>, schema: &Schema, diags: &mut Vec<Diagnostic>) -> RegionTable {
    let file = match ron_options().from_str::<RegionFactsFile>(input.text) {
        Ok(f) => f,
        Err(e) => {
            diags.push(ron_error(input.path, &e));
            return RegionTable::default();
        }
    };
    let loc = Locator { file: input.path, source: input.text, cursor: 0 };
    let region_field = |name: &str, diags: &mut Vec<Diagnostic>| -> Option<usize> {
        let i = schema.fields.iter().position(|f| f.name == name && f.region_fact);
        if i.is_none() {
            let known = schema.fields.iter().filter(|f| f.region_fact).map(|f| f.name.as_str());
            let hint =
                zhengce_model::diagnostic::suggest(name, known).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            diags.push(loc.at_key(
                name,
                format!("`{name}` is not a region fact of the schema (a field marked `region_fact: true`){hint}"),
                Code::RegionFact,
            ));
        }
        i
    };
    let mut table = RegionTable::default();
    for o in &file.local_options {
        if let Some(i) = region_field(o, diags) {
            table.options.push(i);
        }
    }
    for v in &file.facts {
        let Some(i) = region_field(&v.field, diags) else { continue };
        let at = |msg: String| {
            let needle = format!("region: \"{}\"", v.region);
            let off = input.text.find(&needle).unwrap_or(0);
            Diagnostic::at_offset(Code::RegionFact, input.path, input.text, off, msg)
        };
        if v.region.len() != 6 || !v.region.bytes().all(|b| b.is_ascii_digit()) {
            diags.push(at(format!("region `{}` of `{}` is not a 6-digit division code", v.region, v.field)));
            continue;
        }
        if v.to.is_some_and(|t| t < v.from) {
            diags.push(at(format!("`{}` for {}: period ends before it starts", v.field, v.region)));
            continue;
        }
        let value = match crate::schema::convert(&schema.fields[i], &v.value) {
            Ok(x) => x,
            Err(m) => {
                diags.push(at(format!("`{}` for {}: {m}", v.field, v.region)));
                continue;
            }
        };
        let list = table.entries.entry(i).or_default();
        let overlaps = |e: &RegionEntry| e.to.is_none_or(|t| v.from <= t) && v.to.is_none_or(|t| e.from <= t);
        if let Some(prev) = list.iter().find(|e| e.region == v.region && overlaps(e)) {
            diags.push(at(format!(
                "`{}` for {}: the period from {} overlaps the one from {}",
                v.field, v.region, v.from, prev.from
            )));
            continue;
        }
        list.push(RegionEntry {
            region: v.region.clone(),
            from: v.from,
            to: v.to,
            value,
            confidence: v.confidence,
            source: v.source.clone(),
        });
    }
    table
}

fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(crate::MAX_DEPTH)
}

fn ron_error(file: &str, e: &ron::error::SpannedError) -> Diagnostic {
    let at = (e.span.start.line, e.span.start.col);
    match e.code {
        ron::Error::ExceededRecursionLimit => Diagnostic::at(
            Code::TooDeep,
            file,
            at,
            format!("nested too deeply (limit {} levels of `All`/`Any`/`Not`/`Named`, lists and maps)", crate::MAX_DEPTH),
        ),
        _ => Diagnostic::at(Code::Syntax, file, at, e.code.to_string()),
    }
}

/// Finds where the string literal `text` starts (its first character) at or after `from`.
fn find_literal(source: &str, text: &str, from: usize) -> Option<usize> {
    let needle = format!("\"{text}\"");
    source.get(from..)?.find(&needle).map(|i| from + i + 1).or_else(|| source.find(&needle).map(|i| i + 1))
}

struct Locator<'s> {
    file: &'s str,
    source: &'s str,
    cursor: usize,
}

impl Locator<'_> {
    fn at_expr(&mut self, text: &str, offset: usize, code: Code, message: String) -> Diagnostic {
        let base = find_literal(self.source, text, self.cursor).unwrap_or(0);
        Diagnostic::at(code, self.file, line_col(self.source, base + offset), message)
    }

    fn advance(&mut self, text: &str) {
        if let Some(at) = find_literal(self.source, text, self.cursor) {
            self.cursor = at;
        }
    }

    fn at_key(&self, key: &str, message: String, code: Code) -> Diagnostic {
        let at = self.source.find(&format!("\"{key}\"")).or_else(|| self.source.find(key)).unwrap_or(0);
        Diagnostic::at(code, self.file, line_col(self.source, at), message)
    }
}

/// Loads the schema (`rules/schema.ron` plus any `rules/schema-*.ron` extensions, fields in file
/// order) and derived facts. Returns `None` (with diagnostics) when they are unusable.
pub fn load_schema(schemas: &[Input<'_>], derived: Input<'_>, diags: &mut Vec<Diagnostic>) -> Option<Schema> {
    let mut fields = Vec::new();
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut broken = false;
    for schema in schemas {
        match ron_options().from_str::<SchemaFile>(schema.text) {
            Ok(s) => {
                for f in s.fields {
                    if let Some(prev) = seen.insert(f.name.clone(), schema.path) {
                        let at = schema.text.find(&format!("name: \"{}\"", f.name)).unwrap_or(0);
                        diags.push(Diagnostic::at_offset(
                            Code::Duplicate,
                            schema.path,
                            schema.text,
                            at,
                            format!("field `{}` is already declared in {prev}", f.name),
                        ));
                    } else {
                        fields.push(f);
                    }
                }
            }
            Err(e) => {
                diags.push(ron_error(schema.path, &e));
                // A broken extension only loses its own fields (rules that use them report E002);
                // without the core schema nothing can be checked.
                broken |= std::ptr::eq(schema, &schemas[0]);
            }
        }
    }
    if broken {
        return None;
    }
    let defs = match ron_options().from_str::<DerivedFile>(derived.text) {
        Ok(d) => d.facts,
        Err(e) => {
            diags.push(ron_error(derived.path, &e));
            return None;
        }
    };
    // Parse, then order topologically (reporting cycles), then compile in that order.
    let mut loc = Locator { file: derived.path, source: derived.text, cursor: 0 };
    let mut parsed = Vec::new();
    for d in &defs {
        match expr::parse(&d.expr) {
            Ok(e) => parsed.push(Some(e)),
            Err(e) => {
                diags.push(loc.at_expr(&d.expr, e.offset, e.code, e.message));
                parsed.push(None);
            }
        }
    }
    let index: HashMap<&str, usize> = defs.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect();
    let deps: Vec<Vec<usize>> = parsed
        .iter()
        .map(|p| {
            let mut ns = Vec::new();
            if let Some(e) = p {
                compile::names(e, &mut ns);
            }
            ns.iter().filter_map(|(n, _)| index.get(n.as_str()).copied()).collect()
        })
        .collect();
    let mut order = Vec::new();
    let mut state = vec![0u8; defs.len()];
    let mut cyclic = false;
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        order: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        match state[i] {
            2 => return None,
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(i);
                return Some(cycle);
            }
            _ => {}
        }
        state[i] = 1;
        path.push(i);
        for &d in &deps[i] {
            if let Some(c) = visit(d, deps, state, order, path) {
                return Some(c);
            }
        }
        path.pop();
        state[i] = 2;
        order.push(i);
        None
    }
    for i in 0..defs.len() {
        if let Some(cycle) = visit(i, &deps, &mut state, &mut order, &mut Vec::new()) {
            let names: Vec<&str> = cycle.iter().map(|&c| defs[c].name.as_str()).collect();
            let at = derived.text.find(&format!("name: \"{}\"", defs[cycle[0]].name)).unwrap_or(0);
            diags.push(Diagnostic::at_offset(
                Code::DerivedCycle,
                derived.path,
                derived.text,
                at,
                format!("derived facts form a cycle: {}", names.join(" -> ")),
            ));
            cyclic = true;
            break;
        }
    }
    if cyclic || parsed.iter().any(Option::is_none) {
        return None;
    }
    let ordered: Vec<(String, Ty)> = order.iter().map(|&i| (defs[i].name.clone(), compile::ty_of(&defs[i].ty))).collect();
    let scope = Scope { fields: &fields, derived: &ordered, params: &[], dated: &[] };
    let mut compiled = Vec::new();
    let mut ok = true;
    for &i in &order {
        let d = &defs[i];
        let Some(e) = &parsed[i] else { continue };
        let mut l = Locator { file: derived.path, source: derived.text, cursor: 0 };
        match compile::compile(e, &scope, Some(&compile::ty_of(&d.ty))) {
            Ok(c) => compiled.push(CompiledDerived { def: d.clone(), expr: c }),
            Err(CompileError { code, offset, message }) => {
                diags.push(l.at_expr(&d.expr, offset, code, format!("derived fact `{}`: {message}", d.name)));
                ok = false;
            }
        }
    }
    for f in &fields {
        if let Some(g) = &f.after
            && !fields.iter().any(|x| &x.name == g && !x.region_fact)
        {
            let (path, text) = schemas
                .iter()
                .find(|s| s.text.contains(&format!("name: \"{}\"", f.name)))
                .map_or(("rules/schema.ron", ""), |s| (s.path, s.text));
            let at = text.find(&format!("after: \"{g}\"")).unwrap_or(0);
            diags.push(Diagnostic::at_offset(
                Code::UnknownName,
                path,
                text,
                at,
                format!("field `{}`: `after` names `{g}`, which is not a profile field an enterprise answers", f.name),
            ));
            ok = false;
        }
    }
    ok.then(|| Schema::new(fields, compiled))
}

fn check_periods(name: &str, values: &[ParamValue], period: Option<&(Date, Option<Date>)>) -> Option<String> {
    let spans: Vec<(Date, Option<Date>)> = values.iter().map(|v| (v.from, v.to)).collect();
    check_spans(&format!("parameter `{name}`"), "value", &spans, period)
}

/// Checks dated periods (of a parameter or of criteria): none ends before it starts, none overlaps
/// or leaves a gap, and together they cover the policy's period. `what` names the dated thing in
/// messages, `noun` one of its periods.
fn check_spans(what: &str, noun: &str, spans: &[(Date, Option<Date>)], period: Option<&(Date, Option<Date>)>) -> Option<String> {
    let mut vs: Vec<&(Date, Option<Date>)> = spans.iter().collect();
    vs.sort_by_key(|v| v.0);
    if vs.is_empty() {
        return Some(format!("{what} has no {noun}s"));
    }
    for (from, to) in &vs {
        if to.is_some_and(|t| t < *from) {
            return Some(format!(
                "{what}: period {from}..{} ends before it starts",
                to.map(|t| t.to_string()).unwrap_or_default()
            ));
        }
    }
    for w in vs.windows(2) {
        let (a, b) = (w[0], w[1]);
        match a.1 {
            None => {
                return Some(format!("{what}: the open-ended {noun} from {} overlaps the {noun} from {}", a.0, b.0));
            }
            Some(t) if t >= b.0 => {
                return Some(format!("{what}: {noun}s from {} and {} overlap", a.0, b.0));
            }
            Some(t) if t.days_since_epoch() + 1 != b.0.days_since_epoch() => {
                return Some(format!("{what}: gap between {t} and {}", b.0));
            }
            _ => {}
        }
    }
    if let Some((from, to)) = period {
        if vs[0].0 > *from {
            return Some(format!("{what} starts on {} but the policy is in force from {from}", vs[0].0));
        }
        let last = vs[vs.len() - 1].1;
        let short = match (last, to) {
            (Some(l), Some(t)) => l < *t,
            (Some(_), None) => true,
            _ => false,
        };
        if short {
            return Some(format!(
                "{what} ends on {} but the policy is in force until {}",
                last.map(|l| l.to_string()).unwrap_or_default(),
                to.map(|t| t.to_string()).unwrap_or_else(|| "further notice".into())
            ));
        }
    }
    None
}

/// Checks the periods of every `Dated` block of a condition tree (E006, at the first period's
/// source text).
fn check_dated(c: &Cond, period: Option<&(Date, Option<Date>)>, loc: &Locator<'_>, diags: &mut Vec<Diagnostic>) {
    match c {
        Cond::All(cs) | Cond::Any(cs) | Cond::AtLeast(_, cs) => cs.iter().for_each(|c| check_dated(c, period, loc, diags)),
        Cond::Not(c) | Cond::Named(_, c) | Cond::Act(_, c) => check_dated(c, period, loc, diags),
        Cond::Check(_) => {}
        Cond::Dated(ps) => {
            let spans: Vec<(Date, Option<Date>)> = ps.iter().map(|p| (p.from, p.to)).collect();
            if let Some(msg) = check_spans("dated criteria", "criteria period", &spans, period) {
                let key = ps.first().map_or("Dated", |p| p.source.as_str());
                diags.push(loc.at_key(key, msg, Code::ParamPeriods));
            }
            ps.iter().for_each(|p| check_dated(&p.cond, period, loc, diags));
        }
    }
}

fn compile_cond(c: &Cond, scope: &Scope<'_>, loc: &mut Locator<'_>, diags: &mut Vec<Diagnostic>) -> Option<CCond> {
    let many = |cs: &[Cond], loc: &mut Locator<'_>, diags: &mut Vec<Diagnostic>| -> Option<Vec<CCond>> {
        let out: Vec<Option<CCond>> = cs.iter().map(|c| compile_cond(c, scope, loc, diags)).collect();
        out.into_iter().collect()
    };
    Some(match c {
        Cond::All(cs) => CCond::All(many(cs, loc, diags)?),
        Cond::Any(cs) => CCond::Any(many(cs, loc, diags)?),
        Cond::AtLeast(k, cs) => CCond::AtLeast(*k, many(cs, loc, diags)?),
        Cond::Not(c) => CCond::Not(Box::new(compile_cond(c, scope, loc, diags)?)),
        Cond::Named(label, c) => {
            loc.advance(label);
            CCond::Named(label.clone(), Box::new(compile_cond(c, scope, loc, diags)?))
        }
        Cond::Act(text, c) => {
            let pieces = compile_template(text, ACT_SLOTS, scope, loc, diags);
            loc.advance(text);
            let inner = compile_cond(c, scope, loc, diags)?;
            CCond::Act(pieces?, Box::new(inner))
        }
        Cond::Dated(ps) => {
            let out: Vec<Option<CDated>> = ps
                .iter()
                .map(|p| {
                    loc.advance(&p.source);
                    let cond = compile_cond(&p.cond, scope, loc, diags)?;
                    Some(CDated { from: p.from, to: p.to, source: p.source.clone(), cond })
                })
                .collect();
            CCond::Dated(out.into_iter().collect::<Option<Vec<_>>>()?)
        }
        Cond::Check(src) => {
            let r = expr::parse(src)
                .map_err(|e| (e.code, e.offset, e.message))
                .and_then(|e| compile::compile(&e, scope, Some(&Ty::Bool)).map_err(|e| (e.code, e.offset, e.message)));
            let out = match r {
                Ok(c) => Some(CCond::Check(c, src.clone())),
                Err((code, offset, message)) => {
                    diags.push(loc.at_expr(src, offset, code, message));
                    None
                }
            };
            loc.advance(src);
            out?
        }
    })
}

fn compile_piece(
    src: &str,
    offset_base: usize,
    whole: &str,
    scope: &Scope<'_>,
    loc: &mut Locator<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<CExpr> {
    let r = expr::parse(src)
        .map_err(|e| (e.code, e.offset, e.message))
        .and_then(|e| compile::compile(&e, scope, None).map_err(|e| (e.code, e.offset, e.message)));
    match r {
        Ok(c) => Some(c),
        Err((code, offset, message)) => {
            diags.push(loc.at_expr(whole, offset_base + offset, code, message));
            None
        }
    }
}

/// Compiles a text template: `{expr}`, `{expr:%}` and the named `slots`.
fn compile_template(
    text: &str,
    slots: &[(&str, Slot)],
    scope: &Scope<'_>,
    loc: &mut Locator<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut ok = true;
    let mut open_sections = 0usize;
    while let Some(open) = rest.find('{') {
        pieces.push(Piece::Lit(rest[..open].to_string()));
        let Some(close) = rest[open..].find('}') else {
            diags.push(loc.at_expr(text, text.len() - rest.len() + open, Code::ExprSyntax, "`{` is not closed by `}`".into()));
            return None;
        };
        let inner = &rest[open + 1..open + close];
        let (src, is_pct) = match inner.strip_suffix(":%") {
            Some(s) => (s, true),
            None => (inner, false),
        };
        let base = text.len() - rest.len() + open + 1;
        if let Some(&(_, slot)) = slots.iter().find(|(name, _)| *name == src.trim()) {
            pieces.push(Piece::Slot(slot));
        } else if src.trim() == "/" {
            if open_sections == 0 {
                diags.push(loc.at_expr(text, base, Code::ExprSyntax, "`{/}` closes no `{?…}` section".into()));
                return None;
            }
            open_sections -= 1;
            pieces.push(Piece::EndIf);
        } else if let Some(cond) = src.strip_prefix('?') {
            match compile_piece(cond, base + 1, text, scope, loc, diags) {
                Some(c) => pieces.push(Piece::If(c)),
                None => ok = false,
            }
            open_sections += 1;
        } else {
            match compile_piece(src, base, text, scope, loc, diags) {
                Some(c) => pieces.push(Piece::Expr(c, is_pct)),
                None => ok = false,
            }
        }
        rest = &rest[open + close + 1..];
    }
    pieces.push(Piece::Lit(rest.to_string()));
    if open_sections > 0 {
        diags.push(loc.at_expr(text, 0, Code::ExprSyntax, "a `{?…}` section is not closed by `{/}`".into()));
        return None;
    }
    ok.then_some(pieces)
}

fn compile_benefit(b: &BenefitDef, scope: &Scope<'_>, loc: &mut Locator<'_>, diags: &mut Vec<Diagnostic>) -> Option<CBenefit> {
    let amount = compile_piece(&b.amount, 0, &b.amount, scope, loc, diags);
    loc.advance(&b.amount);
    let text = compile_template(&b.text, BENEFIT_SLOTS, scope, loc, diags);
    loc.advance(&b.text);
    Some(CBenefit { amount: amount?, text: text? })
}

/// Compiles one rule file. Returns `None` when it has errors (reported in `diags`).
pub fn load_rule(
    input: Input<'_>,
    schema: &Schema,
    periods: &PolicyPeriods,
    diags: &mut Vec<Diagnostic>,
) -> Option<CompiledRule> {
    load_rule_with(input, schema, &[], periods, diags)
}

/// Dated parameters shared by every rule (`rules/shared-params.ron`), by name.
pub type SharedParams = Vec<(String, Vec<ParamValue>)>;

/// Loads `rules/shared-params.ron`. A parameter named like a profile field or derived fact is
/// refused (E009); bad periods are E006 (the parameter is kept, so rules using it still load).
pub fn load_shared(input: Input<'_>, schema: &Schema, diags: &mut Vec<Diagnostic>) -> SharedParams {
    let file = match ron_options().from_str::<SharedParamsFile>(input.text) {
        Ok(f) => f,
        Err(e) => {
            diags.push(ron_error(input.path, &e));
            return Vec::new();
        }
    };
    let loc = Locator { file: input.path, source: input.text, cursor: 0 };
    let mut out = Vec::new();
    for (name, values) in file.params {
        if schema.slot(&name).is_some() {
            let msg = format!("parameter `{name}` has the name of a profile field or derived fact");
            diags.push(loc.at_key(&name, msg, Code::Duplicate));
            continue;
        }
        if let Some(msg) = check_periods(&name, &values, None) {
            diags.push(loc.at_key(&name, msg, Code::ParamPeriods));
        }
        out.push((name, values));
    }
    out
}

/// Calls `f` on every parameter index of a compiled expression.
fn params_in_expr(e: &mut CExpr, f: &mut dyn FnMut(&mut usize)) {
    match e {
        CExpr::Param(i) => f(i),
        CExpr::Not(a) | CExpr::Neg(a) => params_in_expr(a, f),
        CExpr::Bin(_, a, b) => {
            params_in_expr(a, f);
            params_in_expr(b, f);
        }
        CExpr::If(c, a, b) => {
            params_in_expr(c, f);
            params_in_expr(a, f);
            params_in_expr(b, f);
        }
        CExpr::Call(_, args) => args.iter_mut().for_each(|a| params_in_expr(a, f)),
        CExpr::ParamAt(i, _, date) => {
            f(i);
            params_in_expr(date, f);
        }
        CExpr::Num(_) | CExpr::Text(_) | CExpr::Bool(_) | CExpr::None | CExpr::Field(_) | CExpr::Derived(_) | CExpr::AsOf => {}
    }
}

fn params_in_pieces(ps: &mut [Piece], f: &mut dyn FnMut(&mut usize)) {
    for p in ps {
        if let Piece::Expr(e, _) | Piece::If(e) = p {
            params_in_expr(e, f);
        }
    }
}

/// Calls `f` on every parameter index of a compiled condition tree.
fn params_in_cond(c: &mut CCond, f: &mut dyn FnMut(&mut usize)) {
    match c {
        CCond::All(cs) | CCond::Any(cs) | CCond::AtLeast(_, cs) => cs.iter_mut().for_each(|c| params_in_cond(c, f)),
        CCond::Not(c) | CCond::Named(_, c) => params_in_cond(c, f),
        CCond::Check(e, _) => params_in_expr(e, f),
        CCond::Act(ps, c) => {
            params_in_pieces(ps, f);
            params_in_cond(c, f);
        }
        CCond::Dated(ps) => ps.iter_mut().for_each(|p| params_in_cond(&mut p.cond, f)),
    }
}

/// Compiles one rule file that may use the `shared` parameters besides its own. The compiled rule
/// carries its own parameters, then the shared ones it uses (each checked to cover the policy's
/// period). Returns `None` when it has errors (reported in `diags`).
pub fn load_rule_with(
    input: Input<'_>,
    schema: &Schema,
    shared: &[(String, Vec<ParamValue>)],
    periods: &PolicyPeriods,
    diags: &mut Vec<Diagnostic>,
) -> Option<CompiledRule> {
    let file = match ron_options().from_str::<RuleFile>(input.text) {
        Ok(f) => f,
        Err(e) => {
            diags.push(ron_error(input.path, &e));
            return None;
        }
    };
    let before = diags.len();
    let mut loc = Locator { file: input.path, source: input.text, cursor: 0 };
    let period = periods.get(&file.policy);
    if period.is_none() {
        let hint = zhengce_model::diagnostic::suggest(&file.policy, periods.keys().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        diags.push(loc.at_key(
            &file.policy,
            format!("rule names policy `{}`, which does not exist in policies/{hint}", file.policy),
            Code::UnknownPolicy,
        ));
    }
    let param_names: Vec<String> = file.params.keys().cloned().collect();
    for (name, values) in &file.params {
        if schema.slot(name).is_some() {
            diags.push(loc.at_key(
                name,
                format!("parameter `{name}` has the name of a profile field or derived fact"),
                Code::Duplicate,
            ));
        }
        if let Some(msg) = check_periods(name, values, period) {
            diags.push(loc.at_key(name, msg, Code::ParamPeriods));
        }
        if shared.iter().any(|(n, _)| n == name) {
            let msg = format!("parameter `{name}` is already defined in rules/shared-params.ron; use that one");
            diags.push(loc.at_key(name, msg, Code::Duplicate));
        }
    }
    let own = param_names.len();
    let param_names: Vec<String> = param_names.into_iter().chain(shared.iter().map(|(n, _)| n.clone())).collect();
    let derived: Vec<(String, Ty)> = schema.derived.iter().map(|d| (d.def.name.clone(), compile::ty_of(&d.def.ty))).collect();
    let dated: Vec<Vec<ParamValue>> = file.params.values().cloned().collect();
    let scope = Scope { fields: &schema.fields, derived: &derived, params: &param_names, dated: &dated };
    let (mut field_marks, mut derived_marks) = (BTreeMap::new(), BTreeMap::new());
    for (name, c) in &file.confidence {
        match schema.slot(name) {
            Some(crate::schema::Slot::Field(i)) => {
                field_marks.insert(i, *c);
            }
            Some(crate::schema::Slot::Derived(i)) => {
                derived_marks.insert(i, *c);
            }
            None => diags.push(loc.at_key(
                name,
                format!("`confidence` names `{name}`, which is not a profile field or derived fact"),
                Code::UnknownName,
            )),
        }
    }
    let cond = compile_cond(&file.eligibility, &scope, &mut loc, diags);
    let mut benefit = match &file.benefit {
        Some(b) => compile_benefit(b, &scope, &mut loc, diags),
        None => None,
    };
    check_dated(&file.eligibility, period, &loc, diags);
    let mut cond = cond?;
    // Keep the shared parameters the rule uses, renumbered after its own.
    let mut used = vec![false; shared.len()];
    let mut mark = |i: &mut usize| {
        if let Some(u) = i.checked_sub(own).and_then(|k| used.get_mut(k)) {
            *u = true;
        }
    };
    params_in_cond(&mut cond, &mut mark);
    if let Some(b) = benefit.as_mut() {
        params_in_expr(&mut b.amount, &mut mark);
        params_in_pieces(&mut b.text, &mut mark);
    }
    let mut params: Vec<(String, Vec<ParamValue>)> = file.params.into_iter().collect();
    let mut renumber = vec![0; shared.len()];
    for (k, (name, values)) in shared.iter().enumerate().filter(|(k, _)| used[*k]) {
        // Gaps and overlaps are reported once, in rules/shared-params.ron; here only whether the
        // values cover this policy's period.
        if check_periods(name, values, None).is_none()
            && let Some(msg) = check_periods(name, values, period)
        {
            diags.push(loc.at_key(name, format!("{msg} (rules/shared-params.ron)"), Code::ParamPeriods));
        }
        renumber[k] = params.len();
        params.push((name.clone(), values.clone()));
    }
    let mut remap = |i: &mut usize| {
        if let Some(&j) = i.checked_sub(own).and_then(|k| renumber.get(k)) {
            *i = j;
        }
    };
    params_in_cond(&mut cond, &mut remap);
    if let Some(b) = benefit.as_mut() {
        params_in_expr(&mut b.amount, &mut remap);
        params_in_pieces(&mut b.text, &mut remap);
    }
    if diags.len() > before {
        return None;
    }
    let max_reasons = cond.max_reasons();
    let param_marks = params.iter().map(|(_, vs)| vs.iter().map(ParamValue::confidence).collect()).collect();
    Some(CompiledRule {
        max_reasons,
        param_marks,
        policy: file.policy,
        file: input.path.to_string(),
        params,
        cond,
        margin: file.near_miss_margin.unwrap_or(crate::DEFAULT_NEAR_MISS_MARGIN),
        benefit,
        examples: file.examples,
        field_marks,
        derived_marks,
    })
}

/// Loads everything: the schema files, `rules/derived.ron`, `rules/region-facts.ron` (when there
/// is one) and the rule files.
pub fn load(
    schemas: &[Input<'_>],
    derived: Input<'_>,
    region: Option<Input<'_>>,
    rules: &[Input<'_>],
    periods: &PolicyPeriods,
) -> (Option<RuleSet>, Vec<Diagnostic>) {
    load_with_shared(schemas, derived, region, None, rules, periods)
}

/// [`load`], with the shared parameters of `rules/shared-params.ron` when there is one.
pub fn load_with_shared(
    schemas: &[Input<'_>],
    derived: Input<'_>,
    region: Option<Input<'_>>,
    shared: Option<Input<'_>>,
    rules: &[Input<'_>],
    periods: &PolicyPeriods,
) -> (Option<RuleSet>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(schema) = load_schema(schemas, derived, &mut diags) else {
        return (None, diags);
    };
    let region = region.map(|r| load_region_facts(r, &schema, &mut diags)).unwrap_or_default();
    let shared = shared.map(|s| load_shared(s, &schema, &mut diags)).unwrap_or_default();
    let mut compiled: Vec<CompiledRule> = Vec::new();
    for r in rules {
        if let Some(rule) = load_rule_with(Input { path: r.path, text: r.text }, &schema, &shared, periods, &mut diags) {
            if let Some(prev) = compiled.iter().find(|c| c.policy == rule.policy) {
                let at = r.text.find(&format!("\"{}\"", rule.policy)).unwrap_or(0);
                diags.push(Diagnostic::at_offset(
                    Code::Duplicate,
                    r.path,
                    r.text,
                    at,
                    format!("policy `{}` already has a rule in {}", rule.policy, prev.file),
                ));
                continue;
            }
            compiled.push(rule);
        }
    }
    compiled.sort_by(|a, b| a.policy.cmp(&b.policy));
    (Some(RuleSet { schema, rules: compiled, region }), diags)
}

/// Where an example named `name` starts in its file, for diagnostics.
pub fn example_position(source: &str, name: &str) -> (usize, usize) {
    source.find(&format!("\"{name}\"")).map_or((0, 0), |at| line_col(source, at))
}

/// Whether a compiled comparison is numeric with the given operator (used for near misses).
pub fn numeric_threshold(e: &CExpr) -> Option<(BinOp, &CExpr, &CExpr)> {
    match e {
        CExpr::Bin(op @ (BinOp::Ge | BinOp::Gt | BinOp::Le | BinOp::Lt), a, b) => Some((*op, a, b)),
        _ => None,
    }
}

/// The field type of a compiled name, for formatting.
pub fn type_of<'s>(schema: &'s Schema, e: &CExpr) -> Option<(&'s str, &'s str, &'s FieldType)> {
    match e {
        CExpr::Field(i) => schema.fields.get(*i).map(|f| (f.label.as_str(), f.unit.as_str(), &f.ty)),
        CExpr::Derived(i) => schema.derived.get(*i).map(|d| (d.def.label.as_str(), d.def.unit.as_str(), &d.def.ty)),
        _ => None,
    }
}
