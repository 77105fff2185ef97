//! Importing an officer's roster (CSV or workbook) into the store.
//!
//! Columns are mapped to fields by the loaded schema ([`crate::columns`]). Each row is typed cell
//! by cell ([`crate::cells`]), merged over the enterprise's stored profile (an empty cell is an
//! unknown fact: it never erases what is stored), checked by the schema ([`crate::validate`]),
//! and compared with the current version by content hash: only enterprises
//! whose facts changed get a new version, so importing the same file twice changes nothing.
//!
//! The whole import is one transaction: killed half-way, the store holds none of it. By default it
//! is all or nothing: any bad row and nothing is written, every bad cell reported (row, column,
//! value, reason). With `skip_invalid` the good rows are written and the bad ones reported. Rows
//! are streamed in chunks of 500, so memory stays flat apart from the set of credit codes seen.

mod read;

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use zhengce_engine::Schema;
use zhengce_model::schema::FieldDef;
use zhengce_store::bulk::{BulkWrite, CHUNK, Current, Pending, plan};
use zhengce_store::{Change, Store};

use crate::cells::{Cell, to_json};
use crate::columns::{Columns, HeaderMatch};
use crate::{RosterError, validate};

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions<'a> {
    /// Write the good rows even if some are bad.
    pub skip_invalid: bool,
    /// Who imports (recorded on every new version and the audit entry).
    pub actor: &'a str,
    /// When (Unix ms).
    pub at_ms: i64,
}

/// A bad cell (or a bad row, when `column` names no single cell).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based row number as the spreadsheet shows it.
    pub row: usize,
    /// The column header as written in the file (or the field name).
    pub column: String,
    /// The cell's value as written.
    pub value: String,
    /// Why, in Chinese.
    pub reason: String,
}

/// Progress of an import, reported after every chunk.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Work done, in the source's unit (bytes for CSV, rows for workbooks).
    pub done: u64,
    /// Total work in the same unit.
    pub total: u64,
    /// Data rows read so far.
    pub rows: usize,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// The detected format.
    pub format: String,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// New enterprises (written, or that would have been).
    pub created: usize,
    /// Enterprises with a new profile version.
    pub updated: usize,
    /// Enterprises whose profile was already the same.
    pub unchanged: usize,
    /// Rows with at least one error.
    pub invalid_rows: usize,
    /// Every error, in row order.
    pub errors: Vec<RowError>,
    /// Notes on the file (ignored columns, …).
    pub warnings: Vec<String>,
    /// Whether the import was committed (false: nothing was written).
    pub applied: bool,
    /// The audit entry recording it, when something changed.
    pub audit_seq: Option<i64>,
}

/// Which field each column feeds.
struct Mapping<'s> {
    headers: Vec<String>,
    columns: Vec<Option<&'s FieldDef>>,
    by_field: HashMap<String, usize>,
}

fn map_columns<'s>(header: Vec<String>, lookup: &Columns<'s>, warnings: &mut Vec<String>) -> Result<Mapping<'s>, RosterError> {
    let mut columns = Vec::with_capacity(header.len());
    let mut by_field: HashMap<String, usize> = HashMap::new();
    let (mut unknown, mut derived) = (Vec::new(), Vec::new());
    for (c, h) in header.iter().enumerate() {
        let column = match lookup.match_header(h) {
            Some(HeaderMatch::Field(def)) => Some(def),
            Some(HeaderMatch::Derived(_)) => {
                derived.push(h.clone());
                None
            }
            None => {
                if !h.trim().is_empty() {
                    unknown.push(h.clone());
                }
                None
            }
        };
        if let Some(def) = column
            && let Some(prev) = by_field.insert(def.name.clone(), c)
        {
            return Err(RosterError::BadFile(format!("列“{}”和列“{h}”都对应字段 {}，请删去其中一列", header[prev], def.name)));
        }
        columns.push(column);
    }
    if !unknown.is_empty() {
        warnings.push(format!("已忽略无法识别的列：{}", unknown.join("、")));
    }
    if !derived.is_empty() {
        warnings.push(format!("已忽略派生指标列（由规则计算，不导入）：{}", derived.join("、")));
    }
    Ok(Mapping { headers: header, columns, by_field })
}

/// A typed row waiting for its chunk to be checked and written.
struct Staged {
    row: usize,
    code: String,
    facts: Map<String, Value>,
    cells: Vec<Cell>,
}

/// The state of one import.
struct Importer<'a> {
    schema: &'a Schema,
    change: Change<'a>,
    skip_invalid: bool,
    mapping: Mapping<'a>,
    seen: HashMap<String, usize>,
    chunk: Vec<Staged>,
    report: ImportReport,
}

impl Importer<'_> {
    fn error(&mut self, row: usize, column: String, value: String, reason: String) {
        self.report.errors.push(RowError { row, column, value, reason });
    }

    fn column_of(&self, field: &str) -> (Option<usize>, String) {
        match self.mapping.by_field.get(field) {
            Some(&c) => (Some(c), self.mapping.headers[c].clone()),
            None => (None, field.to_string()),
        }
    }

    /// Types one row; staged for the next chunk if it has a usable, unique credit code.
    fn stage(&mut self, row: usize, cells: Vec<Cell>) {
        if cells.iter().all(|c| *c == Cell::Empty) {
            return;
        }
        self.report.rows += 1;
        let errors_before = self.report.errors.len();
        let mut facts = Map::new();
        for (c, cell) in cells.iter().enumerate() {
            let Some(Some(def)) = self.mapping.columns.get(c) else { continue };
            match to_json(def, cell) {
                Ok(Some(v)) => {
                    facts.insert(def.name.clone(), v);
                }
                Ok(None) => {}
                Err(reason) => self.error(row, self.mapping.headers[c].clone(), cell.to_string(), reason),
            }
        }
        let code = facts.get("credit_code").and_then(Value::as_str).map(str::to_string);
        let (col, header) = self.column_of("credit_code");
        let raw_code = col.and_then(|c| cells.get(c)).map(ToString::to_string).unwrap_or_default();
        let mut staged_code = None;
        match code {
            None if self.report.errors.len() == errors_before => {
                self.error(row, header, String::new(), "缺少统一社会信用代码".into());
            }
            None => {}
            Some(code) => match self.seen.get(&code) {
                Some(first) => {
                    let reason = format!("统一社会信用代码与第{first}行重复");
                    self.error(row, header, raw_code, reason);
                }
                None => {
                    self.seen.insert(code.clone(), row);
                    staged_code = Some(code);
                }
            },
        }
        if self.report.errors.len() > errors_before {
            // Check what did type too, so every bad cell of the row is reported at once.
            if let Err(issues) = validate(self.schema, &facts) {
                for issue in issues {
                    let (col, header) = self.column_of(&issue.field);
                    let value = col.and_then(|c| cells.get(c)).map(ToString::to_string).unwrap_or_default();
                    self.error(row, header, value, issue.message);
                }
            }
            self.report.invalid_rows += 1;
        } else if let Some(code) = staged_code {
            self.chunk.push(Staged { row, code, facts, cells });
        }
    }

    fn writing(&self) -> bool {
        self.skip_invalid || self.report.errors.is_empty()
    }

    /// Checks the staged rows against their stored profiles and writes the changed ones.
    async fn flush(&mut self, bulk: &mut BulkWrite) -> Result<(), RosterError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let staged = std::mem::take(&mut self.chunk);
        let codes: Vec<&str> = staged.iter().map(|s| s.code.as_str()).collect();
        let current: HashMap<String, Current> = bulk.current(&codes).await?;
        let mut pending: Vec<Pending> = Vec::with_capacity(staged.len());
        for s in staged {
            let cur = current.get(&s.code);
            let merged = match cur {
                Some(c) => {
                    let mut stored = c.profile()?;
                    stored.extend(s.facts);
                    stored
                }
                None => s.facts,
            };
            match validate(self.schema, &merged) {
                Err(issues) => {
                    self.report.invalid_rows += 1;
                    for issue in issues {
                        let (col, header) = self.column_of(&issue.field);
                        let value = match col.and_then(|c| s.cells.get(c)) {
                            Some(cell) if *cell != Cell::Empty => cell.to_string(),
                            _ => merged.get(&issue.field).map(display).unwrap_or_default(),
                        };
                        self.error(s.row, header, value, issue.message);
                    }
                }
                Ok(valid) => match plan(&s.code, &valid, cur)? {
                    None => self.report.unchanged += 1,
                    Some(p) => {
                        if p.is_new() {
                            self.report.created += 1;
                        } else {
                            self.report.updated += 1;
                        }
                        pending.push(p);
                    }
                },
            }
        }
        if self.writing() {
            bulk.write(&pending, &self.change).await?;
        }
        Ok(())
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Imports a roster file into the store in one transaction (see the module docs).
pub async fn import_file(
    store: &Store,
    path: &Path,
    schema: &Schema,
    opts: &ImportOptions<'_>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, RosterError> {
    let Some(lookup) = Columns::new(schema) else {
        return Err(RosterError::BadFile(format!("档案模式中没有 {} 字段，无法导入名册", crate::columns::KEY_FIELD)));
    };
    let opened = read::open(path, &lookup)?;
    let file_name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let source = format!("import:{file_name}");
    let mut report = ImportReport { format: opened.format, ..ImportReport::default() };
    let mapping = map_columns(opened.header, &lookup, &mut report.warnings)?;
    let mut rows = opened.rows;
    let mut imp = Importer {
        schema,
        change: Change { by: opts.actor, at_ms: opts.at_ms, source: &source },
        skip_invalid: opts.skip_invalid,
        mapping,
        seen: HashMap::new(),
        chunk: Vec::with_capacity(CHUNK),
        report,
    };
    let mut tx = store.begin_bulk().await?;
    while let Some(row) = rows.next_row() {
        let row = row?;
        imp.stage(row.row, row.cells);
        if imp.chunk.len() >= CHUNK {
            imp.flush(&mut tx).await?;
            let (done, total) = rows.progress();
            progress(Progress { done, total, rows: imp.report.rows });
        }
    }
    imp.flush(&mut tx).await?;
    let (done, total) = rows.progress();
    progress(Progress { done, total, rows: imp.report.rows });

    let mut report = imp.report;
    report.errors.sort_by_key(|e| e.row);
    if !(opts.skip_invalid || report.errors.is_empty()) {
        tx.rollback().await?;
        return Ok(report);
    }
    if report.created + report.updated > 0 {
        let detail = json!({
            "file": file_name, "format": report.format, "rows": report.rows, "created": report.created,
            "updated": report.updated, "unchanged": report.unchanged, "invalid_rows": report.invalid_rows,
        });
        report.audit_seq = Some(tx.append_audit(opts.at_ms, opts.actor, "import", &file_name, &detail).await?);
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    report.applied = true;
    Ok(report)
}
