//! The brief as an xlsx workbook (rust_xlsxwriter, written to memory):
//!
//! - 「汇总」: the totals (label in column A, value in column B), the departments and one row per
//!   enterprise;
//! - 「明细」: one long sheet, one row per (enterprise, policy) to discuss, frozen header and
//!   identity columns, a filter on every column; the 「计入合计」 column says which amounts the
//!   totals add up (one document per support);
//! - 「问题」: the questions to ask, per enterprise.
//! - 「诉求」: the enterprises' open requests, when there are any.

pub use rust_xlsxwriter::XlsxError;
use rust_xlsxwriter::{Color, Format, FormatAlign, Workbook, Worksheet};

use crate::model::{Brief, Item};
use crate::text;

/// Labels of the totals in column A of 「汇总」, in order (readers look values up by label).
pub const TOTAL_LABELS: [&str; 9] = [
    "企业数",
    "有符合政策的企业",
    "符合（项）",
    "符合金额（万元）",
    "可能符合（项）",
    "可能符合金额（万元，保守）",
    "差一点（项）",
    "差一点金额（万元）",
    "待问问题（个）",
];

/// Column headers of 「明细」.
pub const DETAIL_HEADERS: [(&str, f64); 18] = [
    ("统一社会信用代码", 21.0),
    ("企业名称", 30.0),
    ("镇街", 10.0),
    ("园区", 16.0),
    ("商会", 16.0),
    ("行业", 8.0),
    ("状态", 9.0),
    ("政策", 32.0),
    ("层级", 6.0),
    ("标注", 12.0),
    ("部门", 20.0),
    ("预计金额（万元）", 11.0),
    ("计入合计", 8.0),
    ("说明", 50.0),
    ("截止日期", 11.0),
    ("申报期", 22.0),
    ("所需材料", 50.0),
    ("文件", 26.0),
];

struct Formats {
    title: Format,
    header: Format,
    wrap: Format,
    money: Format,
}

fn formats() -> Formats {
    let font = "等线";
    Formats {
        title: Format::new().set_font_name(font).set_bold().set_font_size(14),
        header: Format::new()
            .set_font_name(font)
            .set_bold()
            .set_background_color(Color::RGB(0xE8EEF5))
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter),
        wrap: Format::new().set_font_name(font).set_text_wrap().set_align(FormatAlign::Top),
        money: Format::new().set_font_name(font).set_num_format("0.00").set_align(FormatAlign::Top),
    }
}

fn header_row(ws: &mut Worksheet, row: u32, headers: &[(&str, f64)], f: &Formats) -> Result<(), XlsxError> {
    for (c, (h, w)) in headers.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(row, col, *h, &f.header)?;
        ws.set_column_width(col, *w)?;
    }
    Ok(())
}

/// Renders the workbook to bytes.
pub fn render(b: &Brief) -> Result<Vec<u8>, XlsxError> {
    let f = formats();
    let mut wb = Workbook::new();
    summary(wb.add_worksheet(), b, &f)?;
    detail(wb.add_worksheet(), b, &f)?;
    questions(wb.add_worksheet(), b, &f)?;
    if b.open_requests() > 0 {
        requests(wb.add_worksheet(), b, &f)?;
    }
    wb.save_to_buffer()
}

fn summary(ws: &mut Worksheet, b: &Brief, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("汇总")?;
    ws.set_paper_size(9); // A4
    ws.write_string_with_format(0, 0, &b.title, &f.title)?;
    ws.write_string(1, 0, text::subtitle(b))?;
    let t = &b.totals;
    let values = [
        t.enterprises as f64,
        t.with_eligible as f64,
        t.eligible.policies as f64,
        t.eligible.amount_wan,
        t.possible.policies as f64,
        t.possible.amount_wan,
        t.near_miss.policies as f64,
        t.near_miss.amount_wan,
        t.questions as f64,
    ];
    let mut row = 3;
    for (label, v) in TOTAL_LABELS.iter().zip(values) {
        ws.write_string_with_format(row, 0, *label, &f.header)?;
        ws.write_number(row, 1, v)?;
        row += 1;
    }
    row += 1;
    header_row(ws, row, &[("建议同行部门", 30.0), ("企业（家）", 14.0), ("政策（项）", 12.0)], f)?;
    row += 1;
    for d in &t.departments {
        ws.write_string(row, 0, &d.name)?;
        ws.write_number(row, 1, d.enterprises as f64)?;
        ws.write_number(row, 2, d.policies as f64)?;
        row += 1;
    }
    row += 1;
    let heads = [
        ("企业名称", 30.0),
        ("统一社会信用代码", 14.0),
        ("符合（项）", 12.0),
        ("符合金额（万元）", 14.0),
        ("可能符合（项）", 12.0),
        ("差一点（项）", 12.0),
        ("待问问题", 10.0),
        ("同行部门", 60.0),
    ];
    header_row(ws, row, &heads, f)?;
    row += 1;
    for e in &b.enterprises {
        ws.write_string_with_format(row, 0, &e.identity.name, &f.wrap)?;
        ws.write_string(row, 1, &e.identity.credit_code)?;
        ws.write_number(row, 2, e.eligible.policies as f64)?;
        ws.write_number_with_format(row, 3, e.eligible.amount_wan, &f.money)?;
        ws.write_number(row, 4, e.possible.policies as f64)?;
        ws.write_number(row, 5, e.near_miss.policies as f64)?;
        ws.write_number(row, 6, (e.questions.len() + e.more_questions) as f64)?;
        let team: Vec<&str> = e.team.iter().map(|d| d.name.as_str()).collect();
        ws.write_string_with_format(row, 7, team.join("、"), &f.wrap)?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "说明", &f.title)?;
    for c in b.caveats() {
        row += 1;
        ws.write_string(row, 0, c)?;
    }
    Ok(())
}

fn detail_row(ws: &mut Worksheet, row: u32, e: &crate::model::EnterpriseBrief, it: &Item, f: &Formats) -> Result<(), XlsxError> {
    let id = &e.identity;
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let cells: [(u16, String); 8] = [
        (0, id.credit_code.clone()),
        (1, id.name.clone()),
        (2, opt(&id.town)),
        (3, opt(&id.park)),
        (4, opt(&id.chamber)),
        (5, opt(&id.industry)),
        (6, it.status.label().to_string()),
        (7, it.title.clone()),
    ];
    for (c, v) in cells {
        ws.write_string_with_format(row, c, v, &f.wrap)?;
    }
    ws.write_string_with_format(row, 8, it.level.label(), &f.wrap)?;
    let marks: Vec<&str> = it.marks.iter().map(|m| m.label()).collect();
    ws.write_string_with_format(row, 9, marks.join("、"), &f.wrap)?;
    ws.write_string_with_format(row, 10, &it.department, &f.wrap)?;
    if let Some(a) = it.amount_wan {
        ws.write_number_with_format(row, 11, a, &f.money)?;
    }
    ws.write_string_with_format(row, 12, if it.counted { "是" } else { "否" }, &f.wrap)?;
    ws.write_string_with_format(row, 13, text::item_detail(it), &f.wrap)?;
    if let Some(d) = it.deadline {
        ws.write_string_with_format(row, 14, d.to_string(), &f.wrap)?;
    }
    ws.write_string_with_format(row, 15, it.window.text(), &f.wrap)?;
    ws.write_string_with_format(row, 16, it.materials.join("；"), &f.wrap)?;
    ws.write_string_with_format(row, 17, it.document.clone().unwrap_or_default(), &f.wrap)?;
    Ok(())
}

fn detail(ws: &mut Worksheet, b: &Brief, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("明细")?;
    ws.set_paper_size(9);
    ws.set_landscape();
    header_row(ws, 0, &DETAIL_HEADERS, f)?;
    ws.set_freeze_panes(1, 2)?;
    ws.set_repeat_rows(0, 0)?;
    let mut row = 1u32;
    for e in &b.enterprises {
        for it in &e.items {
            detail_row(ws, row, e, it, f)?;
            row += 1;
        }
    }
    let last_col = u16::try_from(DETAIL_HEADERS.len() - 1).unwrap_or(0);
    ws.autofilter(0, 0, row.saturating_sub(1).max(1), last_col)?;
    Ok(())
}

fn questions(ws: &mut Worksheet, b: &Brief, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("问题")?;
    ws.set_paper_size(9);
    let heads = [
        ("统一社会信用代码", 21.0),
        ("企业名称", 30.0),
        ("序号", 6.0),
        ("要问的问题", 50.0),
        ("关系政策（项）", 10.0),
        ("可能涉及金额（万元）", 12.0),
        ("关系政策", 60.0),
    ];
    header_row(ws, 0, &heads, f)?;
    ws.set_freeze_panes(1, 2)?;
    let mut row = 1u32;
    for e in &b.enterprises {
        for (n, q) in e.questions.iter().enumerate() {
            ws.write_string_with_format(row, 0, &e.identity.credit_code, &f.wrap)?;
            ws.write_string_with_format(row, 1, &e.identity.name, &f.wrap)?;
            ws.write_number(row, 2, (n + 1) as f64)?;
            ws.write_string_with_format(row, 3, &q.question, &f.wrap)?;
            ws.write_number(row, 4, q.policies.len() as f64)?;
            ws.write_number_with_format(row, 5, q.unlocks_wan, &f.money)?;
            ws.write_string_with_format(row, 6, q.policies.join("、"), &f.wrap)?;
            row += 1;
        }
    }
    Ok(())
}

/// 「诉求」: each enterprise's open requests (only when there are any).
fn requests(ws: &mut Worksheet, b: &Brief, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("诉求")?;
    ws.set_paper_size(9);
    let heads = [
        ("统一社会信用代码", 21.0),
        ("企业名称", 30.0),
        ("编号", 8.0),
        ("类别", 8.0),
        ("诉求", 50.0),
        ("状态", 12.0),
        ("承办部门", 20.0),
        ("办理时限", 12.0),
        ("超期", 6.0),
    ];
    header_row(ws, 0, &heads, f)?;
    ws.set_freeze_panes(1, 2)?;
    let mut row = 1u32;
    for e in &b.enterprises {
        for r in &e.requests {
            ws.write_string_with_format(row, 0, &e.identity.credit_code, &f.wrap)?;
            ws.write_string_with_format(row, 1, &e.identity.name, &f.wrap)?;
            ws.write_number(row, 2, r.id as f64)?;
            ws.write_string(row, 3, &r.category)?;
            ws.write_string_with_format(row, 4, &r.text, &f.wrap)?;
            ws.write_string(row, 5, &r.state)?;
            ws.write_string_with_format(row, 6, r.department.as_deref().unwrap_or(""), &f.wrap)?;
            ws.write_string(row, 7, r.due.map(|d| d.to_string()).unwrap_or_default())?;
            ws.write_string(row, 8, if r.overdue { "是" } else { "" })?;
            row += 1;
        }
    }
    Ok(())
}
