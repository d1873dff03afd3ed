-- A record you can trust: every earlier revision kept whole, deleted
-- articles leave tombstones, ids are never reused, and boilerplate is
-- marked in the record instead of cut from it.

-- What made an article's current revision ("import of FILE", "API, token
-- NAME", "feed URL"); NULL for revisions made before this was kept.
ALTER TABLE articles ADD COLUMN origin TEXT;
-- JSON array of the positions (from 0) of the paragraphs judged the
-- source's boilerplate: hidden from pages and the index, kept in the record.
ALTER TABLE articles ADD COLUMN boilerplate TEXT;

-- Earlier versions cut learned boilerplate out of `paragraphs` and kept the
-- text as captured beside it: put every paragraph back and mark the cut ones.
UPDATE articles SET
    boilerplate = (SELECT json_group_array(c.key) FROM json_each(articles.captured) c
                   WHERE c.value NOT IN (SELECT value FROM json_each(articles.paragraphs))),
    paragraphs = captured
WHERE captured IS NOT NULL;
ALTER TABLE articles DROP COLUMN captured;

-- Every earlier revision of an article, whole (its content as JSON, see
-- src/store/revisions.rs), with when and what made it. The current revision
-- is the article's own row; a deleted article's last one is kept here too.
CREATE TABLE article_revisions (
    article_id INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    made_at    TEXT    NOT NULL,  -- RFC 3339, UTC
    origin     TEXT,
    content    TEXT    NOT NULL,
    PRIMARY KEY (article_id, revision)
) WITHOUT ROWID;

-- A deleted article: its permalink answers 410 Gone and names it.
CREATE TABLE tombstones (
    id           INTEGER PRIMARY KEY,
    slug         TEXT    NOT NULL,
    headline     TEXT,              -- NULL for deletions made before tombstones were kept
    published_at TEXT,
    revision     INTEGER NOT NULL,  -- the last revision before the deletion (0: unknown)
    deleted_at   TEXT    NOT NULL,
    origin       TEXT
);
INSERT OR IGNORE INTO tombstones (id, slug, revision, deleted_at)
    SELECT article_id, '', 0, MAX(changed_at) FROM changes
    WHERE kind = 'delete' AND article_id NOT IN (SELECT id FROM articles)
    GROUP BY article_id;

-- The largest article id ever given out: new ids come after it, so an id
-- is never reused, even after the newest article is deleted.
CREATE TABLE article_ids (last_id INTEGER NOT NULL);
INSERT INTO article_ids (last_id) SELECT MAX(
    COALESCE((SELECT MAX(id) FROM articles), 0),
    COALESCE((SELECT MAX(article_id) FROM changes), 0));
