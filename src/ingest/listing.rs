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

/// What a page shows of its kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// Its markup says it is an article (JSON-LD article type, `og:type` article).
    pub declares_article: bool,
    /// A listing type its JSON-LD gives (`CollectionPage`).
    pub declared_listing: Option<String>,
    /// `<article>` elements outside navigation: a front has one per teaser.
    pub cards: usize,
    /// Of the main text the reader view found, the share inside links.
    pub link_share: f64,
}

/// Most of a listing's main text is its links (headlines); an article's
/// links sit in its sentences.
const LINK_SHARE: f64 = 0.5;
/// Story teasers that make a page a front unless it says it is an article.
const CARDS: usize = 8;

/// Why the page is a listing rather than an article, or None.
pub fn listing_reason(page: &Signals) -> Option<String> {
    if page.declares_article {
        return None;
    }
    if let Some(kind) = &page.declared_listing {
        return Some(format!("the page calls itself a {kind}, a list of stories"));
    }
    if page.link_share >= LINK_SHARE {
        return Some(format!(
            "{:.0}% of its main text is links: a list of stories, not one",
            page.link_share * 100.0
        ));
    }
    if page.cards >= CARDS {
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
            link_share: 0.9,
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
            link_share: 0.7,
            ..Default::default()
        };
        assert!(listing_reason(&links).unwrap().contains("70%"));
        let cards = Signals {
            cards: 9,
            link_share: 0.3,
            ..Default::default()
        };
        assert!(listing_reason(&cards).unwrap().contains("9 story teasers"));
    }

    #[test]
    fn a_story_with_links_in_its_sentences_and_a_few_teasers_is_an_article() {
        let story = Signals {
            link_share: 0.15,
            cards: 4,
            ..Default::default()
        };
        assert_eq!(listing_reason(&story), None);
    }
}
