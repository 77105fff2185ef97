//! The smallest typst `World` that compiles one generated source with the given fonts: no files,
//! no packages, no clock (the document carries no creation date, so the PDF is reproducible).

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt as _, World};

pub(crate) struct BriefWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
}

impl BriefWorld {
    /// A world whose only file is `text`, at `/brief.typ`.
    pub(crate) fn new(text: String, fonts: Vec<Font>) -> Result<BriefWorld, String> {
        let path = VirtualPath::new("/brief.typ").map_err(|e| format!("virtual path: {e:?}"))?;
        let id = FileId::new(RootedPath::new(VirtualRoot::Project, path));
        Ok(BriefWorld {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main: Source::new(id, text),
        })
    }
}

impl World for BriefWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::AccessDenied) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() { Ok(Bytes::from_string(self.main.clone())) } else { Err(FileError::AccessDenied) }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
