//! One enterprise against a whole plan, without building a table: the API path.
//!
//! The same compiled leaves and trees as the block evaluator, in the packed codes of
//! [`super::leaf`], evaluated in two branch-light phases with no recursion:
//!
//! 1. **Every leaf, eagerly, grouped by kind**, each kind writing consecutive code slots (leaves
//!    are numbered by kind): numeric thresholds by operator, sorted by value slot and constant,
//!    so that the thresholds a value passes are a prefix or suffix of its run, found by binary
//!    search (`x >= -5` included: a negated literal is a constant too); yes/no facts through a
//!    table; text tests through an inverted index (per field, literal → leaves; the
//!    enterprise's value is looked up with those of its prefixes whose length is a literal's, so
//!    the ~800 text tests of a large corpus cost a handful of hash lookups); `x op y * k` and
//!    `x + y op c` over two slots; the rest through a scalar interpreter (the rule interpreter's
//!    values without its unknown-field masks, which a status never reads). Derived facts go
//!    through the same scalar interpreter. An unknown number is NaN in the slot array.
//! 2. **Every tree node, bottom-up, as one flat program for the whole corpus.** The internal
//!    nodes of all policies are numbered after the leaves and sorted by height, then operator,
//!    then number of children; each run of equal (height, operator, arity) is a group evaluated
//!    by one loop whose trip count is a compile-time constant (children as 16-bit slots), so no
//!    branch depends on the enterprise's data. Nothing short-circuits: an `All` ANDs all its
//!    children's bytes, which gives the same byte as stopping at the first relaxed-false child
//!    (the AND is monotone); `AtLeast(k)` adds per-child counts from a table in byte lanes.
//!
//! A policy's status is then its root byte and its region, through a small table.

use std::collections::HashMap;

use zhengce_model::Date;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::policy::region_contains;
use zhengce_model::verdict::Status;
use zhengce_rules::compile::{CExpr, Func};
use zhengce_rules::eval::Val;
use zhengce_rules::expr::BinOp;
use zhengce_rules::load::numeric_threshold;

use super::leaf::{PF, PNEAR, PT, PU, near_miss};
use super::table::Kind;
use super::vexpr::{F, T, U};
use super::{Plan, TNode, code};

mod scalar;
mod tree;

use scalar::*;
use tree::*;

/// `x op y * k` (`sum` false) or `x + y op k` (`sum` true) over two numeric value slots.
#[derive(Clone, Copy, Debug)]
struct PairLeaf {
    leaf: u32,
    x: u32,
    y: u32,
    k: f64,
    sum: bool,
    op: BinOp,
    margin: Option<f64>,
}

/// A leaf of no fused shape: the scalar interpreter.
#[derive(Clone, Debug)]
struct GenericLeaf {
    leaf: u32,
    e: CExpr,
    margin: Option<f64>,
}

/// Numeric thresholds `slot op c` sharing one operator (struct of arrays), sorted by slot, then
/// by `c`: along a run of one slot, the thresholds a value passes are a prefix (`>=`, `>`) or a
/// suffix (`<=`, `<`), found by binary search.
#[derive(Debug, Default)]
struct NumGroup {
    leaf: Vec<u32>,
    slot: Vec<u32>,
    c: Vec<f64>,
    /// `margin * |c|` for a numeric threshold with a margin and c ≠ 0, else NaN (never near).
    lim: Vec<f64>,
    /// Runs of one slot: (slot, start, end).
    runs: Vec<(u32, u32, u32)>,
}

impl NumGroup {
    /// Sorts by (slot, c) and finds the runs.
    fn sort(&mut self) {
        let mut ix: Vec<usize> = (0..self.leaf.len()).collect();
        ix.sort_by(|&a, &b| self.slot[a].cmp(&self.slot[b]).then(self.c[a].total_cmp(&self.c[b])));
        self.leaf = ix.iter().map(|&i| self.leaf[i]).collect();
        self.slot = ix.iter().map(|&i| self.slot[i]).collect();
        self.c = ix.iter().map(|&i| self.c[i]).collect();
        self.lim = ix.iter().map(|&i| self.lim[i]).collect();
        self.runs.clear();
        for (j, &sl) in self.slot.iter().enumerate() {
            match self.runs.last_mut() {
                Some(r) if r.0 == sl => r.2 = j as u32 + 1,
                _ => self.runs.push((sl, j as u32, j as u32 + 1)),
            }
        }
    }
}

/// A text test: its leaf, the value slot it reads, its codes on a hit and a miss.
#[derive(Clone, Copy, Debug)]
struct TextLeaf {
    leaf: u32,
    slot: u32,
    hit: u8,
    miss: u8,
}

/// FNV-1a, for the text index: its keys are a few bytes long (codes, enum values), where
/// SipHash's setup dominates a lookup.
#[derive(Clone, Copy, Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xCBF2_9CE4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type TextMap = HashMap<String, Vec<u32>, std::hash::BuildHasherDefault<Fnv>>;

/// Inverted index of the text tests on one value slot: literal → positions in `Single::text`.
#[derive(Debug, Default)]
struct TextIndex {
    /// `prefix(x, p)`: hit by every prefix of the value.
    prefix: TextMap,
    /// `x == p`, `in(x, p, …)`: hit by the value itself.
    exact: TextMap,
    /// `within(x, p)` keyed by the part of `p` that `region_contains` compares (6-character
    /// literals only; others never contain anything): hit by the prefixes of a 6-character value.
    within: TextMap,
    /// The lengths (bytes) of the keys of `prefix` and of `within`, ascending: the only prefixes
    /// of a value worth looking up.
    prefix_lens: Vec<usize>,
    within_lens: Vec<usize>,
}

impl TextIndex {
    fn seal(&mut self) {
        let lens = |m: &TextMap| {
            let mut v: Vec<usize> = m.keys().map(String::len).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        self.prefix_lens = lens(&self.prefix);
        self.within_lens = lens(&self.within);
    }
}

/// Operator of a tree node group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum GOp {
    Not,
    All,
    /// `AtLeast(1, …)`.
    Any,
    /// `AtLeast(k, …)` for k ≠ 1.
    AtLeast(usize),
}

/// Tree nodes sharing height, operator and number of children, with consecutive code slots.
#[derive(Debug)]
struct Group {
    op: GOp,
    arity: usize,
    /// How many nodes.
    count: usize,
    /// The code slot of the first node; node `j` writes slot `out + j`.
    out: usize,
    /// The children's code slots, `arity` per node.
    kids: Kids,
}

/// Code slots of children: 16 bits when the plan has at most 65,536 slots (a smaller working
/// set), else 32.
#[derive(Debug)]
enum Kids {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

/// A code slot index.
trait Ix: Copy {
    fn ix(self) -> usize;
}

impl Ix for u16 {
    #[inline(always)]
    fn ix(self) -> usize {
        usize::from(self)
    }
}

impl Ix for u32 {
    #[inline(always)]
    fn ix(self) -> usize {
        self as usize
    }
}

/// A plan prepared for one enterprise at a time (immutable, shareable).
#[derive(Debug)]
pub struct Single<'p> {
    plan: &'p Plan,
    /// Number of leaves (the first code slots, numbered by pass: thresholds by operator, yes/no
    /// facts, text tests, pairs, generic leaves, so every pass writes consecutive slots).
    leaves: usize,
    /// Thresholds by operator: `>=`, `>`, `<=`, `<`, `==`, `!=`.
    num: [NumGroup; 6],
    /// Yes/no leaves: (leaf, slot, packed code for no / unknown / yes).
    truth: Vec<(u32, u32, [u8; 4])>,
    text: Vec<TextLeaf>,
    text_index: Vec<(u32, TextIndex)>,
    pairs: Vec<PairLeaf>,
    generic: Vec<GenericLeaf>,
    /// Used field indices sorted by field name, for a merge with the profile's sorted keys.
    /// Each with the first 8 bytes of its name as a big-endian number (see [`key8`]).
    by_name: Vec<(u64, &'p str, usize)>,
    /// The regions of the policies: the part of the code that [`region_contains`] compares, or
    /// `None` for a code that contains nothing (not 6 characters).
    regions: Vec<Option<&'p str>>,
    /// Per policy: its region's index in `regions`, or `regions.len()` for none.
    policy_region: Vec<u32>,
    /// Tree node groups in evaluation order (children first).
    groups: Vec<Group>,
    /// Total code slots: leaves, then tree nodes.
    slots: usize,
    /// Per policy: the code slot of its root.
    roots: Vec<u32>,
}

/// Value slot of a field (its index) or derived fact (after the fields).
fn slot(e: &CExpr, nf: usize) -> Option<usize> {
    match e {
        CExpr::Field(i) => Some(*i),
        CExpr::Derived(i) => Some(nf + *i),
        _ => None,
    }
}

const OPS: [BinOp; 6] = [BinOp::Ge, BinOp::Gt, BinOp::Le, BinOp::Lt, BinOp::Eq, BinOp::Ne];

/// A tree node's child while the program is built: a leaf's slot or a pending node.
#[derive(Clone, Copy)]
enum Kid {
    Slot(u32),
    Node(usize),
}

/// An internal tree node before numbering: height (leaves are 0), operator, children.
struct Pending {
    height: u32,
    op: GOp,
    kids: Vec<Kid>,
}

/// Collects the internal nodes of `t` (children before parents); returns its child handle and height.
fn flatten(t: &TNode, out: &mut Vec<Pending>) -> (Kid, u32) {
    let (op, cs): (GOp, Vec<(Kid, u32)>) = match t {
        TNode::Leaf(id) => return (Kid::Slot(*id), 0),
        TNode::Not(x) => (GOp::Not, vec![flatten(x, out)]),
        TNode::All(cs) => (GOp::All, cs.iter().map(|c| flatten(c, out)).collect()),
        TNode::AtLeast(1, cs) => (GOp::Any, cs.iter().map(|c| flatten(c, out)).collect()),
        TNode::AtLeast(k, cs) => (GOp::AtLeast(*k), cs.iter().map(|c| flatten(c, out)).collect()),
    };
    let height = 1 + cs.iter().map(|c| c.1).max().unwrap_or(0);
    out.push(Pending { height, op, kids: cs.into_iter().map(|c| c.0).collect() });
    (Kid::Node(out.len() - 1), height)
}

impl Plan {
    /// Prepares the plan for single-enterprise matching.
    pub fn single(&self) -> Single<'_> {
        let nf = self.fields.len();
        let kinds: Vec<Kind> = self.fields.iter().map(|(_, t)| Kind::of(t)).collect();
        let kind = |e: &CExpr| match e {
            CExpr::Field(i) => kinds.get(*i).copied(),
            CExpr::Derived(i) => self.derived.get(*i).map(|d| d.1),
            _ => None,
        };
        let mut s = Single {
            plan: self,
            leaves: self.leaves.len(),
            num: Default::default(),
            truth: Vec::new(),
            text: Vec::new(),
            text_index: Vec::new(),
            pairs: Vec::new(),
            generic: Vec::new(),
            by_name: Vec::new(),
            regions: Vec::new(),
            policy_region: Vec::new(),
            groups: Vec::new(),
            slots: 0,
            roots: Vec::new(),
        };
        let mut text_index: HashMap<u32, TextIndex> = HashMap::new();
        // Indexed by the tri byte (the fourth entry never read: tables, not a clamp, so that no
        // branch depends on the value).
        const ID: [u8; 4] = [PF, PU, PT, PU];
        const FLIP: [u8; 4] = [PT, PU, PF, PU];
        for (id, l) in self.leaves.iter().enumerate() {
            let id = id as u32;
            let e = &l.expr;
            let margin = if numeric_threshold(e).is_some() { l.margin } else { None };
            // The shapes the block evaluator fuses (`exec.rs`), with the same guards.
            let done = match e {
                CExpr::Bin(op, x, c)
                    if op.is_comparison()
                        && (kind(x) == Some(Kind::Num) || matches!(x.as_ref(), CExpr::Bin(BinOp::Add, _, _))) =>
                {
                    let pair = |x: usize, y: usize, k: f64, sum: bool| PairLeaf {
                        leaf: id,
                        x: x as u32,
                        y: y as u32,
                        k,
                        sum,
                        op: *op,
                        margin,
                    };
                    // A number literal, or a negated one (`x > -5` parses as `x > -(5)`).
                    let lit = match c.as_ref() {
                        CExpr::Num(c) => Some(*c),
                        CExpr::Neg(n) => match n.as_ref() {
                            CExpr::Num(c) => Some(-*c),
                            _ => None,
                        },
                        _ => None,
                    };
                    match (slot(x, nf), x.as_ref(), c.as_ref(), lit.filter(|c| !c.is_nan())) {
                        (Some(sl), _, _, Some(c)) => {
                            let g = OPS.iter().position(|o| o == op).unwrap_or(5);
                            let g = &mut s.num[g];
                            g.leaf.push(id);
                            g.slot.push(sl as u32);
                            g.c.push(c);
                            g.lim.push(match margin {
                                Some(m) if c != 0.0 => m * c.abs(),
                                _ => f64::NAN,
                            });
                            true
                        }
                        (None, CExpr::Bin(BinOp::Add, a, b), CExpr::Num(c), _)
                            if kind(a) == Some(Kind::Num) && kind(b) == Some(Kind::Num) =>
                        {
                            match (slot(a, nf), slot(b, nf)) {
                                (Some(x), Some(y)) => {
                                    s.pairs.push(pair(x, y, *c, true));
                                    true
                                }
                                _ => false,
                            }
                        }
                        (Some(xs), _, CExpr::Bin(BinOp::Mul, a, b), _) => match (a.as_ref(), b.as_ref()) {
                            (y, CExpr::Num(k)) | (CExpr::Num(k), y) if kind(y) == Some(Kind::Num) => match slot(y, nf) {
                                Some(y) => {
                                    s.pairs.push(pair(xs, y, *k, false));
                                    true
                                }
                                None => false,
                            },
                            _ => false,
                        },
                        _ => false,
                    }
                }
                CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, c) if kind(x) == Some(Kind::Bool) => {
                    match (slot(x, nf), c.as_ref()) {
                        (Some(sl), CExpr::Bool(b)) => {
                            s.truth.push((id, sl as u32, if *b == (*op == BinOp::Eq) { ID } else { FLIP }));
                            true
                        }
                        _ => false,
                    }
                }
                CExpr::Field(_) | CExpr::Derived(_) if kind(e) == Some(Kind::Bool) => match slot(e, nf) {
                    Some(sl) => {
                        s.truth.push((id, sl as u32, ID));
                        true
                    }
                    None => false,
                },
                CExpr::Not(x) if kind(x) == Some(Kind::Bool) => match slot(x, nf) {
                    Some(sl) => {
                        s.truth.push((id, sl as u32, FLIP));
                        true
                    }
                    None => false,
                },
                _ => false,
            };
            if !done && !s.text_leaf(&mut text_index, id, e, &kind, nf) {
                s.generic.push(GenericLeaf { leaf: id, e: e.clone(), margin: l.margin });
            }
        }
        s.text_index = text_index
            .into_iter()
            .map(|(sl, mut ix)| {
                ix.seal();
                (sl, ix)
            })
            .collect();
        s.text_index.sort_by_key(|(sl, _)| *sl);
        s.by_name = self
            .fields
            .iter()
            .enumerate()
            .filter(|(i, _)| self.fields_used[*i])
            .map(|(i, (n, _))| (key8(n), n.as_str(), i))
            .collect();
        s.by_name.sort();
        let mut regions: Vec<&str> = Vec::new();
        let policy_region: Vec<Option<usize>> = self
            .policies
            .iter()
            .map(|p| {
                p.region.as_deref().map(|r| {
                    regions.iter().position(|x| *x == r).unwrap_or_else(|| {
                        regions.push(r);
                        regions.len() - 1
                    })
                })
            })
            .collect();
        s.policy_region = policy_region.iter().map(|r| r.unwrap_or(regions.len()) as u32).collect();
        // The part `region_contains` compares (its own computation).
        s.regions = regions
            .into_iter()
            .map(|r| {
                let t = r.trim_end_matches("00");
                let key = if t.len() % 2 == 1 { r.get(..t.len() + 1).unwrap_or(r) } else { t };
                (r.len() == 6).then_some(key)
            })
            .collect();
        for g in &mut s.num {
            g.sort();
        }
        // Code slots of the leaves, pass by pass (the order `codes` writes them in).
        let mut slot_of = vec![0u32; self.leaves.len()];
        let order = s.num.iter().flat_map(|g| g.leaf.iter().copied());
        let order = order.chain(s.truth.iter().map(|t| t.0)).chain(s.text.iter().map(|t| t.leaf));
        let order = order.chain(s.pairs.iter().map(|p| p.leaf)).chain(s.generic.iter().map(|g| g.leaf));
        for (k, id) in order.enumerate() {
            if let Some(x) = slot_of.get_mut(id as usize) {
                *x = k as u32;
            }
        }
        s.program(&slot_of);
        s
    }
}

impl Single<'_> {
    /// Numbers the internal nodes of every policy's tree after the leaves and groups them.
    fn program(&mut self, slot_of: &[u32]) {
        let mut pending = Vec::new();
        let roots: Vec<Kid> = self.plan.policies.iter().map(|p| flatten(&p.root, &mut pending).0).collect();
        let mut order: Vec<usize> = (0..pending.len()).collect();
        order.sort_by_key(|&i| (pending[i].height, pending[i].op, pending[i].kids.len()));
        let leaf_slot = slot_of;
        let mut slot_of = vec![0u32; pending.len()];
        for (rank, &i) in order.iter().enumerate() {
            slot_of[i] = (self.leaves + rank) as u32;
        }
        let resolve = |k: Kid| match k {
            Kid::Slot(id) => leaf_slot.get(id as usize).copied().unwrap_or(0),
            Kid::Node(i) => slot_of[i],
        };
        let mut groups: Vec<(Group, Vec<u32>)> = Vec::new();
        let mut last = None;
        for (rank, &i) in order.iter().enumerate() {
            let p = &pending[i];
            let key = (p.height, p.op, p.kids.len());
            if last != Some(key) {
                let g = Group { op: p.op, arity: p.kids.len(), count: 0, out: self.leaves + rank, kids: Kids::Wide(Vec::new()) };
                groups.push((g, Vec::new()));
                last = Some(key);
            }
            if let Some((g, kids)) = groups.last_mut() {
                g.count += 1;
                kids.extend(p.kids.iter().map(|&k| resolve(k)));
            }
        }
        self.roots = roots.into_iter().map(resolve).collect();
        self.slots = self.leaves + pending.len();
        let narrow = self.slots <= 1 << 16;
        self.groups = groups
            .into_iter()
            .map(|(mut g, kids)| {
                g.kids = if narrow { Kids::Narrow(kids.iter().map(|&k| k as u16).collect()) } else { Kids::Wide(kids) };
                g
            })
            .collect();
    }

    /// Indexes a text test (`prefix`, `in`, `within` with literals, `== 'a'`, `!= 'a'`, under
    /// `not`s); false when `e` is not one.
    fn text_leaf(
        &mut self,
        index: &mut HashMap<u32, TextIndex>,
        id: u32,
        e: &CExpr,
        kind: &dyn Fn(&CExpr) -> Option<Kind>,
        nf: usize,
    ) -> bool {
        let (mut e, mut not) = (e, false);
        while let CExpr::Not(x) = e {
            (e, not) = (x.as_ref(), !not);
        }
        let (x, f, lits): (&CExpr, Func, Vec<&str>) = match e {
            CExpr::Call(f @ (Func::Prefix | Func::In | Func::Within), args)
                if args.first().is_some_and(|a| kind(a) == Some(Kind::Text))
                    && args[1..].iter().all(|a| matches!(a, CExpr::Text(_))) =>
            {
                let lits = args[1..].iter().filter_map(|a| if let CExpr::Text(s) = a { Some(s.as_str()) } else { None });
                (&args[0], *f, lits.collect())
            }
            CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, l) if kind(x) == Some(Kind::Text) => match l.as_ref() {
                CExpr::Text(s) => {
                    not ^= *op == BinOp::Ne;
                    (x.as_ref(), Func::In, vec![s.as_str()])
                }
                _ => return false,
            },
            _ => return false,
        };
        let Some(sl) = slot(x, nf) else { return false };
        let pos = self.text.len() as u32;
        let (hit, miss) = if not { (PF, PT) } else { (PT, PF) };
        self.text.push(TextLeaf { leaf: id, slot: sl as u32, hit, miss });
        let ix = index.entry(sl as u32).or_default();
        for p in lits {
            let (map, key) = match f {
                Func::Prefix => (&mut ix.prefix, p),
                Func::In => (&mut ix.exact, p),
                _ => {
                    if p.len() != 6 {
                        continue;
                    }
                    // The part `region_contains` compares (its own computation).
                    let t = p.trim_end_matches("00");
                    let key = if t.len() % 2 == 1 { p.get(..t.len() + 1).unwrap_or(p) } else { t };
                    (&mut ix.within, key)
                }
            };
            let v = map.entry(key.to_string()).or_default();
            if v.last() != Some(&pos) {
                v.push(pos);
            }
        }
        true
    }

    /// The same with 32-bit child slots whatever the plan's size (for tests: plans of more than
    /// 65,536 slots take this path).
    #[doc(hidden)]
    pub fn wide(mut self) -> Self {
        for g in &mut self.groups {
            if let Kids::Narrow(k) = &g.kids {
                g.kids = Kids::Wide(k.iter().map(|&x| u32::from(x)).collect());
            }
        }
        self
    }

    /// The status of every policy of the plan (in [`Plan::slugs`] order) for one enterprise.
    pub fn statuses(&self, profile: &Profile) -> Vec<Status> {
        self.run(profile, |c| STATUSES[usize::from(c & 3)])
    }

    /// The status codes ([`super::code`]) of every policy for one enterprise.
    pub fn codes(&self, profile: &Profile) -> Vec<u8> {
        self.run(profile, |c| c)
    }

    /// Every policy's status code through `f`. The steps are separate functions, never inlined,
    /// so that a profile shows where the time goes.
    fn run<R>(&self, profile: &Profile, f: impl Fn(u8) -> R) -> Vec<R> {
        let (vals, region) = self.values(profile);
        let mut codes = vec![PU; self.slots];
        self.leaf_codes(&vals, &mut codes);
        // Phase 2: every tree node, children first.
        for g in &self.groups {
            run_group(g, &mut codes);
        }
        self.policy_codes(&codes, region, f)
    }

    /// The enterprise's value slots (fields, then derived facts) and its region.
    #[inline(never)]
    fn values<'a>(&'a self, profile: &'a Profile) -> (Vec<Val<'a>>, Option<&'a str>) {
        let plan = self.plan;
        let nf = plan.fields.len();
        let mut fields: Vec<Option<&FactValue>> = vec![None; nf];
        // Both sides are sorted by name: merge, comparing the first 8 bytes as one number.
        let mut j = 0;
        for (k, v) in profile {
            let kk = key8(k);
            while let Some(&(bk, bn, i)) = self.by_name.get(j) {
                match bk.cmp(&kk).then_with(|| bn.cmp(k.as_str())) {
                    std::cmp::Ordering::Less => j += 1,
                    std::cmp::Ordering::Equal => {
                        if let Some(f) = fields.get_mut(i) {
                            *f = Some(v);
                        }
                        j += 1;
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
        }
        // Region facts come from the corpus's region table by the enterprise's region, never
        // from the profile (as `Plan::with_region_facts`, without copying the profile).
        if !plan.region_facts.is_empty() {
            let region = match profile.get("region") {
                Some(FactValue::Text(r)) => Some(r.as_str()),
                _ => None,
            };
            for (i, _) in &plan.region_facts {
                if let Some(f) = fields.get_mut(*i) {
                    *f = plan.region_table.lookup(*i, region, plan.as_of).value();
                }
            }
        }
        // Value slots: fields, then derived facts (each computed from the earlier ones).
        let mut vals: Vec<Val<'_>> = Vec::with_capacity(nf + plan.derived.len());
        vals.extend(fields.iter().map(|f| f.map(field_val).unwrap_or(Val::Unknown)));
        for (d, (e, _)) in plan.derived.iter().enumerate() {
            let v = if plan.derived_needed[d] { sval(e, &vals, nf, plan.as_of) } else { Val::Unknown };
            vals.push(v);
        }
        let region = match plan.region_field.and_then(|r| fields.get(r).copied().flatten()) {
            Some(FactValue::Text(r)) => Some(r.as_str()),
            _ => None,
        };
        (vals, region)
    }

    /// Phase 1: every leaf's code, each pass writing its consecutive slots.
    #[inline(never)]
    fn leaf_codes(&self, vals: &[Val<'_>], codes: &mut [u8]) {
        let plan = self.plan;
        let nf = plan.fields.len();
        // Dense slots by kind (an unknown number is NaN, which no threshold passes or misses).
        let n = vals.len();
        let (mut num, mut tri) = (vec![f64::NAN; n], vec![U; n]);
        let mut text: Vec<Option<&str>> = vec![None; n];
        for (i, v) in vals.iter().enumerate() {
            match *v {
                Val::Num(x) => num[i] = x,
                Val::Bool(b) => tri[i] = if b { T } else { F },
                Val::Text(s) => text[i] = Some(s),
                Val::Unknown | Val::Date(_) => {}
            }
        }
        let mut out = codes;
        let mut take = |k: usize| {
            let rest = std::mem::take(&mut out);
            let (head, tail) = rest.split_at_mut(k.min(rest.len()));
            out = tail;
            head
        };
        for (g, op) in self.num.iter().zip(OPS) {
            thresholds(g, op, &num, take(g.slot.len()));
        }
        let o = take(self.truth.len());
        for (o, &(_, sl, lut)) in o.iter_mut().zip(&self.truth) {
            *o = lut[usize::from(tri.get(sl as usize).copied().unwrap_or(U) & 3)];
        }
        let o = take(self.text.len());
        for (o, t) in o.iter_mut().zip(&self.text) {
            *o = if text.get(t.slot as usize).copied().flatten().is_some() { t.miss } else { PU };
        }
        for (sl, ix) in &self.text_index {
            let Some(s) = text.get(*sl as usize).copied().flatten() else { continue };
            let mut hit = |list: Option<&Vec<u32>>| {
                for &pos in list.into_iter().flatten() {
                    if let (Some(o), Some(t)) = (o.get_mut(pos as usize), self.text.get(pos as usize)) {
                        *o = t.hit;
                    }
                }
            };
            if !ix.exact.is_empty() {
                hit(ix.exact.get(s));
            }
            for &end in &ix.prefix_lens {
                if let Some(p) = s.get(..end) {
                    hit(ix.prefix.get(p));
                }
            }
            if s.len() == 6 {
                for &end in &ix.within_lens {
                    if let Some(p) = s.get(..end) {
                        hit(ix.within.get(p));
                    }
                }
            }
        }
        let o = take(self.pairs.len());
        for (o, p) in o.iter_mut().zip(&self.pairs) {
            let (x, y) = (num.get(p.x as usize).copied().unwrap_or(f64::NAN), num.get(p.y as usize).copied().unwrap_or(f64::NAN));
            let (a, b) = if p.sum { (x + y, p.k) } else { (x, y * p.k) };
            // Either side unknown (NaN): unordered, unknown.
            *o = match a.partial_cmp(&b) {
                None => PU,
                Some(c) if p.op.holds(c) => PT,
                Some(_) if p.margin.is_some_and(|m| near_miss(p.op, a, b, m)) => PNEAR,
                Some(_) => PF,
            };
        }
        let o = take(self.generic.len());
        for (o, g) in o.iter_mut().zip(&self.generic) {
            *o = match (sval(&g.e, vals, nf, plan.as_of), g.margin, numeric_threshold(&g.e)) {
                (Val::Bool(true), _, _) => PT,
                (Val::Bool(false), Some(m), Some((op, lhs, rhs))) => {
                    match (sval(lhs, vals, nf, plan.as_of), sval(rhs, vals, nf, plan.as_of)) {
                        (Val::Num(x), Val::Num(y)) if near_miss(op, x, y, m) => PNEAR,
                        _ => PF,
                    }
                }
                (Val::Bool(false), _, _) => PF,
                _ => PU,
            };
        }
    }

    /// Each policy's status code from its root byte and its region.
    #[inline(never)]
    fn policy_codes<R>(&self, codes: &[u8], region: Option<&str>, f: impl Fn(u8) -> R) -> Vec<R> {
        let mut outcomes: Vec<u8> = self
            .regions
            .iter()
            .map(|r| match (region, r) {
                // `region_contains(r, x)`.
                (Some(x), Some(key)) if x.len() == 6 && x.starts_with(key) => T,
                (Some(_), _) => F,
                (None, _) => U,
            })
            .collect();
        // Policies without a region.
        outcomes.push(T);
        self.roots
            .iter()
            .zip(&self.policy_region)
            .map(|(&root, &reg)| {
                let c = codes.get(root as usize).copied().unwrap_or(PU);
                let r = outcomes.get(reg as usize).copied().unwrap_or(T);
                f(STATUS[usize::from(r & 3) * 32 + usize::from(c & 31)])
            })
            .collect()
    }
}

/// Numeric thresholds sharing the operator `op`, into their consecutive code slots, run by run
/// (one value slot each): the passing ones are a prefix or suffix of the run, found by binary
/// search; the failing ones are near misses when short of `c` by at most their `lim`.
fn thresholds(g: &NumGroup, op: BinOp, num: &[f64], out: &mut [u8]) {
    /// Failing thresholds: a near miss or false.
    #[inline(always)]
    fn fail(o: &mut [u8], c: &[f64], lim: &[f64], short: impl Fn(f64) -> f64) {
        for ((o, &c), &lim) in o.iter_mut().zip(c).zip(lim) {
            *o = if short(c) <= lim { PNEAR } else { PF };
        }
    }
    for &(sl, a, b) in &g.runs {
        let (a, b) = (a as usize, b as usize);
        let (Some(o), Some(c), Some(lim)) = (out.get_mut(a..b), g.c.get(a..b), g.lim.get(a..b)) else { continue };
        let x = num.get(sl as usize).copied().unwrap_or(f64::NAN);
        if x.is_nan() {
            o.fill(PU);
            continue;
        }
        match op {
            BinOp::Ge | BinOp::Gt => {
                let k = if op == BinOp::Ge { c.partition_point(|&c| x >= c) } else { c.partition_point(|&c| x > c) };
                let (pass, rest) = o.split_at_mut(k);
                pass.fill(PT);
                fail(rest, &c[k..], &lim[k..], |c| c - x);
            }
            BinOp::Le | BinOp::Lt => {
                let k = if op == BinOp::Le { c.partition_point(|&c| x > c) } else { c.partition_point(|&c| x >= c) };
                let (rest, pass) = o.split_at_mut(k);
                pass.fill(PT);
                fail(rest, &c[..k], &lim[..k], |c| x - c);
            }
            _ => {
                let eq = op == BinOp::Eq;
                for ((o, &c), &lim) in o.iter_mut().zip(c).zip(lim) {
                    *o = if (x == c) == eq {
                        PT
                    } else if x - c <= lim {
                        PNEAR
                    } else {
                        PF
                    };
                }
            }
        }
    }
}

/// The first 8 bytes of `s` (zero-padded) as a big-endian number: ordered as the strings are,
/// for names without NUL bytes, up to ties.
fn key8(s: &str) -> u64 {
    let mut k = [0u8; 8];
    for (d, b) in k.iter_mut().zip(s.as_bytes()) {
        *d = *b;
    }
    u64::from_be_bytes(k)
}
