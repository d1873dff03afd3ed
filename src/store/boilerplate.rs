//! Learned boilerplate: counting the paragraphs a source repeats and marking them in its articles (the SQL around `crate::boilerplate`).

use super::*;
use crate::boilerplate as rules;

/// Counts `paragraphs`' boilerplate candidates (see `crate::boilerplate`)
/// as carried by `story` of `source`; one that now reaches enough stories is
/// learned and removed from the source's other articles (revision + 1,
/// logged), then from article `id` itself as written (same revision).
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
    sqlx::query(
        "INSERT OR IGNORE INTO source_paragraphs (source_name, paragraph_key, story_id) \
         SELECT ?1, value, ?2 FROM json_each(?3)",
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
    let kept: Vec<&String> = paragraphs
        .iter()
        .filter(|p| !learned.contains(&rules::key(p)))
        .collect();
    if !kept.is_empty() && kept.len() < paragraphs.len() {
        sqlx::query(
            "UPDATE articles SET paragraphs = ?, captured = ?, word_count = ? WHERE id = ?",
        )
        .bind(serde_json::to_string(&kept).expect("strings serialise"))
        .bind(serde_json::to_string(paragraphs).expect("strings serialise"))
        .bind(word_count(&kept))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Leaves the learned boilerplate paragraph `text` out of every article of
/// `source` but `except`: revision + 1 and a change-log entry each, the text
/// as captured kept. An article it would leave empty keeps it.
pub(super) async fn leave_out(
    tx: &mut Transaction<'_, Sqlite>,
    source: &str,
    except: i64,
    text: &str,
    now: &str,
) -> Result<()> {
    let carriers = sqlx::query(
        "SELECT id, paragraphs FROM articles WHERE source_name = ? AND id != ? \
         AND instr(paragraphs, json_quote(?)) > 0",
    )
    .bind(source)
    .bind(except)
    .bind(text)
    .fetch_all(&mut **tx)
    .await?;
    for row in carriers {
        let other: i64 = row.get(0);
        let before = json_list(row.get(1), "paragraphs")?;
        let after: Vec<String> = before.iter().filter(|p| *p != text).cloned().collect();
        if after.is_empty() || after.len() == before.len() {
            continue;
        }
        let revision: i64 = sqlx::query_scalar(
            "UPDATE articles SET paragraphs = ?, captured = COALESCE(captured, ?), \
             word_count = ?, updated_at = ?, revision = revision + 1 WHERE id = ? \
             RETURNING revision",
        )
        .bind(serde_json::to_string(&after).expect("strings serialise"))
        .bind(serde_json::to_string(&before).expect("strings serialise"))
        .bind(word_count(&after))
        .bind(now)
        .bind(other)
        .fetch_one(&mut **tx)
        .await?;
        log_change(tx, other, revision, "upsert", now).await?;
    }
    Ok(())
}

/// Words in a body, counted as `NewArticle::word_count` counts them.
pub(super) fn word_count<S: AsRef<str>>(paragraphs: &[S]) -> i64 {
    crate::article::count_words(paragraphs.iter().map(|p| p.as_ref()))
}
