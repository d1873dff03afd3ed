-- Pages and feeds: the publisher's own modified date, feed summaries, the
-- normalised URL key that finds the same page under another address, and
-- near-duplicate stories (see src/story.rs for the rules).

ALTER TABLE articles ADD COLUMN modified_at TEXT;            -- RFC 3339, UTC; the page's own "updated" date
ALTER TABLE articles ADD COLUMN summary_only INTEGER NOT NULL DEFAULT 0;  -- 1: body is a feed's summary
ALTER TABLE articles ADD COLUMN url_key TEXT;                -- story::url_key(url); NULL without a URL
ALTER TABLE articles ADD COLUMN story_id INTEGER;            -- id of the story's first article; NULL until grouped
ALTER TABLE articles ADD COLUMN signature BLOB;              -- story::Signature of the body; NULL when too short

CREATE INDEX articles_url_key ON articles (url_key);
CREATE INDEX articles_story ON articles (story_id);

-- One row per band of an article's signature: articles sharing a band key
-- are candidates for the same story.
CREATE TABLE story_bands (
    band_key   INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (band_key, article_id)
) WITHOUT ROWID;
CREATE INDEX story_bands_article ON story_bands (article_id);

-- Feeds the server polls for new items.
CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT    NOT NULL UNIQUE,
    title            TEXT,
    interval_secs    INTEGER NOT NULL,
    etag             TEXT,
    last_modified    TEXT,
    next_poll_at     TEXT    NOT NULL,   -- RFC 3339, UTC
    last_polled_at   TEXT,
    last_error       TEXT,
    failures         INTEGER NOT NULL DEFAULT 0,  -- consecutive; sets the backoff
    articles_created INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL
);

-- Boilerplate a source repeats on every page (see src/boilerplate.rs).
ALTER TABLE articles ADD COLUMN captured TEXT;  -- JSON array: the paragraphs as captured, when boilerplate was removed

-- Which stories of a source carry each short paragraph near the top or the end.
CREATE TABLE source_paragraphs (
    source_name   TEXT    NOT NULL,
    paragraph_key INTEGER NOT NULL,
    story_id      INTEGER NOT NULL,
    PRIMARY KEY (source_name, paragraph_key, story_id)
) WITHOUT ROWID;

-- Paragraphs learned as a source's boilerplate: removed from its articles.
CREATE TABLE source_boilerplate (
    source_name   TEXT    NOT NULL,
    paragraph_key INTEGER NOT NULL,
    paragraph     TEXT    NOT NULL,
    learned_at    TEXT    NOT NULL,
    PRIMARY KEY (source_name, paragraph_key)
) WITHOUT ROWID;
