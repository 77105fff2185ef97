//! The roster vocabulary from the schema: header matching and cell typing.

use std::collections::HashMap;

use serde_json::{Value, json};
use zhengce_roster::cells::{Cell, excel_serial_date, to_json};
use zhengce_roster::columns::{Columns, HeaderMatch, normalize_header, roster_fields};

use crate::common::schema;

#[test]
fn headers_are_unambiguous_and_cover_the_roster() {
    let schema = schema();
    let columns = Columns::new(schema).expect("the schema has credit_code");
    // No header, alias or name of a field names another field or a derived fact.
    let mut seen: HashMap<String, &str> = HashMap::new();
    for f in &schema.fields {
        for h in [&f.name, &f.header].into_iter().chain(&f.aliases).filter(|h| !h.is_empty()) {
            if let Some(prev) = seen.insert(normalize_header(h), &f.name) {
                assert_eq!(prev, f.name, "header {h} is ambiguous");
            }
        }
    }
    for d in schema.derived.iter().map(|d| &d.def) {
        for h in [&d.name, &d.label].into_iter().chain(&d.aliases) {
            assert!(!seen.contains_key(&normalize_header(h)), "derived header {h} also names a field");
        }
    }
    assert_eq!(roster_fields(schema).count(), 63);
    let field = |h: &str| match columns.match_header(h) {
        Some(HeaderMatch::Field(f)) => Some(f.name.as_str()),
        _ => None,
    };
    assert_eq!(field("从业人员（人）"), Some("employees"));
    assert_eq!(field("*从业人员"), Some("employees"));
    assert_eq!(field(" Employees "), Some("employees"));
    assert_eq!(field("统一社会信用代码"), Some("credit_code"));
    assert_eq!(field("信用代码"), Some("credit_code"));
    assert_eq!(field("注册地行政区划"), Some("region"), "labels name their field");
    assert_eq!(columns.match_header("企业规模"), Some(HeaderMatch::Derived("size_class")));
    assert_eq!(columns.match_header("研发强度"), Some(HeaderMatch::Derived("rd_intensity")));
    assert_eq!(columns.match_header("中小微企业"), Some(HeaderMatch::Derived("is_sme")), "every derived fact");
    assert_eq!(columns.match_header("备注"), None);
}

fn typed(name: &str, cell: &Cell) -> Result<Option<Value>, String> {
    let schema = schema();
    to_json(schema.field(name).expect("field"), cell)
}

fn t(name: &str, s: &str) -> Result<Option<Value>, String> {
    typed(name, &Cell::Text(s.into()))
}

#[test]
fn numbers() {
    assert_eq!(t("revenue", "1,234.5"), Ok(Some(json!(1234.5))));
    assert_eq!(t("revenue", "１２，３４５"), Ok(Some(json!(12345))));
    assert_eq!(t("revenue", "300万元"), Ok(Some(json!(300))));
    assert!(t("revenue", "300元").is_err());
    assert_eq!(t("employees", "４５人"), Ok(Some(json!(45))));
    assert!(t("employees", "45.5").is_err());
    assert_eq!(t("taxable_income", "-12.5"), Ok(Some(json!(-12.5))));
    assert_eq!(t("main_product_share", "85%"), Ok(Some(json!(0.85))));
    assert_eq!(t("employees", "  "), Ok(None));
    assert_eq!(t("employees", "-"), Ok(None));
    assert!(t("employees", "很多").is_err());
}

#[test]
fn text_like() {
    assert_eq!(t("hnte", "是"), Ok(Some(json!(true))));
    assert_eq!(t("hnte", "0"), Ok(Some(json!(false))));
    assert!(t("hnte", "也许").is_err());
    assert_eq!(t("established", "2021/3/5"), Ok(Some(json!("2021-03-05"))));
    assert_eq!(t("established", "2021年3月5日"), Ok(Some(json!("2021-03-05"))));
    assert_eq!(t("established", "2021-03-05 00:00:00"), Ok(Some(json!("2021-03-05"))));
    assert_eq!(t("established", "20210305"), Ok(Some(json!("2021-03-05"))));
    assert!(t("established", "2021-02-30").is_err());
    assert_eq!(t("vat_status", "一般纳税人"), Ok(Some(json!("general"))));
    assert_eq!(t("srdi_level", "专精特新“小巨人”"), Ok(Some(json!("little_giant"))));
    assert_eq!(t("ownership", "民营企业"), Ok(Some(json!("private"))), "a roster label");
    assert_eq!(t("listed", "区域股权市场"), Ok(Some(json!("regional_equity"))), "the schema label");
    assert_eq!(t("tax_credit_grade", "a"), Ok(Some(json!("A"))));
    assert!(t("vat_status", "大规模").is_err());
    assert_eq!(t("credit_code", " 91370830ma3c4d5e6x "), Ok(Some(json!("91370830MA3C4D5E6X"))));
}

#[test]
fn workbook_cells() {
    assert_eq!(typed("region", &Cell::Number(370830.0)), Ok(Some(json!("370830"))));
    assert_eq!(typed("established", &Cell::Number(44260.0)), Ok(Some(json!("2021-03-05"))));
    assert!(typed("credit_code", &Cell::Number(9.137e17)).is_err());
    assert_eq!(typed("employees", &Cell::Number(45.0)), Ok(Some(json!(45))));
    assert_eq!(excel_serial_date(25569.0).as_deref(), Some("1970-01-01"));
}
