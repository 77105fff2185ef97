//! `zhengce brief`: a visit brief for one enterprise or a town, park or chamber, from the store,
//! matched against the corpus on `--at` (default today), written as HTML, Markdown, xlsx or PDF.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use zhengce_brief::{Identity, Scope};
use zhengce_store::profiles::EnterpriseFilter;
use zhengce_store::{Store, StoreError};

use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A standalone HTML page with an A4 print stylesheet.
    Html,
    /// An xlsx workbook (summary, one row per enterprise and policy, questions).
    Xlsx,
    /// An A4 PDF (needs a CJK font, see --font).
    Pdf,
    /// Markdown.
    Md,
}

impl Format {
    fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            "md" | "markdown" => Some(Format::Md),
            _ => None,
        }
    }
}

/// Flags of `zhengce brief`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["enterprise", "town", "park", "chamber"])))]
pub struct BriefArgs {
    /// One enterprise, by 统一社会信用代码.
    #[arg(long, value_name = "CREDIT_CODE")]
    enterprise: Option<String>,
    /// Every enterprise of a town or street (镇街).
    #[arg(long, value_name = "NAME")]
    town: Option<String>,
    /// Every enterprise of a park (园区).
    #[arg(long, value_name = "NAME")]
    park: Option<String>,
    /// Every enterprise of a chamber of commerce (商会).
    #[arg(long, value_name = "NAME")]
    chamber: Option<String>,
    /// The matching date (default: today, China time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    at: Option<String>,
    /// Output format (default: from the --out extension; Markdown on standard output).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write here instead of standard output (required for xlsx and pdf).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The store: `sqlite:///path.db`, a plain file path, or `postgres://…` (default: ./data/zhengce.db).
    #[arg(long, value_name = "URL", env = "ZHENGCE_DB")]
    db: Option<String>,
    /// CJK font file for PDF (TTF/TTC/OTF; default: the Debian fonts-wqy-microhei path).
    #[arg(long, value_name = "FILE", env = "ZHENGCE_CJK_FONT")]
    font: Option<PathBuf>,
    #[command(flatten)]
    corpus: CorpusArgs,
}

impl BriefArgs {
    fn scope(&self) -> Option<Scope> {
        let pick = [
            self.enterprise.clone().map(Scope::Enterprise),
            self.town.clone().map(Scope::Town),
            self.park.clone().map(Scope::Park),
            self.chamber.clone().map(Scope::Chamber),
        ];
        pick.into_iter().flatten().next()
    }

    fn format(&self) -> Format {
        self.format.or_else(|| self.out.as_deref().and_then(Format::from_path)).unwrap_or(match self.out {
            Some(_) => Format::Html,
            None => Format::Md,
        })
    }
}

fn store_error(e: StoreError) -> anyhow::Error {
    if e.is_user_error() { bad_input(e.to_string()) } else { anyhow::Error::new(e) }
}

/// The identity columns of a stored profile.
fn identity(credit_code: &str, profile: &Map<String, Value>) -> Identity {
    let s = |k: &str| profile.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    Identity {
        credit_code: credit_code.to_string(),
        name: s("name").unwrap_or_else(|| credit_code.to_string()),
        town: s("town"),
        park: s("park"),
        chamber: s("chamber"),
        industry: s("industry_code"),
    }
}

/// Reads the enterprises of `scope` from the store, in credit-code order.
async fn enterprises(store: &Store, scope: &Scope) -> anyhow::Result<Vec<(String, Map<String, Value>)>> {
    const PAGE: i64 = 1000;
    let filter = match scope {
        Scope::Enterprise(code) => {
            let e = store.enterprise(code).await.map_err(store_error)?;
            return Ok(e.into_iter().map(|e| (e.credit_code, e.profile)).collect());
        }
        Scope::Town(t) => EnterpriseFilter { town: Some(t.clone()), ..EnterpriseFilter::default() },
        Scope::Park(p) => EnterpriseFilter { park: Some(p.clone()), ..EnterpriseFilter::default() },
        Scope::Chamber(c) => EnterpriseFilter { chamber: Some(c.clone()), ..EnterpriseFilter::default() },
    };
    let mut out = Vec::new();
    loop {
        let page = store.list_enterprises(&filter, PAGE, out.len() as i64).await.map_err(store_error)?;
        let n = page.len();
        out.extend(page.into_iter().map(|e| (e.credit_code, e.profile)));
        if (n as i64) < PAGE {
            return Ok(out);
        }
    }
}

/// Writes the brief.
#[allow(clippy::print_stderr)]
pub fn run(args: &BriefArgs) -> anyhow::Result<i32> {
    let Some(scope) = args.scope() else {
        return Err(bad_input("请用 --enterprise、--town、--park 或 --chamber 指定走访对象"));
    };
    let format = args.format();
    if matches!(format, Format::Xlsx | Format::Pdf) && args.out.is_none() {
        return Err(bad_input("xlsx 和 pdf 格式需要用 --out 指定输出文件"));
    }
    let as_of = crate::cmd_match::parse_at(args.at.as_deref())?;
    // The font is checked before any work, so a missing font fails at once.
    let font = match format {
        Format::Pdf => Some(pdf::font(args.font.as_deref())?),
        _ => None,
    };
    let loaded = corpus::load_clean(&args.corpus)?;
    let snapshot = &loaded.snapshot;
    let url = args.db.clone().unwrap_or_else(zhengce_store::default_db_url);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stored = runtime.block_on(async {
        let store = Store::open(&url).await.map_err(store_error)?;
        let rows = enterprises(&store, &scope).await;
        store.close().await;
        rows
    })?;
    if stored.is_empty() {
        return Err(bad_input(match &scope {
            Scope::Enterprise(code) => format!("企业库中没有统一社会信用代码为 {code} 的企业"),
            other => format!("企业库中没有{}为「{}」的企业（请检查名称）", other.kind_label(), other.name()),
        }));
    }

    let mut rows = Vec::with_capacity(stored.len());
    let mut skipped = Vec::new();
    for (code, profile) in &stored {
        match snapshot.parse_profile_json(&Value::Object(profile.clone())) {
            Ok(p) => rows.push((identity(code, profile), snapshot.match_profile(&p, as_of))),
            Err(errs) => {
                let fields: Vec<String> = errs.iter().map(|e| format!("{}：{}", e.field, e.message)).collect();
                skipped.push(format!("{code}（{}）", fields.join("；")));
            }
        }
    }
    for s in &skipped {
        eprintln!("警告：企业 {s} 的档案不符合当前规则库的字段定义，未列入简报");
    }
    let brief = zhengce_brief::build(snapshot, scope, as_of, &rows);

    let bytes = match format {
        Format::Html => zhengce_brief::html::render(&brief).into_bytes(),
        Format::Md => zhengce_brief::markdown::render(&brief).into_bytes(),
        Format::Xlsx => zhengce_brief::xlsx::render(&brief).map_err(|e| anyhow::anyhow!("cannot write the workbook: {e}"))?,
        Format::Pdf => match &font {
            Some(f) => pdf::render(&brief, f)?,
            None => return Err(anyhow::anyhow!("the PDF font was not loaded")),
        },
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes).map_err(|e| bad_input(format!("无法写入 {}：{e}", path.display())))?;
            eprintln!("已写入 {}：{}。{}", path.display(), brief.title, zhengce_brief::text::group_summary(&brief));
        }
        None => crate::out::text(&String::from_utf8_lossy(&bytes)),
    }
    Ok(if skipped.is_empty() { 0 } else { 2 })
}

/// PDF output, when the binary is built with the `pdf` feature (on by default).
#[cfg(feature = "pdf")]
mod pdf {
    use std::path::Path;

    use zhengce_brief_pdf::{CjkFont, PdfError};

    use crate::exit::bad_input;

    pub(super) type Font = CjkFont;

    pub(super) fn font(path: Option<&Path>) -> anyhow::Result<Font> {
        CjkFont::load(path).map_err(|e| bad_input(e.to_string()))
    }

    pub(super) fn render(brief: &zhengce_brief::Brief, font: &Font) -> anyhow::Result<Vec<u8>> {
        zhengce_brief_pdf::render(brief, font).map_err(|e: PdfError| anyhow::anyhow!("{e}"))
    }
}

/// Without the `pdf` feature, asking for a PDF is refused with a clear message.
#[cfg(not(feature = "pdf"))]
mod pdf {
    use std::path::Path;

    use crate::exit::bad_input;

    pub(super) enum Font {}

    pub(super) fn font(_path: Option<&Path>) -> anyhow::Result<Font> {
        Err(bad_input("此版本编译时未包含 PDF 支持（cargo 特性 pdf），请改用 --format html 打印为 PDF"))
    }

    pub(super) fn render(_brief: &zhengce_brief::Brief, font: &Font) -> anyhow::Result<Vec<u8>> {
        match *font {}
    }
}
