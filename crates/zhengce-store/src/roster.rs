//! Importing an officer's roster (CSV or workbook) into the store.
//!
//! Each row is typed cell by cell ([`crate::cells`]), merged over the enterprise's stored profile
//! (an empty cell is an unknown fact: it never erases what is stored), checked by the
//! [`ProfileValidator`], and compared with the current version by content hash: only enterprises
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

use zhengce_model::schema::{FieldDef, FieldType};

use crate::cells::{Cell, to_json};
use crate::fields::{FIELDS, HeaderMatch, Kind, kind_of, match_header, normalize_header};
use crate::profiles::{CHUNK, Current, Pending, current_versions, parse_profile, plan, write_versions};
use crate::validate::ProfileValidator;
use crate::{Change, Store, StoreError, audit};

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

/// What one column feeds.
struct Column {
    field: String,
    kind: Kind,
    /// The schema's enum labels for this field, as (label, code).
    labels: Vec<(String, String)>,
}

impl Column {
    /// Types a cell, translating the schema's enum labels to codes.
    fn value(&self, cell: &Cell) -> Result<Option<Value>, String> {
        let label_code = |s: &str| self.labels.iter().find(|(l, _)| l == s.trim()).map(|(_, c)| Value::String(c.clone()));
        match to_json(self.kind, cell) {
            Ok(Some(Value::String(s))) => Ok(Some(label_code(&s).unwrap_or(Value::String(s)))),
            Err(e) => match cell {
                Cell::Text(s) => label_code(s).map(Some).ok_or(e),
                _ => Err(e),
            },
            other => other,
        }
    }
}

/// Which field each column feeds.
struct Mapping {
    headers: Vec<String>,
    columns: Vec<Option<Column>>,
    by_field: HashMap<String, usize>,
}

fn enum_labels(def: Option<&FieldDef>) -> Vec<(String, String)> {
    match def.map(|d| &d.ty) {
        Some(FieldType::Enum(values)) => values.iter().map(|(code, label)| (label.clone(), code.clone())).collect(),
        _ => Vec::new(),
    }
}

fn map_columns(header: Vec<String>, schema: &[FieldDef], warnings: &mut Vec<String>) -> Result<Mapping, StoreError> {
    let mut columns = Vec::with_capacity(header.len());
    let mut by_field: HashMap<String, usize> = HashMap::new();
    let (mut unknown, mut derived) = (Vec::new(), Vec::new());
    let schema_def = |name: &str| schema.iter().find(|d| d.name == name);
    for (c, h) in header.iter().enumerate() {
        let norm = normalize_header(h);
        let column = match match_header(h) {
            Some(HeaderMatch::Field(f)) => {
                let f = &FIELDS[f];
                Some(Column { field: f.name.to_string(), kind: f.kind, labels: enum_labels(schema_def(f.name)) })
            }
            Some(HeaderMatch::Derived(_)) => {
                derived.push(h.clone());
                None
            }
            None => {
                let def = schema.iter().find(|d| normalize_header(&d.name) == norm || normalize_header(&d.label) == norm);
                if def.is_none() && !h.trim().is_empty() {
                    unknown.push(h.clone());
                }
                def.map(|d| Column { field: d.name.clone(), kind: kind_of(&d.ty), labels: enum_labels(Some(d)) })
            }
        };
        if let Some(col) = &column
            && let Some(prev) = by_field.insert(col.field.clone(), c)
        {
            return Err(StoreError::BadFile(format!("列“{}”和列“{h}”都对应字段 {}，请删去其中一列", header[prev], col.field)));
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
    validator: &'a dyn ProfileValidator,
    change: Change<'a>,
    skip_invalid: bool,
    mapping: Mapping,
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
            let Some(Some(col)) = self.mapping.columns.get(c) else { continue };
            match col.value(cell) {
                Ok(Some(v)) => {
                    facts.insert(col.field.clone(), v);
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
            if let Err(issues) = self.validator.validate(&facts) {
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
    async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let staged = std::mem::take(&mut self.chunk);
        let codes: Vec<&str> = staged.iter().map(|s| s.code.as_str()).collect();
        let current: HashMap<String, Current> = current_versions(conn, &codes).await?;
        let mut pending: Vec<Pending> = Vec::with_capacity(staged.len());
        for s in staged {
            let cur = current.get(&s.code);
            let merged = match cur {
                Some(c) => {
                    let mut stored = parse_profile(&c.profile)?;
                    stored.extend(s.facts);
                    stored
                }
                None => s.facts,
            };
            match self.validator.validate(&merged) {
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
                        if p.version == 1 {
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
            write_versions(conn, &pending, &self.change).await?;
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
    validator: &dyn ProfileValidator,
    opts: &ImportOptions<'_>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, StoreError> {
    let opened = read::open(path)?;
    let file_name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let source = format!("import:{file_name}");
    let mut report = ImportReport { format: opened.format, ..ImportReport::default() };
    let mapping = map_columns(opened.header, validator.schema_fields(), &mut report.warnings)?;
    let mut rows = opened.rows;
    let mut imp = Importer {
        validator,
        change: Change { by: opts.actor, at_ms: opts.at_ms, source: &source },
        skip_invalid: opts.skip_invalid,
        mapping,
        seen: HashMap::new(),
        chunk: Vec::with_capacity(CHUNK),
        report,
    };
    let mut tx = store.begin_write().await?;
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
        report.audit_seq = Some(audit::append_in(&mut tx, opts.at_ms, opts.actor, "import", &file_name, &detail).await?);
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    report.applied = true;
    Ok(report)
}
