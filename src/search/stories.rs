//! How many stories a search's matches tell: the rows of a download that
//! shows one result per story, counted before the first row is written.

use rustc_hash::FxHashSet;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::*;

impl SearchIndex {
    /// The stories among the matches of `query` with the request's
    /// filters: all the words, or most of them when the search would relax.
    pub fn count_stories(&self, query: &ParsedQuery, request: &Request) -> Result<u64> {
        let searcher = &self.searcher;
        let strict = self.filtered(query.query.box_clone(), query, request);
        let (total, mut stories) = searcher.search(strict.as_ref(), &(Count, Stories))?;
        // The same choice as `search`: most of the words when all of them find few.
        if (total as u64) < RELAX_BELOW && query.words.len() >= 2 {
            let texts: Vec<Field> = std::iter::once(self.fields.text)
                .chain(self.languages.iter().copied())
                .collect();
            let loose = self.filtered(relax(query, searcher, &texts)?, query, request);
            let (loose_total, loose_stories) =
                searcher.search(loose.as_ref(), &(Count, Stories))?;
            if loose_total > total {
                stories = loose_stories;
            }
        }
        Ok(stories.len() as u64)
    }
}

/// Collects the distinct stories (an article's own id when it has none).
struct Stories;

struct SegmentStories {
    ids: Column<u64>,
    stories: Column<u64>,
    seen: FxHashSet<u64>,
}

impl Collector for Stories {
    type Fruit = FxHashSet<u64>;
    type Child = SegmentStories;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentStories> {
        let fast = reader.fast_fields();
        Ok(SegmentStories {
            ids: fast.u64("id")?,
            stories: fast.u64("story")?,
            seen: FxHashSet::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<FxHashSet<u64>>) -> tantivy::Result<FxHashSet<u64>> {
        let mut all = FxHashSet::default();
        for segment in segments {
            all.extend(segment);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentStories {
    type Fruit = FxHashSet<u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let story = self
            .stories
            .first(doc)
            .or_else(|| self.ids.first(doc))
            .unwrap_or(u64::MAX);
        self.seen.insert(story);
    }

    fn harvest(self) -> FxHashSet<u64> {
        self.seen
    }
}
