//! Learned boilerplate: counting the paragraphs a source repeats and
//! marking them in its articles (the SQL around `crate::boilerplate`).

use super::*;
use crate::boilerplate as rules;

/// Counts `paragraphs`' boilerplate candidates (see `crate::boilerplate`)
/// as carried by `story` of `source`; one that now reaches enough stories is
/// learned and hidden in the source's other articles, then the learned ones
/// are marked in article `id` itself as written. Nothing is cut from a record.
pub(super) async fn learn_boilerplate(
    tx: &mut Transaction<'_, Sqlite>,
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
    sqlx::query(
        "INSERT OR IGNORE INTO source_paragraphs (source_name, paragraph_key, story_id) \
         SELECT ?1, value, ?2 FROM json_each(?3) WHERE NOT EXISTS (SELECT 1 FROM \
         source_boilerplate b WHERE b.source_name = ?1 AND b.paragraph_key = value)",
    )
    .bind(source)
    .bind(story)
    .bind(json(&candidate_keys))
    .execute(&mut **tx)
    .await?;
    // Learned before (1), or carried by enough stories now (0).
    let rows = sqlx::query(
        "SELECT paragraph_key, 1 FROM source_boilerplate WHERE source_name = ?1 \
         AND paragraph_key IN (SELECT value FROM json_each(?2)) \
         UNION ALL SELECT paragraph_key, 0 FROM source_paragraphs WHERE source_name = ?1 \
         AND paragraph_key IN (SELECT value FROM json_each(?3)) \
         GROUP BY paragraph_key HAVING COUNT(*) >= ?4",
    )
    .bind(source)
    .bind(json(&all_keys))
    .bind(json(&candidate_keys))
    .bind(rules::STORIES)
    .fetch_all(&mut **tx)
    .await?;
    let mut learned: Vec<i64> = rows
        .iter()
        .filter(|r| r.get::<i64, _>(1) == 1)
        .map(|r| r.get(0))
        .collect();
    let reached: Vec<i64> = rows
        .iter()
        .filter(|r| r.get::<i64, _>(1) == 0)
        .map(|r| r.get::<i64, _>(0))
        .filter(|k| !learned.contains(k))
        .collect();
    for key in reached {
        let Some((_, text)) = candidates.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        sqlx::query(
            "INSERT OR IGNORE INTO source_boilerplate (source_name, paragraph_key, paragraph, learned_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(source)
        .bind(key)
        .bind(*text)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        leave_out(tx, source, id, text, now).await?;
        learned.push(key);
    }
    let hidden = rules::hidden(paragraphs, |key| learned.contains(&key));
    if !hidden.is_empty() {
        let shown = rules::shown(paragraphs, &hidden);
        sqlx::query("UPDATE articles SET boilerplate = ?, word_count = ? WHERE id = ?")
            .bind(serde_json::to_string(&hidden).expect("numbers serialise"))
            .bind(word_count(&shown))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Hides the learned boilerplate paragraph `text` in every article of
/// `source` but `except`. The record keeps the text and its revision: the
/// article is only marked (which paragraphs are boilerplate) and logged at
/// the same revision, so the index drops the paragraph. An article it would
/// leave empty keeps it shown.
pub(super) async fn leave_out(
    tx: &mut Transaction<'_, Sqlite>,
    source: &str,
    except: i64,
    text: &str,
    now: &str,
) -> Result<()> {
    let carriers = sqlx::query(
        "SELECT id, paragraphs, boilerplate, revision FROM articles \
         WHERE source_name = ? AND id != ? AND instr(paragraphs, json_quote(?)) > 0",
    )
    .bind(source)
    .bind(except)
    .bind(text)
    .fetch_all(&mut **tx)
    .await?;
    for row in carriers {
        let other: i64 = row.get(0);
        let paragraphs = json_list(row.get(1), "paragraphs")?;
        let before: Vec<usize> = match row.get::<Option<&str>, _>(2) {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| Error::Corrupt(format!("boilerplate: {e}")))?,
            None => Vec::new(),
        };
        let Some(after) = rules::also_hide(&paragraphs, &before, text) else {
            continue;
        };
        sqlx::query("UPDATE articles SET boilerplate = ?, word_count = ? WHERE id = ?")
            .bind(serde_json::to_string(&after).expect("numbers serialise"))
            .bind(word_count(&rules::shown(&paragraphs, &after)))
            .bind(other)
            .execute(&mut **tx)
            .await?;
        log_change(tx, other, row.get(3), "upsert", now).await?;
    }
    Ok(())
}

/// Words in a body, counted as `NewArticle::word_count` counts them.
pub(super) fn word_count<S: AsRef<str>>(paragraphs: &[S]) -> i64 {
    crate::article::count_words(paragraphs.iter().map(|p| p.as_ref()))
}
