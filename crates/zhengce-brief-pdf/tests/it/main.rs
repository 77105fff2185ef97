//! zhengce-brief-pdf's integration tests, one binary: a brief rendered to PDF, read back with
//! `pdftotext` (poppler-utils), carries the same Chinese text and totals as the HTML page.

mod pdf;
