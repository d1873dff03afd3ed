//! One page of results in a stable order: every match's place in that order
//! (its score or publication date, then its article id), the collector that
//! keeps the best matches after a cursor, and the cursor's text form.
//!
//! A cursor names the last result of a page, so the next page costs one pass
//! over the matches and a small window, however deep it is.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rustc_hash::{FxHashMap, FxHashSet};

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

/// The first `window` matches after the cursor, in order, and what came
/// before it (the pages already shown).
#[derive(Debug, Default)]
pub struct Window {
    pub matches: Vec<Match>,
    pub before: Before,
    /// True when more matches follow the window.
    pub cut: bool,
}

/// The matches before the cursor: enough to count the results shown
/// before this page and to say where the page before it starts.
#[derive(Debug, Default)]
pub struct Before {
    /// The stories seen, when results are one per story...
    stories: FxHashSet<u64>,
    /// ...or each one's first place instead, when the page before is wanted.
    firsts: FxHashMap<u64, Place>,
    /// Whether to track where the page before starts (`firsts`, `last`).
    wants_previous: bool,
    /// With every version: how many matches, and (when the page before is
    /// wanted) the last `page + 1` places.
    matches: usize,
    last: BinaryHeap<Reverse<Place>>,
}

impl Before {
    fn new(wants_previous: bool) -> Before {
        Before {
            wants_previous,
            ..Before::default()
        }
    }

    fn add_story(&mut self, story: u64, place: Place) {
        if self.wants_previous {
            self.firsts
                .entry(story)
                .and_modify(|first| *first = (*first).min(place))
                .or_insert(place);
        } else {
            self.stories.insert(story);
        }
    }

    fn add_match(&mut self, place: Place, page: usize) {
        self.matches += 1;
        if self.wants_previous {
            self.keep_last(place, page);
        }
    }

    /// Keeps `place` if it is among the last `page + 1` seen.
    fn keep_last(&mut self, place: Place, page: usize) {
        self.last.push(Reverse(place));
        if self.last.len() > page + 1 {
            self.last.pop();
        }
    }

    fn extend(&mut self, other: Before, page: usize) {
        self.stories.extend(other.stories);
        for (story, place) in other.firsts {
            self.add_story(story, place);
        }
        self.matches += other.matches;
        for Reverse(place) in other.last {
            self.keep_last(place, page);
        }
    }
}

/// Where the page before this one starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Previous {
    /// At the first result.
    First,
    /// Just after the result this cursor names.
    After(Cursor),
}

/// Collects a [`Window`] of pages of `page` results. Stories before the
/// cursor are tracked when results are one per story, with their first
/// places when `previous` asks where the page before starts.
pub struct AfterCursor {
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub page: usize,
    pub window: usize,
    pub track_stories: bool,
    pub previous: bool,
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
            page: self.page,
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
            before: Before::new(self.previous),
            seen_after: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, segments: Vec<SegmentWindow>) -> tantivy::Result<Window> {
        let mut window = Window {
            before: Before::new(self.previous),
            ..Window::default()
        };
        let mut seen_after = 0;
        for segment in segments {
            window.matches.extend(segment.kept);
            window.before.extend(segment.before, self.page);
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
    before: Before,
    seen_after: usize,
}

pub struct SegmentAfterCursor {
    sort: Sort,
    after: Option<Place>,
    page: usize,
    window: usize,
    track_stories: bool,
    segment: SegmentOrdinal,
    ids: Column<u64>,
    stories: Column<u64>,
    published: Option<Column<DateTime>>,
    kept: BinaryHeap<Match>,
    before: Before,
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
            let place = Place {
                rank,
                id: self.id(doc),
            };
            if self.track_stories {
                let story = self.stories.first(doc).unwrap_or(place.id);
                self.before.add_story(story, place);
            } else {
                self.before.add_match(place, self.page);
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
            before: self.before,
            seen_after: self.seen_after,
        }
    }
}

/// One page of results cut from a window.
#[derive(Debug)]
pub struct Page {
    pub matches: Vec<Match>,
    /// Results on the pages before this one.
    pub shown_before: usize,
    /// Where the next page starts; None on the last page.
    pub next: Option<Cursor>,
    /// Where the page before starts; None on the first page, and when
    /// the collector was not asked to track it.
    pub previous: Option<Previous>,
}

/// The page of at most `limit` results that starts the window, one per
/// story unless `all_versions`, with where the pages around it start.
pub fn cut(window: Window, sort: Sort, limit: usize, all_versions: bool) -> Page {
    let Window {
        matches,
        before,
        cut,
    } = window;
    // The pages before show each story at its first place (or every match).
    let Before {
        mut stories,
        firsts,
        matches: matches_before,
        last,
        ..
    } = before;
    let (shown_before, mut places): (usize, Vec<Place>) = if all_versions {
        (matches_before, last.into_iter().map(|r| r.0).collect())
    } else if firsts.is_empty() {
        (stories.len(), Vec::new())
    } else {
        stories.extend(firsts.keys());
        (firsts.len(), firsts.into_values().collect())
    };
    let previous = match shown_before {
        0 => None,
        n if n <= limit => Some(Previous::First),
        // Not tracked: the page before was not asked for.
        _ if places.len() <= limit => None,
        _ => {
            // The page before starts after the (limit + 1)th last place.
            let (_, &mut place, _) = places.select_nth_unstable_by(limit, |a, b| b.cmp(a));
            Some(Previous::After(Cursor { sort, place }))
        }
    };
    let mut page = Vec::with_capacity(limit);
    let mut rest = matches.iter();
    for m in rest.by_ref() {
        if !all_versions && !stories.insert(m.story) {
            continue;
        }
        page.push(*m);
        if page.len() == limit {
            break;
        }
    }
    let more_in_window = rest.any(|m| all_versions || !stories.contains(&m.story));
    let next = if page.len() == limit {
        (more_in_window || cut).then(|| page.last().map(|m| m.place))
    } else {
        // A short page of a cut window: the next page starts after all of
        // it, the stories it skipped as copies counted as shown.
        cut.then(|| matches.last().map(|m| m.place))
    };
    Page {
        matches: page,
        shown_before,
        next: next.flatten().map(|place| Cursor { sort, place }),
        previous,
    }
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

    fn place(rank: u64) -> Place {
        Place {
            rank,
            id: 100 + rank,
        }
    }

    /// A window of matches of `stories`, after one earlier match of story 9.
    fn window(stories: &[u64], cut: bool) -> Window {
        let matches = stories
            .iter()
            .enumerate()
            .map(|(i, story)| Match {
                place: place(10 + i as u64),
                story: *story,
                score: None,
                address: DocAddress::new(0, i as u32),
            })
            .collect();
        let mut before = Before::default();
        before.add_story(9, place(0));
        before.add_match(place(0), 2);
        Window {
            matches,
            before,
            cut,
        }
    }

    #[test]
    fn a_page_has_one_result_per_story_and_says_where_the_next_starts() {
        let ids = |page: &Page| page.matches.iter().map(Match::id).collect::<Vec<_>>();
        // Story 9 was shown on a page before; story 1's copy is left out.
        let page = cut(window(&[1, 9, 1, 2, 3], false), Sort::Newest, 2, false);
        assert_eq!(ids(&page), [110, 113]);
        assert_eq!(page.next.map(|c| c.place.id), Some(113));
        assert_eq!(
            (page.shown_before, page.previous),
            (1, Some(Previous::First))
        );
        let page = cut(window(&[1, 9, 1, 2, 3], false), Sort::Newest, 3, false);
        assert_eq!(ids(&page), [110, 113, 114]);
        assert_eq!(page.next, None);
        // Every version: nothing left out.
        let page = cut(window(&[1, 9, 1], false), Sort::Newest, 3, true);
        assert_eq!(ids(&page), [110, 111, 112]);
        // A short page of a cut window goes on after the window's end.
        let page = cut(window(&[1, 1, 1], true), Sort::Newest, 2, false);
        assert_eq!(ids(&page), [110]);
        assert_eq!(page.next.map(|c| c.place.id), Some(112));
    }

    /// A page of two, oldest first, after the matches `before` holds.
    fn oldest_two_after(before: Before, all_versions: bool) -> Page {
        let window = Window {
            before,
            ..Window::default()
        };
        cut(window, Sort::Oldest, 2, all_versions)
    }

    /// The page before starts after the match at `rank`, oldest first.
    fn after_place(rank: u64) -> Previous {
        Previous::After(Cursor {
            sort: Sort::Oldest,
            place: place(rank),
        })
    }

    #[test]
    fn the_page_before_starts_where_paging_forward_put_it() {
        // Six stories came before, the first at places 0..6, copies later.
        let mut before = Before::new(true);
        for (story, rank) in [
            (1, 0),
            (2, 1),
            (1, 2),
            (3, 3),
            (4, 4),
            (2, 5),
            (5, 6),
            (6, 7),
        ] {
            before.add_story(story, place(rank));
        }
        let page = oldest_two_after(before, false);
        assert_eq!(page.shown_before, 6);
        // Pages of two: [1, 2] [3, 4] [5, 6]; the one before starts after story 4.
        assert_eq!(page.previous, Some(after_place(4)));
        // Every version: the last three of eight matches decide it.
        let mut before = Before::new(true);
        let mut other = Before::new(true);
        for rank in 0..8 {
            let half = if rank % 2 == 0 {
                &mut before
            } else {
                &mut other
            };
            half.add_match(place(rank), 2);
        }
        before.extend(other, 2);
        let page = oldest_two_after(before, true);
        assert_eq!(page.shown_before, 8);
        assert_eq!(page.previous, Some(after_place(5)));
        // Not asked for: the count still holds, the page before is unknown.
        let mut before = Before::new(false);
        for story in 1..=6 {
            before.add_story(story, place(story));
        }
        let page = oldest_two_after(before, false);
        assert_eq!((page.shown_before, page.previous), (6, None));
        // No cursor: no page before.
        let page = cut(Window::default(), Sort::Oldest, 2, false);
        assert_eq!((page.shown_before, page.previous), (0, None));
    }
}
