//! The index writer: applying the change log (delete, then add) and
//! committing with the progress as payload; stray files a killed commit
//! left behind are removed before a writer starts.

use super::*;

impl SearchIndex {
    /// Takes the one writer of this generation; `WriterBusy` when another
    /// process has it. Files a killed commit left behind (segments and
    /// delete files no commit refers to) are removed first, so that they
    /// can never stand in the new writer's way.
    pub fn writer(&self) -> Result<Writer> {
        // A fresh handle: tantivy keeps its list of managed files in memory
        // from the moment an index is opened, and a writer working from an
        // old list would forget files other processes made since.
        let index = Index::open(open_directory(&self.dir)?)?;
        register_analyzers(&index);
        let writer = match index.writer(WRITER_MEMORY) {
            Ok(writer) => writer,
            Err(tantivy::TantivyError::LockFailure(LockError::LockBusy, _)) => {
                return Err(Error::WriterBusy);
            }
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = writer.garbage_collect_files().wait() {
            tracing::warn!(error = %e, "collecting unused index files failed");
        }
        remove_strays(&index, &self.dir)?;
        Ok(Writer {
            writer,
            fields: self.fields,
        })
    }
}

/// The index writer: applies articles in change-log order and commits with progress.
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
}

impl Writer {
    /// Replaces the documents of every id in `touched` with the current state
    /// in `articles` (an id missing from `articles` was deleted), then commits,
    /// recording `last_seq`. Either the whole batch becomes durable or none of it.
    pub fn apply(&mut self, touched: &[i64], articles: &[Article], last_seq: i64) -> Result<()> {
        for id in touched {
            self.writer
                .delete_term(Term::from_field_u64(self.fields.id, *id as u64));
        }
        for article in articles {
            self.writer.add_document(self.document(article))?;
        }
        self.commit(last_seq)
    }

    /// Adds articles to a fresh index without deleting (used by a rebuild).
    pub fn add(&mut self, articles: &[Article]) -> Result<()> {
        for article in articles {
            self.writer.add_document(self.document(article))?;
        }
        Ok(())
    }

    /// Commits what was added, recording `last_seq` as the progress.
    pub fn commit(&mut self, last_seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&Progress {
            schema_version: SCHEMA_VERSION,
            last_seq,
        })
        .expect("progress serialises");
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// Drops what was added since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        Ok(())
    }

    /// Waits for background merges and releases the writer lock.
    pub fn finish(self) -> Result<()> {
        Ok(self.writer.wait_merging_threads()?)
    }

    fn document(&self, article: &Article) -> TantivyDocument {
        let f = self.fields;
        let c = &article.content;
        // An article saved before languages were detected is analysed in
        // the language the write path would now store for it.
        let language = c.language_of_text();
        let text = f.text_of(language);
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, article.id as u64);
        doc.add_u64(f.story, article.story_id as u64);
        doc.add_u64(f.revision, article.revision as u64);
        doc.add_text(f.headline, &c.headline);
        for part in std::iter::once(&c.headline)
            .chain(&c.subheading)
            .chain(&c.paragraphs)
        {
            doc.add_text(text, part);
            doc.add_text(f.text_exact, part);
        }
        for author in &c.authors {
            doc.add_text(f.author, author);
            doc.add_text(f.author_name, author);
        }
        if let Some(source) = &c.source {
            doc.add_text(f.source, &source.name);
            doc.add_text(f.source_name, &source.name);
        }
        if let Some(section) = &c.section {
            doc.add_text(f.section, section);
            doc.add_text(f.section_name, section);
        }
        for tag in &c.tags {
            doc.add_text(f.tag, tag);
            doc.add_text(f.tag_name, tag);
        }
        if let Some(language) = language {
            doc.add_text(f.language, crate::language::primary(language));
        }
        if let Some(published) = c.published_at {
            doc.add_date(f.published, index_date(published.timestamp()));
            let month = published.year().max(0) as u64 * 100 + u64::from(published.month());
            doc.add_u64(f.month, month);
            doc.add_u64(f.day, month * 100 + u64::from(published.day()));
        }
        doc
    }
}

/// Removes files named like a segment's (`<32 hex digits>.<kind>`) that the
/// latest commit does not use: what a killed commit or merge left behind.
/// Called with the writer held, so no commit is under way; tantivy's meta
/// lock keeps readers that are opening segments safe meanwhile.
pub(super) fn remove_strays(index: &Index, dir: &std::path::Path) -> Result<()> {
    let _meta_lock = index
        .directory()
        .acquire_lock(&tantivy::directory::META_LOCK)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let metas = index.load_metas()?;
    let mut living = std::collections::HashMap::new();
    for segment in &metas.segments {
        let delete = segment
            .has_deletes()
            .then(|| segment.relative_path(tantivy::index::SegmentComponent::Delete));
        living.insert(segment.id().uuid_string(), delete);
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((id, kind)) = name.split_once('.') else {
            continue;
        };
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let stray = match living.get(id) {
            None => true,
            Some(delete) => {
                kind.ends_with("del") && delete.as_deref() != Some(std::path::Path::new(&name))
            }
        };
        if stray {
            tracing::info!(file = %name, "removing a file no commit of the index uses");
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
