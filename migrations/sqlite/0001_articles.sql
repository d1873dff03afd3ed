-- The archive's source of truth: articles, their authors and tags, and the
-- ordered change log the search index is derived from.

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL,
    headline      TEXT    NOT NULL,
    subheading    TEXT,
    source_name   TEXT,
    source_site   TEXT,
    url           TEXT UNIQUE,
    published_at  TEXT,              -- RFC 3339, UTC; NULL when unknown
    updated_at    TEXT    NOT NULL,  -- RFC 3339, UTC: last change in the archive
    ingested_at   TEXT    NOT NULL,  -- RFC 3339, UTC: first arrival in the archive
    section       TEXT,
    language      TEXT,
    paragraphs    TEXT    NOT NULL,  -- JSON array of strings, text exactly as written
    word_count    INTEGER NOT NULL,
    content_hash  TEXT    NOT NULL,  -- sha256 over every field a writer supplies
    body_hash     TEXT    NOT NULL,  -- sha256 over the paragraphs: matches an article by content
    headline_key  TEXT    NOT NULL,  -- folded headline + source: matches an article whose body was edited
    revision      INTEGER NOT NULL   -- 1 on creation, +1 on every change
);

CREATE INDEX articles_published ON articles (published_at DESC, id DESC);
-- Newest first, undated last: the order of every article list.
CREATE INDEX articles_newest ON articles (COALESCE(published_at, '') DESC, id DESC);
CREATE INDEX articles_body_hash ON articles (body_hash);
CREATE INDEX articles_headline_key ON articles (headline_key);
CREATE INDEX articles_source ON articles (source_name);
CREATE INDEX articles_section ON articles (section);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_authors_name ON article_authors (name);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    tag        TEXT    NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_tags_tag ON article_tags (tag);

-- Every write to an article appends one row here, in the same transaction.
-- The indexer applies rows in `seq` order and records the last applied `seq`
-- in the tantivy commit payload.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL,
    revision   INTEGER NOT NULL,     -- the article's revision after the change; 0 for a deletion
    kind       TEXT    NOT NULL CHECK (kind IN ('upsert', 'delete')),
    changed_at TEXT    NOT NULL
);
