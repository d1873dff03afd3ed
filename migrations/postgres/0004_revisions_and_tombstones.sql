-- A record you can trust: every earlier revision kept whole, deleted
-- articles leave tombstones, ids are never reused, and boilerplate is
-- marked in the record instead of cut from it.
-- (PostgreSQL's version of migrations/sqlite/0004_revisions_and_tombstones.sql.)

-- What made an article's current revision ("import of FILE", "API, token
-- NAME", "feed URL"); NULL for revisions made before this was kept.
ALTER TABLE articles ADD COLUMN origin TEXT COLLATE "C";
-- JSON array of the positions (from 0) of the paragraphs judged the
-- source's boilerplate: hidden from pages and the index, kept in the record.
ALTER TABLE articles ADD COLUMN boilerplate TEXT COLLATE "C";

-- Earlier versions cut learned boilerplate out of `paragraphs` and kept the
-- text as captured beside it: put every paragraph back and mark the cut ones.
-- The positions are written as SQLite's json_group_array writes them, in
-- order and without spaces (`[0,3]`), and `[]` when none was cut.
UPDATE articles SET
    boilerplate = (SELECT '[' || COALESCE(string_agg((c.ord - 1)::text, ',' ORDER BY c.ord), '') || ']'
                   FROM json_array_elements_text(articles.captured::json) WITH ORDINALITY AS c (value, ord)
                   WHERE c.value NOT IN (SELECT p.value FROM json_array_elements_text(articles.paragraphs::json) AS p (value))),
    paragraphs = captured
WHERE captured IS NOT NULL;
ALTER TABLE articles DROP COLUMN captured;

-- Every earlier revision of an article, whole (its content as JSON, see
-- src/store/revisions.rs), with when and what made it. The current revision
-- is the article's own row; a deleted article's last one is kept here too.
CREATE TABLE article_revisions (
    article_id BIGINT NOT NULL,
    revision   BIGINT NOT NULL,
    made_at    TEXT COLLATE "C" NOT NULL,  -- RFC 3339, UTC
    origin     TEXT COLLATE "C",
    content    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (article_id, revision)
);

-- A deleted article: its permalink answers 410 Gone and names it.
CREATE TABLE tombstones (
    id           BIGINT PRIMARY KEY,
    slug         TEXT COLLATE "C" NOT NULL,
    headline     TEXT COLLATE "C",           -- NULL for deletions made before tombstones were kept
    published_at TEXT COLLATE "C",
    revision     BIGINT NOT NULL,            -- the last revision before the deletion (0: unknown)
    deleted_at   TEXT COLLATE "C" NOT NULL,
    origin       TEXT COLLATE "C"
);
INSERT INTO tombstones (id, slug, revision, deleted_at)
    SELECT article_id, '', 0, MAX(changed_at) FROM changes
    WHERE kind = 'delete' AND article_id NOT IN (SELECT id FROM articles)
    GROUP BY article_id
ON CONFLICT (id) DO NOTHING;

-- The largest article id ever given out: new ids come after it, so an id
-- is never reused, even after the newest article is deleted. One row.
CREATE TABLE article_ids (last_id BIGINT NOT NULL);
INSERT INTO article_ids (last_id) SELECT GREATEST(
    COALESCE((SELECT MAX(id) FROM articles), 0),
    COALESCE((SELECT MAX(article_id) FROM changes), 0));
