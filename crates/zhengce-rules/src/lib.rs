//! The zhengce rule language: parse, validate, derive and evaluate eligibility rules.
//!
//! A rule file (`rules/<slug>.ron`) names a policy, its dated parameters, a condition tree, an
//! optional benefit formula and example profiles:
//!
//! ```ron
//! Rule(
//!     policy: "cn-ui-job-retention-refund-2025",
//!     params: {
//!         "max_layoff_rate": [(from: "2025-01-01", to: "2025-12-31", value: 0.055, source: "人社部发〔2025〕18号")],
//!     },
//!     eligibility: All([
//!         Check("ui_paid_months >= 12"),
//!         Named("裁员率达标", Any([
//!             Check("insured_employees <= 30 and layoff_rate <= 20%"),
//!             Check("layoff_rate <= max_layoff_rate"),
//!         ])),
//!     ]),
//!     benefit: Benefit(amount: "ui_premium_paid * 60%", text: "返还约{amount}万元"),
//!     examples: [Example(name: "…", as_of: "2025-06-01", profile: {"ui_paid_months": 24}, expect: Possible)],
//! )
//! ```
//!
//! Conditions: `All`, `Any`, `Not`, `AtLeast(k, [...])`, `Check("expr")`, `Named("中文标签", cond)`,
//! `Act("研发费用再增加{gap}即达到{required}", cond)`, `Dated([...])`.
//!
//! Dated criteria: where a document replaces the criteria on a date, the rule dates them like a
//! parameter, each period with the document that sets it (shown in reasons as 适用标准):
//!
//! ```ron
//! Dated([
//!     (from: "2022-01-01", to: "2026-03-31", source: "工信部企业〔2022〕63号", cond: All([...])),
//!     (from: "2026-04-01", source: "工信部企业〔2026〕2号", cond: All([...])),
//! ])
//! ```
//!
//! On `as_of` the period covering it applies. As with parameters, periods may not overlap or leave
//! a gap and must cover the policy's effective period (E006).
//!
//! Shared parameters: a threshold set by another document and used by several rules (the national
//! urban unemployment-rate target) is defined once in `rules/shared-params.ron`
//! (`SharedParams(params: {"name": [(from, to, value, source)]})`) and used by name in any rule;
//! a rule may not redefine it (E009), and its values must cover each using policy's period (E006).
//! The compiled rule lists the shared parameters it uses among its criteria.
//!
//! Near misses: only a numeric threshold inside `Act` (one the firm can act on: R&D spend, hires,
//! contribution months, certificates, income it earns) counts as met when missed by at most the
//! margin; the `Act` text says what to do (`{gap}`, `{required}`, `{current}` in the compared
//! fact's unit, any `{expr}`). Size and head-count caps, insured-staff bands, last year's layoff
//! rate, establishment dates and categories are written without `Act` and never near-miss: nobody
//! is told to shed staff or earn less to qualify.
//! Expressions ([`expr`]): arithmetic, comparisons, `and`/`or`/`not`, `if … then … else …`,
//! percentages (`5.5%`), text in single quotes, and functions `min`, `max`, `abs`, `round`,
//! `coalesce`, `prefix(code, '17', '18')`, `in(x, 'a', 'b')`, `within(region, '370000')`, `years(date)`,
//! `known(x)` (whether `x` is known; for texts, since it is not monotone in what is known),
//! `at(param, date)` (a parameter's value on another date than `as_of`: a loan subsidy's rate by
//! the loan's contract date, `at(subsidy_rate, equipment_renewal_loan_contract_date)`).
//! Texts (benefit `text`, `Act` text) insert `{expr}` or `{expr:%}`, and show a section
//! `{?cond}…{/}` only when `cond` is known to hold: a tax saving names the rate the firm pays, and
//! where that rate depends on an unknown fact the amount is the conservative one and a
//! `{?not known(x)}` section gives the range and what it depends on.
//! Names are profile fields (`rules/schema.ron`), derived facts (`rules/derived.ron`), the rule's
//! parameters, or `as_of`.
//!
//! Confidence per fact: a parameter value's confidence is its `confidence`, else the lowest mark
//! written in its `source` (`[V:R07]`, `[S:R48-hnte]`, `[GK]`); a rule's `confidence: {"field": S}`
//! marks the criteria that read a field or derived fact. A criterion's confidence is the lowest of
//! what it reads (parameters on the date used, marks, region facts); its reason says 待核实 when
//! that is `S` or `GK`, and a result carries the lowest confidence of the criteria that decided it
//! (unmarked ones count at the policy's mark). A policy's mark may not be more certain than the
//! least certain fact its rule contains (E014).
//!
//! Region facts: a schema field marked `region_fact: true` (a city's pilot status, whether a
//! province adopted a local option, a county's own programme) is never in a profile (refused with
//! the field named) and never asked of an enterprise; rules read it like a parameter, from
//! `rules/region-facts.ron` (dated, sourced, with confidence; the narrowest region containing the
//! enterprise's wins; a `local_options` field with no entry is off, any other with no entry is
//! unknown). A verdict that would fail without an unconfirmed region fact asks the enterprise
//! nothing yet and lists the region fact for officers; examples may set region facts with
//! `region_facts: {…}`.
//!
//! Gates: a schema field's `after: "gate"` says its answer only matters after the gate's; while
//! both are unknown only the gate is asked, and in a match's ranked `questions` a gate comes first.
//! Fields may carry `choices` and a `hint` (where to find the answer).
//!
//! Semantics: three-valued ([`eval`]); unknown facts are never zero or false, and every unknown
//! value carries the input fields whose absence made it unknown. [`judge`] turns a condition tree
//! into `eligible`, `possible`, `near_miss` or `ineligible` with Chinese reasons.
//!
//! Loading ([`load`]) returns the rule set plus diagnostics with stable codes, file, line and
//! column; one bad file never hides the others.
//!
//! Errors in files (E001–E013) are listed in [`zhengce_model::diagnostic::Code`].
//!
//! Limits: nesting (of an expression, and of a file's RON structure such as `Not(Not(…))`) is at
//! most [`MAX_DEPTH`] levels on every path the parser, compiler, evaluator and judge recurse over;
//! deeper input is diagnostic E013, never a stack overflow. The number of profile fields is not
//! limited. A numeric threshold missed by at most [`DEFAULT_NEAR_MISS_MARGIN`] of its value (or the
//! rule's own `near_miss_margin`) is a near miss.

/// The deepest nesting the rule language accepts, on every recursive path: the expression parser's
/// recursion and the height of the tree it builds (which bounds compiling and evaluating), and the
/// RON nesting of rule, schema and derived-fact files (which bounds condition trees).
pub const MAX_DEPTH: usize = 64;

pub use zhengce_model::rule::DEFAULT_NEAR_MISS_MARGIN;

pub mod compile;
pub mod eval;
pub mod expr;
pub mod format;
pub mod judge;
pub mod load;
pub mod schema;

pub use judge::{Facts, Judgement};
pub use load::{CompiledRule, Input, PolicyPeriods, RuleSet};
pub use schema::{FieldError, Schema};
