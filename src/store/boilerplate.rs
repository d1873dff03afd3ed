//! Learned boilerplate: counting the paragraphs a source repeats and
//! marking them in its articles (the SQL around `crate::boilerplate`).

use super::*;
use crate::boilerplate as rules;

/// Counts `paragraphs`' boilerplate candidates (see `crate::boilerplate`)
/// as carried by `story` of `source`; one that now reaches enough stories is
/// learned and hidden in the source's other articles, then the learned ones
/// are marked in article `id` itself as written. Nothing is cut from a record.
pub(super) async fn learn_boilerplate(
    tx: &mut Tx<'_>,
    id: i64,
    source: &str,
    paragraphs: &[String],
    story: i64,
    now: &str,
) -> Result<()> {
    // Two statements per article, whatever its length: every write pays
    // for this, and each statement is a round trip to SQLite's thread.
    let candidates = rules::candidates(paragraphs);
    let candidate_keys: Vec<i64> = candidates.iter().map(|(k, _)| *k).collect();
    let all_keys: Vec<i64> = paragraphs.iter().map(|p| rules::key(p)).collect();
    let json = |keys: &[i64]| serde_json::to_string(keys).expect("numbers serialise");
    // A paragraph already learned needs no more counting.
    sql!(
        tx.conn(),
        execute,
        sqlite: "INSERT OR IGNORE INTO source_paragraphs (source_name, paragraph_key, story_id) \
                 SELECT $1, value, $2 FROM json_each($3) WHERE NOT EXISTS (SELECT 1 FROM \
                 source_boilerplate b WHERE b.source_name = $1 AND b.paragraph_key = value)",
        postgres: "INSERT INTO source_paragraphs (source_name, paragraph_key, story_id) \
                   SELECT $1, k.value::bigint, $2 FROM json_array_elements_text($3::json) k \
                   WHERE NOT EXISTS (SELECT 1 FROM source_boilerplate b \
                   WHERE b.source_name = $1 AND b.paragraph_key = k.value::bigint) \
                   ON CONFLICT DO NOTHING",
        source,
        story,
        json(&candidate_keys)
    )?;
    // Learned before (1), or carried by enough stories now (0).
    let rows = sql!(
        tx.conn(),
        all::<(i64, bool)>,
        sqlite: "SELECT paragraph_key, 1 FROM source_boilerplate WHERE source_name = $1 \
                 AND paragraph_key IN (SELECT value FROM json_each($2)) \
                 UNION ALL SELECT paragraph_key, 0 FROM source_paragraphs WHERE source_name = $1 \
                 AND paragraph_key IN (SELECT value FROM json_each($3)) \
                 GROUP BY paragraph_key HAVING COUNT(*) >= $4",
        postgres: "SELECT paragraph_key, TRUE FROM source_boilerplate WHERE source_name = $1 \
                   AND paragraph_key IN (SELECT value::bigint FROM json_array_elements_text($2::json)) \
                   UNION ALL SELECT paragraph_key, FALSE FROM source_paragraphs WHERE source_name = $1 \
                   AND paragraph_key IN (SELECT value::bigint FROM json_array_elements_text($3::json)) \
                   GROUP BY paragraph_key HAVING COUNT(*) >= $4",
        source,
        json(&all_keys),
        json(&candidate_keys),
        rules::STORIES
    )?;
    let mut learned: Vec<i64> = rows
        .iter()
        .filter(|(_, before)| *before)
        .map(|(key, _)| *key)
        .collect();
    let reached: Vec<i64> = rows
        .iter()
        .filter(|(_, before)| !before)
        .map(|(key, _)| *key)
        .filter(|k| !learned.contains(k))
        .collect();
    for key in reached {
        let Some((_, text)) = candidates.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        learn(tx, source, key, text, now).await?;
        leave_out(tx, source, id, text, now).await?;
        learned.push(key);
    }
    let hidden = rules::hidden(paragraphs, |key| learned.contains(&key));
    if !hidden.is_empty() {
        let shown = rules::shown(paragraphs, &hidden);
        mark(tx, id, &hidden, word_count(&shown)).await?;
    }
    Ok(())
}

/// Hides the learned boilerplate paragraph `text` in every article of
/// `source` but `except`. The record keeps the text and its revision: the
/// article is only marked (which paragraphs are boilerplate) and logged at
/// the same revision, so the index drops the paragraph. An article it would
/// leave empty keeps it shown.
pub(super) async fn leave_out(
    tx: &mut Tx<'_>,
    source: &str,
    except: i64,
    text: &str,
    now: &str,
) -> Result<()> {
    // The paragraph as the `paragraphs` column's JSON holds it, quoted by
    // the same serialiser that wrote the column.
    let quoted = serde_json::to_string(text).expect("a string serialises");
    let carriers = sql!(
        tx.conn(),
        all::<(i64, String, Option<String>, i64)>,
        sqlite: "SELECT id, paragraphs, boilerplate, revision FROM articles \
                 WHERE source_name = $1 AND id != $2 AND instr(paragraphs, $3) > 0 \
                 ORDER BY id",
        postgres: "SELECT id, paragraphs, boilerplate, revision FROM articles \
                   WHERE source_name = $1 AND id != $2 AND strpos(paragraphs, $3) > 0 \
                   ORDER BY id",
        source,
        except,
        quoted
    )?;
    for (other, paragraphs, boilerplate, revision) in carriers {
        let paragraphs = json_list(&paragraphs, "paragraphs")?;
        let before: Vec<usize> = match boilerplate {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::Corrupt(format!("boilerplate: {e}")))?,
            None => Vec::new(),
        };
        let Some(after) = rules::also_hide(&paragraphs, &before, text) else {
            continue;
        };
        mark(
            tx,
            other,
            &after,
            word_count(&rules::shown(&paragraphs, &after)),
        )
        .await?;
        log_change(tx, other, revision, "upsert", now).await?;
    }
    Ok(())
}

/// Records that `source` repeats the paragraph `text` (its `key`) as boilerplate.
pub(super) async fn learn(
    tx: &mut Tx<'_>,
    source: &str,
    key: i64,
    text: &str,
    now: &str,
) -> Result<()> {
    sql!(
        tx.conn(),
        execute,
        "INSERT INTO source_boilerplate (source_name, paragraph_key, paragraph, learned_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        source,
        key,
        text,
        now
    )?;
    Ok(())
}

/// Marks which paragraphs of article `id` are boilerplate, and the words
/// of those it shows.
async fn mark(tx: &mut Tx<'_>, id: i64, hidden: &[usize], words: i64) -> Result<()> {
    sql!(
        tx.conn(),
        execute,
        "UPDATE articles SET boilerplate = $1, word_count = $2 WHERE id = $3",
        serde_json::to_string(hidden).expect("numbers serialise"),
        words,
        id
    )?;
    Ok(())
}

/// Words in a body, counted as `NewArticle::word_count` counts them.
pub(super) fn word_count<S: AsRef<str>>(paragraphs: &[S]) -> i64 {
    crate::article::count_words(paragraphs.iter().map(|p| p.as_ref()))
}
