//! Visit briefs as A4 PDF: the `zhengce-brief` model typeset with typst, with an embedded CJK font.
//!
//! - [`CjkFont`]: the font, loaded from a file at run time. No maintained crate ships a CJK font,
//!   so the caller names a TTF/TTC/OTF file or takes the first of [`DEFAULT_FONT_PATHS`] that
//!   exists (Debian `fonts-wqy-microhei` first). A missing font fails with a Chinese message
//!   saying what to install ([`PdfError::FontMissing`]); nothing falls back silently.
//! - [`render`]: brief + font → PDF bytes. The typst source is generated from the model
//!   ([`source`], every text a typst string literal, so no user text is ever parsed as markup) and
//!   compiled in memory through a minimal typst `World`; typst embeds a subset of the font with a
//!   ToUnicode map, so the Chinese text can be extracted and searched.
//!
//! typst is heavy to build, so it lives in this crate alone; the HTML, Markdown and xlsx renderers
//! in `zhengce-brief` do not depend on it.

mod typ;
mod world;

use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::text::Font;
use typst_layout::PagedDocument;
use zhengce_brief::Brief;

pub use typ::source;

/// Where Debian puts CJK fonts, tried in order when no path is given.
pub const DEFAULT_FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
];

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No CJK font file at the given path, or at any default path.
    #[error(
        "找不到中文字体文件（已尝试：{}）。请安装文泉驿微米黑字体（Debian/Ubuntu：apt-get install fonts-wqy-microhei），或用 --font 指定一个 TTF/TTC/OTF 中文字体文件",
        tried.join("、")
    )]
    FontMissing {
        /// The paths tried.
        tried: Vec<String>,
    },
    /// The font file exists but cannot be read.
    #[error("无法读取字体文件 {path}：{message}")]
    FontUnreadable {
        /// The file.
        path: String,
        /// The operating system's reason.
        message: String,
    },
    /// The file holds no font typst can use, or no font with Chinese glyphs.
    #[error("字体文件 {path} 不是可用的中文字体（需要含中文字形的 TTF/TTC/OTF 文件）")]
    FontInvalid {
        /// The file.
        path: String,
    },
    /// typst rejected the generated document (an internal error: the source is generated).
    #[error("PDF 排版失败：{0}")]
    Typeset(String),
}

/// A CJK font (every face of a TTF/TTC/OTF file), ready to embed.
#[derive(Clone, Debug)]
pub struct CjkFont {
    faces: Vec<Font>,
    path: String,
}

impl CjkFont {
    /// Loads the font at `path`, or the first of [`DEFAULT_FONT_PATHS`] that exists.
    pub fn load(path: Option<&Path>) -> Result<CjkFont, PdfError> {
        let candidates: Vec<PathBuf> = match path {
            Some(p) => vec![p.to_path_buf()],
            None => DEFAULT_FONT_PATHS.iter().map(PathBuf::from).collect(),
        };
        let Some(found) = candidates.iter().find(|p| p.is_file()) else {
            return Err(PdfError::FontMissing { tried: candidates.iter().map(|p| p.display().to_string()).collect() });
        };
        let shown = found.display().to_string();
        let data = std::fs::read(found).map_err(|e| PdfError::FontUnreadable { path: shown.clone(), message: e.to_string() })?;
        CjkFont::from_bytes(data, &shown)
    }

    /// A font from the bytes of a TTF/TTC/OTF file; `name` names it in errors.
    pub fn from_bytes(data: Vec<u8>, name: &str) -> Result<CjkFont, PdfError> {
        let faces: Vec<Font> = Font::iter(Bytes::new(data)).collect();
        // A font without 中 cannot set a Chinese brief.
        let has_cjk = faces.iter().any(|f| f.info().coverage.contains('中' as u32));
        if faces.is_empty() || !has_cjk {
            return Err(PdfError::FontInvalid { path: name.to_string() });
        }
        Ok(CjkFont { faces, path: name.to_string() })
    }

    /// The family name of the first face (what the document asks for).
    pub fn family(&self) -> &str {
        self.faces.first().map_or("", |f| f.info().family.as_str())
    }

    /// Where the font came from.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Renders the brief as an A4 PDF.
pub fn render(brief: &Brief, font: &CjkFont) -> Result<Vec<u8>, PdfError> {
    let world = world::BriefWorld::new(source(brief, font.family()), font.faces.clone()).map_err(PdfError::Typeset)?;
    let document: PagedDocument = typst::compile(&world).output.map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| e.message.to_string()).collect();
        PdfError::Typeset(msgs.join("; "))
    })?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| e.message.to_string()).collect();
        PdfError::Typeset(msgs.join("; "))
    })
}
