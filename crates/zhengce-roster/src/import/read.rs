//! Reading roster files row by row: CSV (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM;
//! comma or tab separated) and workbooks (xlsx, xls, ods through calamine).
//!
//! The encoding of a CSV is decided by a first streaming pass: valid UTF-8 throughout means UTF-8,
//! anything else is GB18030 (a superset of GBK, Excel's "CSV (逗号分隔)" in Chinese Windows). The
//! second pass decodes while it parses, so memory stays flat whatever the file size.
//!
//! The header row is the first row (among the first 20) that names the credit-code column, so a
//! title line above the table is skipped. Row numbers are the spreadsheet's (1-based).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use calamine::{Data, Reader as _};

use crate::RosterError;
use crate::cells::Cell;
use crate::columns::Columns;

/// How many leading rows may precede the header row.
const HEADER_SEARCH_ROWS: usize = 20;

/// One data row.
pub(crate) struct RawRow {
    /// 1-based row number as a spreadsheet shows it.
    pub row: usize,
    /// The cells, by column.
    pub cells: Vec<Cell>,
}

/// A stream of data rows after the header.
pub(crate) trait RowSource: Send {
    /// The next row, or `None` at the end.
    fn next_row(&mut self) -> Option<Result<RawRow, RosterError>>;
    /// (done, total) in the source's own unit (bytes for CSV, rows for workbooks).
    fn progress(&self) -> (u64, u64);
}

/// An opened roster.
pub(crate) struct Opened {
    /// Human-readable format, e.g. `CSV（GB18030）`.
    pub format: String,
    /// The header cells.
    pub header: Vec<String>,
    /// The rows after the header.
    pub rows: Box<dyn RowSource>,
}

fn is_header(cells: &[String], columns: &Columns<'_>) -> bool {
    cells.iter().any(|c| columns.is_key(c))
}

fn no_header(path: &Path, columns: &Columns<'_>) -> RosterError {
    let key = columns.key();
    RosterError::BadFile(format!(
        "{}：前{HEADER_SEARCH_ROWS}行中找不到表头（需要“{}”或 {} 列）",
        path.display(),
        key.header,
        key.name
    ))
}

/// Opens a roster by its extension.
pub(crate) fn open(path: &Path, columns: &Columns<'_>) -> Result<Opened, RosterError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => open_csv(path, columns),
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => open_workbook(path, columns),
        _ => Err(RosterError::BadFile(format!("{}：不支持的文件类型（请用 .csv 或 .xlsx）", path.display()))),
    }
}

// ---------------------------------------------------------------- CSV

/// Counts the bytes read from the file, for the progress bar.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decodes a byte stream to UTF-8 on the fly.
struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        DecodeReader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            in_pos: 0,
            in_len: 0,
            output: vec![0; 3 * 64 * 1024 + 16],
            out_pos: 0,
            out_len: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out_len {
                let n = buf.len().min(self.out_len - self.out_pos);
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.in_pos == self.in_len && !self.eof {
                self.in_len = self.inner.read(&mut self.input)?;
                self.in_pos = 0;
                self.eof = self.in_len == 0;
            }
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(&self.input[self.in_pos..self.in_len], &mut self.output, self.eof);
            self.in_pos += read;
            self.out_pos = 0;
            self.out_len = written;
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
    }
}

/// Whether the whole file is valid UTF-8 (streamed, so any size is fine).
fn is_utf8(path: &Path) -> Result<bool, RosterError> {
    let mut f = File::open(path).map_err(|e| RosterError::io(path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut carry = 0usize;
    loop {
        let n = f.read(&mut buf[carry..]).map_err(|e| RosterError::io(path, e))?;
        let len = carry + n;
        if n == 0 {
            return Ok(carry == 0);
        }
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                // An incomplete sequence at the end of the buffer: keep it for the next read.
                let valid = e.valid_up_to();
                buf.copy_within(valid..len, 0);
                carry = len - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

struct CsvSource {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::StringRecord,
    row: usize,
    read: Arc<AtomicU64>,
    total: u64,
    path: String,
}

impl CsvSource {
    /// The next record as plain strings (for the header search).
    fn read_record(&mut self) -> Option<Result<Vec<String>, RosterError>> {
        self.next_row().map(|r| r.map(|r| r.cells.iter().map(ToString::to_string).collect()))
    }
}

impl RowSource for CsvSource {
    fn next_row(&mut self) -> Option<Result<RawRow, RosterError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                self.row += 1;
                let cells =
                    self.record.iter().map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text(c.to_string()) }).collect();
                Some(Ok(RawRow { row: self.row, cells }))
            }
            Err(e) => {
                self.row += 1;
                Some(Err(RosterError::BadFile(format!("{} 第{}行无法解析：{e}", self.path, self.row))))
            }
        }
    }

    fn progress(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed).min(self.total), self.total)
    }
}

fn open_csv(path: &Path, columns: &Columns<'_>) -> Result<Opened, RosterError> {
    let io_err = |e| RosterError::io(path, e);
    let total = std::fs::metadata(path).map_err(io_err)?.len();
    let mut head = Vec::with_capacity(4096);
    File::open(path).map_err(io_err)?.take(4096).read_to_end(&mut head).map_err(io_err)?;
    let bom = encoding_rs::Encoding::for_bom(&head);
    let (encoding, skip, label) = match bom {
        Some((enc, len)) => {
            (enc, len, if enc == encoding_rs::UTF_8 { "UTF-8，带BOM".to_string() } else { enc.name().to_string() })
        }
        None if is_utf8(path)? => (encoding_rs::UTF_8, 0, "UTF-8".to_string()),
        None => (encoding_rs::GB18030, 0, "GBK/GB18030".to_string()),
    };
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let tabs = first_line.iter().filter(|b| **b == b'\t').count();
    let commas = first_line.iter().filter(|b| **b == b',').count();
    let utf16 = encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE;
    let delimiter = if utf16 || tabs > commas { b'\t' } else { b',' };

    let read = Arc::new(AtomicU64::new(0));
    let mut file = BufReader::with_capacity(1 << 16, Counting { inner: File::open(path).map_err(io_err)?, count: read.clone() });
    io::copy(&mut (&mut file).take(skip as u64), &mut io::sink()).map_err(io_err)?;
    let input: Box<dyn Read + Send> =
        if encoding == encoding_rs::UTF_8 { Box::new(file) } else { Box::new(DecodeReader::new(file, encoding)) };
    let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(input);
    let mut src = CsvSource { reader, record: csv::StringRecord::new(), row: 0, read, total, path: path.display().to_string() };
    for _ in 0..HEADER_SEARCH_ROWS {
        match src.read_record() {
            None => break,
            Some(Err(e)) => return Err(e),
            Some(Ok(cells)) if is_header(&cells, columns) => {
                let sep = if delimiter == b'\t' { "制表符分隔" } else { "逗号分隔" };
                return Ok(Opened { format: format!("CSV（{label}，{sep}）"), header: cells, rows: Box::new(src) });
            }
            Some(Ok(_)) => {}
        }
    }
    Err(no_header(path, columns))
}

// ---------------------------------------------------------------- workbooks

struct SheetSource {
    range: calamine::Range<Data>,
    first_row: usize,
    next: usize,
}

fn to_cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date(format!("{y:04}-{m:02}-{d:02}"))
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

impl RowSource for SheetSource {
    fn next_row(&mut self) -> Option<Result<RawRow, RosterError>> {
        if self.next >= self.range.height() {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let cells = (0..self.range.width()).map(|c| self.range.get((i, c)).map_or(Cell::Empty, to_cell)).collect();
        Some(Ok(RawRow { row: self.first_row + i + 1, cells }))
    }

    fn progress(&self) -> (u64, u64) {
        (self.next as u64, self.range.height() as u64)
    }
}

fn open_workbook(path: &Path, columns: &Columns<'_>) -> Result<Opened, RosterError> {
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| RosterError::BadFile(format!("{}：无法读取工作簿：{e}", path.display())))?;
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| RosterError::BadFile(format!("{} 工作表“{name}”无法读取：{e}", path.display())))?;
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        for i in 0..range.height().min(HEADER_SEARCH_ROWS) {
            let header: Vec<String> =
                (0..range.width()).map(|c| range.get((i, c)).map_or(String::new(), |d| d.to_string())).collect();
            if is_header(&header, columns) {
                let src = SheetSource { range, first_row, next: i + 1 };
                return Ok(Opened { format: format!("工作簿（工作表“{name}”）"), header, rows: Box::new(src) });
            }
        }
    }
    Err(no_header(path, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_reader_handles_split_sequences() {
        let text = "统一社会信用代码,企业名称\n91370830MA3C4D5E6X,汶上县锦绣服饰有限公司\n".repeat(5000);
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let mut out = String::new();
        DecodeReader::new(&bytes[..], encoding_rs::GB18030).read_to_string(&mut out).expect("decode");
        assert_eq!(out, text);
    }
}
