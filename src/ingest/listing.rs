//! Whether a page is a listing (a section front, a tag, author or search
//! page, a home page) rather than one story: decided from what the page
//! says of itself and from how its text is made, before any extraction.

/// JSON-LD types of pages that list stories.
pub const LISTING_TYPES: &[&str] = &[
    "CollectionPage",
    "ItemList",
    "SearchResultsPage",
    "ProfilePage",
    "WebSite",
    "AboutPage",
    "ContactPage",
];

/// What a page shows of its kind, furniture (navigation, footers) removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// Its JSON-LD describes an article.
    pub declares_article: bool,
    /// A listing type its JSON-LD gives (`CollectionPage`), when it gives
    /// no article type.
    pub declared_listing: Option<String>,
    /// `og:type` is `article`.
    pub og_article: bool,
    /// `<article>` elements: a front has one per story teaser.
    pub cards: usize,
    /// Characters of text in its blocks (paragraphs, headings, list items).
    pub text_chars: usize,
    /// Of those, characters inside links.
    pub link_chars: usize,
}

/// Most of a listing's text is its links (headlines); an article's links sit in its sentences.
const LINK_SHARE: f64 = 0.6;
/// Story teasers that make a page a front unless it says it is an article.
const CARDS: usize = 4;

/// Why the page is a listing rather than an article, or None.
pub fn listing_reason(page: &Signals) -> Option<String> {
    if page.declares_article {
        return None;
    }
    if let Some(kind) = &page.declared_listing {
        return Some(format!("the page calls itself a {kind}, a list of stories"));
    }
    if page.text_chars > 0 {
        let share = page.link_chars as f64 / page.text_chars as f64;
        if share >= LINK_SHARE {
            return Some(format!(
                "{:.0}% of its text is links: a list of stories, not one",
                share * 100.0
            ));
        }
    }
    if page.cards >= CARDS && !page.og_article {
        return Some(format!(
            "it shows {} story teasers: a section front",
            page.cards
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_that_declares_an_article_is_one() {
        let page = Signals {
            declares_article: true,
            cards: 12,
            text_chars: 100,
            link_chars: 90,
            ..Default::default()
        };
        assert_eq!(listing_reason(&page), None);
    }

    #[test]
    fn fronts_are_known_by_their_type_their_links_or_their_teasers() {
        let typed = Signals {
            declared_listing: Some("CollectionPage".into()),
            ..Default::default()
        };
        assert!(listing_reason(&typed).unwrap().contains("CollectionPage"));
        let links = Signals {
            text_chars: 1000,
            link_chars: 700,
            ..Default::default()
        };
        assert!(listing_reason(&links).unwrap().contains("70%"));
        let cards = Signals {
            cards: 6,
            text_chars: 1000,
            link_chars: 300,
            ..Default::default()
        };
        assert!(listing_reason(&cards).unwrap().contains("6 story teasers"));
        let with_og = Signals {
            og_article: true,
            ..cards
        };
        assert_eq!(listing_reason(&with_og), None);
    }

    #[test]
    fn a_story_with_links_in_its_sentences_is_an_article() {
        let story = Signals {
            text_chars: 3000,
            link_chars: 400,
            cards: 1,
            ..Default::default()
        };
        assert_eq!(listing_reason(&story), None);
    }
}
