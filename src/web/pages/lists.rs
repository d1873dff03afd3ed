//! Lists of articles: the home page, and the index and page of each source,
//! section, tag and author.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;

use super::{
    ArticleCard, Layout, Link, PER_PAGE, PageQuery, Pager, Params, kind_path, name_path, render,
};
use crate::archive::Archive;
use crate::store::{ArticleFilter, NameKind};
use crate::web::PageError;

/// A period's or a name's article counts, shown as a clickable calendar or list.
pub struct Calendar {
    pub caption: String,
    /// `years`, `months` or `days`: the grid's shape.
    pub kind: &'static str,
    pub cells: Vec<CalendarCell>,
}

/// One cell of a calendar; a blank one only pads the first week.
pub struct CalendarCell {
    /// What the cell shows, e.g. "May" or "16".
    pub label: String,
    /// Read by screen readers after the label, e.g. " 2022" or " May 2022".
    pub label_rest: String,
    pub href: Option<String>,
    pub count: i64,
    pub blank: bool,
}

/// Links to the neighbouring periods.
#[derive(Default)]
pub struct PeriodNav {
    pub previous: Option<Link>,
    pub next: Option<Link>,
}

/// Every page that is a list of articles.
#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub breadcrumbs: Vec<Link>,
    pub summary: String,
    pub calendar: Option<Calendar>,
    pub nav: PeriodNav,
    pub cards: Vec<ArticleCard>,
    /// Said when the list is empty.
    pub empty: String,
    /// The home page explains how to import when the archive is empty.
    pub is_home: bool,
    pub pager: Pager,
    pub feed: Option<String>,
}

impl ListPage {
    /// A page titled `title` at `path`, with no articles yet.
    pub fn new(title: String, path: &str) -> ListPage {
        ListPage {
            layout: Layout::with_query(""),
            description: format!("{title}: articles in this news archive."),
            canonical: path.to_owned(),
            empty: "No articles here yet.".to_owned(),
            title,
            breadcrumbs: Vec::new(),
            summary: String::new(),
            calendar: None,
            nav: PeriodNav::default(),
            cards: Vec::new(),
            is_home: false,
            pager: Pager::default(),
            feed: None,
        }
    }

    /// A list page of the articles `filter` selects, page `page` of them.
    pub async fn load(
        archive: &Archive,
        filter: &ArticleFilter,
        path: &str,
        page: u32,
        title: String,
    ) -> Result<ListPage, PageError> {
        let store = archive.store();
        let total = store.count(filter).await?;
        let offset = i64::from((page - 1) * PER_PAGE);
        let articles = store.list(filter, i64::from(PER_PAGE), offset).await?;
        if page > 1 && articles.is_empty() {
            return Err(PageError::not_found(format!(
                "There is no page {page} here: this list has {total} articles, {PER_PAGE} to a page."
            )));
        }
        let summary = match (total, page) {
            (0, _) => String::new(),
            (1, _) => "1 article".to_owned(),
            (n, 1) => format!("{n} articles"),
            (n, p) => format!("{n} articles · page {p}"),
        };
        Ok(ListPage {
            summary,
            cards: articles.iter().map(ArticleCard::from).collect(),
            pager: Pager::new(path, page, PER_PAGE, total),
            ..ListPage::new(title, path)
        })
    }
}

/// `/`: the latest articles, newest first.
pub async fn home(
    State(archive): State<Archive>,
    Params(q): Params<PageQuery>,
) -> Result<Html<String>, PageError> {
    let mut page = ListPage::load(
        &archive,
        &ArticleFilter::default(),
        "/",
        q.page()?,
        "Latest articles".into(),
    )
    .await?;
    page.is_home = true;
    page.description = "The latest articles in this news archive, newest first.".into();
    page.feed = Some("/feed.atom".into());
    render(&page)
}

/// The name of a kind, singular and plural.
pub fn kind_names(kind: NameKind) -> (&'static str, &'static str) {
    match kind {
        NameKind::Source => ("Source", "Sources"),
        NameKind::Section => ("Section", "Sections"),
        NameKind::Tag => ("Tag", "Tags"),
        NameKind::Author => ("Author", "Authors"),
    }
}

/// The filter selecting one name's articles.
pub fn name_filter(kind: NameKind, name: &str) -> ArticleFilter {
    let name = Some(name.to_owned());
    match kind {
        NameKind::Source => ArticleFilter {
            source: name,
            ..Default::default()
        },
        NameKind::Section => ArticleFilter {
            section: name,
            ..Default::default()
        },
        NameKind::Tag => ArticleFilter {
            tag: name,
            ..Default::default()
        },
        NameKind::Author => ArticleFilter {
            author: name,
            ..Default::default()
        },
    }
}

#[derive(Template)]
#[template(path = "names.html")]
struct NamesPage {
    layout: Layout,
    title: &'static str,
    singular: &'static str,
    names: Vec<(Link, i64)>,
}

/// `/sources`, `/sections`, `/tags`, `/authors`: every name with its article count.
pub async fn names(archive: Archive, kind: NameKind) -> Result<Html<String>, PageError> {
    let (singular, title) = kind_names(kind);
    let names = archive.store().names(kind).await?;
    render(&NamesPage {
        layout: Layout::with_query(""),
        title,
        singular,
        names: names
            .iter()
            .map(|n| (Link::to(kind, &n.name), n.count))
            .collect(),
    })
}

/// `/sources/{name}` and the like: one name's articles, newest first.
pub async fn name(
    archive: Archive,
    kind: NameKind,
    name: String,
    query: PageQuery,
) -> Result<Html<String>, PageError> {
    let (singular, plural) = kind_names(kind);
    let path = name_path(kind, &name);
    let filter = name_filter(kind, &name);
    let mut page = ListPage::load(&archive, &filter, &path, query.page()?, name.clone()).await?;
    if page.cards.is_empty() {
        return Err(PageError::not_found(format!(
            "The archive has no articles for the {} “{name}”.",
            singular.to_lowercase()
        )));
    }
    page.breadcrumbs = vec![Link {
        href: kind_path(kind).to_owned(),
        text: plural.to_owned(),
    }];
    page.description = format!(
        "Articles for the {} {name} in this news archive.",
        singular.to_lowercase()
    );
    page.feed = Some(format!("{path}/feed.atom"));
    render(&page)
}

macro_rules! name_handlers {
    ($($kind:ident: $index:ident, $one:ident;)*) => {$(
        #[doc = concat!("The index of every ", stringify!($kind), ".")]
        pub async fn $index(State(archive): State<Archive>) -> Result<Html<String>, PageError> {
            names(archive, NameKind::$kind).await
        }

        #[doc = concat!("The articles of one ", stringify!($kind), ".")]
        pub async fn $one(
            State(archive): State<Archive>,
            Path(value): Path<String>,
            Params(query): Params<PageQuery>,
        ) -> Result<Html<String>, PageError> {
            name(archive, NameKind::$kind, value, query).await
        }
    )*};
}

name_handlers! {
    Source: sources, source;
    Section: sections, section;
    Tag: tags, tag;
    Author: authors, author;
}
