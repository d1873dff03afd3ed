//! One page of results in a stable order: every match's place in that order
//! (its score or publication date, then its article id), the collector that
//! keeps the best matches after a cursor, and the cursor's text form.
//!
//! A cursor names the last result of a page, so the next page costs one pass
//! over the matches and a small window, however deep it is.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DateTime, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::Sort;

/// Where a match comes in the order of a sort: smaller comes first. The
/// rank is the score (best first) or the publication date (undated last),
/// made into an unsigned number with the same order; ties go by article id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    rank: u64,
    id: u64,
}

/// Where the next page starts: just after the result it names, in `sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort: Sort,
    place: Place,
}

impl Cursor {
    fn letter(sort: Sort) -> char {
        match sort {
            Sort::Relevance => 'r',
            Sort::Newest => 'n',
            Sort::Oldest => 'o',
        }
    }
}

/// `r3f2a9c00.1234`: the sort's letter, the rank in hex, the article id.
impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let letter = Cursor::letter(self.sort);
        write!(f, "{letter}{:x}.{}", self.place.rank, self.place.id)
    }
}

/// A text that is not a cursor this module gave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotACursor;

impl std::str::FromStr for Cursor {
    type Err = NotACursor;

    fn from_str(text: &str) -> Result<Cursor, NotACursor> {
        let mut chars = text.chars();
        let sort = match chars.next() {
            Some('r') => Sort::Relevance,
            Some('n') => Sort::Newest,
            Some('o') => Sort::Oldest,
            _ => return Err(NotACursor),
        };
        let (rank, id) = chars.as_str().split_once('.').ok_or(NotACursor)?;
        let hex = |s: &str| s.len() <= 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let digits = |s: &str| s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        if !hex(rank) || !digits(id) {
            return Err(NotACursor);
        }
        let place = Place {
            rank: u64::from_str_radix(rank, 16).map_err(|_| NotACursor)?,
            id: id.parse().map_err(|_| NotACursor)?,
        };
        Ok(Cursor { sort, place })
    }
}

/// A score as a rank: higher scores come first.
fn score_rank(score: Score) -> u64 {
    let bits = score.to_bits();
    // Flip so that the unsigned order of the bits is the order of the floats.
    let ascending = if bits >> 31 == 1 {
        !bits
    } else {
        bits | (1 << 31)
    };
    u64::from(!ascending)
}

/// A date as a rank in `sort`; undated articles come last either way.
fn date_rank(date: Option<DateTime>, sort: Sort) -> u64 {
    let Some(date) = date else { return u64::MAX };
    let ascending = (date.into_timestamp_nanos() as u64) ^ (1 << 63);
    match sort {
        // Index dates never reach the ends of i64 (see `index_date`), so no
        // dated article shares `u64::MAX` with the undated ones.
        Sort::Newest => !ascending,
        _ => ascending,
    }
}

/// One match kept for the page.
#[derive(Debug, Clone, Copy)]
pub struct Match {
    pub place: Place,
    pub story: u64,
    pub score: Option<Score>,
    pub address: DocAddress,
}

impl Match {
    pub fn id(&self) -> u64 {
        self.place.id
    }
}

// Ordered by place alone, so a max-heap holds the last match kept on top.
impl PartialEq for Match {
    fn eq(&self, other: &Self) -> bool {
        self.place == other.place
    }
}
impl Eq for Match {}
impl PartialOrd for Match {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Match {
    fn cmp(&self, other: &Self) -> Ordering {
        self.place.cmp(&other.place)
    }
}

/// The first `window` matches after the cursor, in order, and the stories
/// of the matches before it (pages already shown).
#[derive(Debug, Default)]
pub struct Window {
    pub matches: Vec<Match>,
    pub stories_before: HashSet<u64>,
    /// True when more matches follow the window.
    pub cut: bool,
}

/// Collects a [`Window`]. Tracking the stories before the cursor is only
/// needed when results are one per story.
pub struct AfterCursor {
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub window: usize,
    pub track_stories: bool,
}

impl Collector for AfterCursor {
    type Fruit = Window;
    type Child = SegmentAfterCursor;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentAfterCursor> {
        let fast = reader.fast_fields();
        Ok(SegmentAfterCursor {
            sort: self.sort,
            after: self.after.map(|c| c.place),
            window: self.window.max(1),
            track_stories: self.track_stories,
            segment,
            ids: fast.u64("id")?,
            stories: fast.u64("story")?,
            published: match self.sort {
                Sort::Relevance => None,
                _ => Some(fast.date("published")?),
            },
            kept: BinaryHeap::new(),
            stories_before: HashSet::new(),
            seen_after: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, segments: Vec<SegmentWindow>) -> tantivy::Result<Window> {
        let mut window = Window::default();
        let mut seen_after = 0;
        for segment in segments {
            window.matches.extend(segment.kept);
            window.stories_before.extend(segment.stories_before);
            seen_after += segment.seen_after;
        }
        window.matches.sort_unstable();
        window.matches.truncate(self.window.max(1));
        window.cut = seen_after > window.matches.len();
        Ok(window)
    }
}

/// What one segment found.
pub struct SegmentWindow {
    kept: Vec<Match>,
    stories_before: HashSet<u64>,
    seen_after: usize,
}

pub struct SegmentAfterCursor {
    sort: Sort,
    after: Option<Place>,
    window: usize,
    track_stories: bool,
    segment: SegmentOrdinal,
    ids: Column<u64>,
    stories: Column<u64>,
    published: Option<Column<DateTime>>,
    kept: BinaryHeap<Match>,
    stories_before: HashSet<u64>,
    seen_after: usize,
}

impl SegmentAfterCursor {
    fn id(&self, doc: DocId) -> u64 {
        self.ids.first(doc).unwrap_or_default()
    }
}

impl SegmentCollector for SegmentAfterCursor {
    type Fruit = SegmentWindow;

    fn collect(&mut self, doc: DocId, score: Score) {
        let rank = match &self.published {
            None => score_rank(score),
            Some(published) => date_rank(published.first(doc), self.sort),
        };
        // The id is read only when the rank alone cannot decide.
        if let Some(a) = self.after
            && (rank < a.rank || (rank == a.rank && self.id(doc) <= a.id))
        {
            if self.track_stories {
                let id = self.id(doc);
                self.stories_before
                    .insert(self.stories.first(doc).unwrap_or(id));
            }
            return;
        }
        self.seen_after += 1;
        let full = self.kept.len() >= self.window;
        let worst = self.kept.peek().map(|m| m.place);
        if full && worst.is_some_and(|w| rank > w.rank) {
            return;
        }
        let place = Place {
            rank,
            id: self.id(doc),
        };
        if full && worst.is_some_and(|w| place >= w) {
            return;
        }
        self.kept.push(Match {
            place,
            story: self.stories.first(doc).unwrap_or(place.id),
            score: self.published.is_none().then_some(score),
            address: DocAddress::new(self.segment, doc),
        });
        if self.kept.len() > self.window {
            self.kept.pop();
        }
    }

    fn harvest(self) -> SegmentWindow {
        SegmentWindow {
            kept: self.kept.into_vec(),
            stories_before: self.stories_before,
            seen_after: self.seen_after,
        }
    }
}

/// A page cut from a window: `offset` results skipped, at most `limit`
/// kept, one per story unless `all_versions`, and the cursor of the page
/// after it when there may be one.
pub fn cut(
    window: Window,
    sort: Sort,
    offset: usize,
    limit: usize,
    all_versions: bool,
) -> (Vec<Match>, Option<Cursor>) {
    let mut stories = window.stories_before;
    let mut page = Vec::with_capacity(limit);
    let mut skipped = 0;
    let mut rest = window.matches.iter();
    for m in rest.by_ref() {
        if !all_versions && !stories.insert(m.story) {
            continue;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        page.push(*m);
        if page.len() == limit {
            break;
        }
    }
    let more_in_window = rest.any(|m| all_versions || !stories.contains(&m.story));
    let next = if page.len() == limit {
        (more_in_window || window.cut).then(|| page.last().map(|m| m.place))
    } else {
        // A short page of a cut window: the next page starts after all of
        // it, the stories it skipped as copies counted as shown.
        window.cut.then(|| window.matches.last().map(|m| m.place))
    };
    let next = next.flatten().map(|place| Cursor { sort, place });
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_keep_the_order_of_scores_and_dates() {
        let scores = [0.0f32, 0.5, 1.0, 7.25, 1000.0];
        for pair in scores.windows(2) {
            assert!(score_rank(pair[1]) < score_rank(pair[0]), "{pair:?}");
        }
        let date = |s: i64| Some(DateTime::from_timestamp_secs(s));
        for sort in [Sort::Newest, Sort::Oldest] {
            let (early, late) = (date_rank(date(-5), sort), date_rank(date(1_000), sort));
            assert_eq!(early < late, sort == Sort::Oldest);
            assert!(early < date_rank(None, sort) && late < date_rank(None, sort));
        }
    }

    #[test]
    fn cursors_read_back_what_they_write() {
        for sort in [Sort::Relevance, Sort::Newest, Sort::Oldest] {
            let cursor = Cursor {
                sort,
                place: Place {
                    rank: score_rank(3.5),
                    id: 42,
                },
            };
            assert_eq!(cursor.to_string().parse(), Ok(cursor));
        }
        for bad in [
            "",
            "r",
            "x1.2",
            "r1",
            "r.2",
            "rg.2",
            "r1.-2",
            "r1.2.3",
            "r11111111111111111.2",
        ] {
            assert_eq!(bad.parse::<Cursor>(), Err(NotACursor), "{bad}");
        }
    }

    fn window(stories: &[u64], cut: bool) -> Window {
        let matches = stories
            .iter()
            .enumerate()
            .map(|(i, story)| Match {
                place: Place {
                    rank: i as u64,
                    id: 100 + i as u64,
                },
                story: *story,
                score: None,
                address: DocAddress::new(0, i as u32),
            })
            .collect();
        Window {
            matches,
            stories_before: HashSet::from([9]),
            cut,
        }
    }

    #[test]
    fn a_page_has_one_result_per_story_and_says_where_the_next_starts() {
        let ids = |page: &[Match]| page.iter().map(Match::id).collect::<Vec<_>>();
        // Story 9 was shown on a page before; story 1's copy is left out.
        let (page, next) = cut(window(&[1, 9, 1, 2, 3], false), Sort::Newest, 0, 2, false);
        assert_eq!(ids(&page), [100, 103]);
        assert_eq!(next.map(|c| c.place.id), Some(103));
        let (page, next) = cut(window(&[1, 9, 1, 2, 3], false), Sort::Newest, 0, 3, false);
        assert_eq!(ids(&page), [100, 103, 104]);
        assert_eq!(next, None);
        // Every version: nothing left out.
        let (page, _) = cut(window(&[1, 9, 1], false), Sort::Newest, 0, 3, true);
        assert_eq!(ids(&page), [100, 101, 102]);
        // A short page of a cut window goes on after the window's end.
        let (page, next) = cut(window(&[1, 1, 1], true), Sort::Newest, 0, 2, false);
        assert_eq!(ids(&page), [100]);
        assert_eq!(next.map(|c| c.place.id), Some(102));
        // Skipping by offset counts stories, not copies.
        let (page, _) = cut(window(&[1, 1, 2, 3], false), Sort::Newest, 1, 1, false);
        assert_eq!(ids(&page), [102]);
    }
}
