//! The date archive: `/archive` (years), `/archive/2022` (months),
//! `/archive/2022/05` (days), `/archive/2022/05/16`, and `/archive/undated`,
//! each a calendar of counts above the period's articles.

use axum::extract::{Path, State};
use axum::response::Html;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Utc};

use super::lists::{Calendar, CalendarCell, ListPage, PeriodNav};
use super::{Link, PageQuery, Params, render};
use crate::archive::Archive;
use crate::store::ArticleFilter;
use crate::web::PageError;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn plural(count: i64) -> String {
    if count == 1 {
        "1 article".into()
    } else {
        format!("{count} articles")
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

fn missing() -> PageError {
    PageError::not_found(
        "There is no such date in the archive: use /archive/YYYY, /archive/YYYY/MM or /archive/YYYY/MM/DD.",
    )
}

fn parse_year(year: &str) -> Result<i32, PageError> {
    match year.parse::<i32>() {
        Ok(y) if year.len() == 4 && (1000..=9999).contains(&y) => Ok(y),
        _ => Err(missing()),
    }
}

fn parse_month(year: &str, month: &str) -> Result<NaiveDate, PageError> {
    let y = parse_year(year)?;
    let m: u32 = month.parse().map_err(|_| missing())?;
    if month.len() != 2 {
        return Err(missing());
    }
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(missing)
}

/// Links to the nearest days with articles before `start` and from `end` on,
/// each turned into a link to its period by `link`.
async fn neighbours(
    archive: &Archive,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    link: impl Fn(String) -> Link,
) -> Result<PeriodNav, PageError> {
    let store = archive.store();
    Ok(PeriodNav {
        previous: store.day_before(start).await?.map(&link),
        next: store.day_from(end).await?.map(&link),
    })
}

fn archive_crumb() -> Link {
    Link {
        href: "/archive".into(),
        text: "Archive".into(),
    }
}

/// `/archive`: years with counts, and the undated articles.
pub async fn index(State(archive): State<Archive>) -> Result<Html<String>, PageError> {
    let store = archive.store();
    let years = store.date_counts(4, None, None).await?;
    let undated = store
        .count(&ArticleFilter {
            undated: true,
            ..Default::default()
        })
        .await?;
    let total: i64 = years.iter().map(|y| y.count).sum::<i64>() + undated;
    let mut cells: Vec<CalendarCell> = years
        .iter()
        .map(|y| CalendarCell {
            label: y.name.clone(),
            label_rest: String::new(),
            href: Some(format!("/archive/{}", y.name)),
            count: y.count,
            blank: false,
        })
        .collect();
    if undated > 0 {
        cells.push(CalendarCell {
            label: "Date unknown".into(),
            label_rest: String::new(),
            href: Some("/archive/undated".into()),
            count: undated,
            blank: false,
        });
    }
    let page = ListPage {
        summary: if total == 0 {
            String::new()
        } else {
            plural(total)
        },
        calendar: Some(Calendar {
            caption: "Articles by year".into(),
            kind: "years",
            cells,
        }),
        empty: if total == 0 {
            "The archive has no articles yet.".into()
        } else {
            String::new()
        },
        description: "Browse the news archive by year, month and day.".into(),
        ..ListPage::new("Archive by date".into(), "/archive")
    };
    render(&page)
}

/// `/archive/undated`: articles whose publication date is unknown.
pub async fn undated(
    State(archive): State<Archive>,
    Params(q): Params<PageQuery>,
) -> Result<Html<String>, PageError> {
    let filter = ArticleFilter {
        undated: true,
        ..Default::default()
    };
    let mut page = ListPage::load(
        &archive,
        &filter,
        "/archive/undated",
        q.page()?,
        "Date unknown".into(),
    )
    .await?;
    page.breadcrumbs = vec![archive_crumb()];
    page.description = "Articles in the archive whose publication date is unknown.".into();
    page.empty = "Every article in the archive has a publication date.".into();
    render(&page)
}

/// `/archive/{year}`: the year's months with counts, and its articles.
pub async fn year(
    State(archive): State<Archive>,
    Path(year): Path<String>,
    Params(q): Params<PageQuery>,
) -> Result<Html<String>, PageError> {
    let y = parse_year(&year)?;
    let start = NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(missing)?;
    let end = NaiveDate::from_ymd_opt(y + 1, 1, 1).ok_or_else(missing)?;
    let counts = archive
        .store()
        .date_counts(7, Some(midnight(start)), Some(midnight(end)))
        .await?;
    let cells = (1..=12)
        .map(|m| {
            let key = format!("{y:04}-{m:02}");
            let count = counts.iter().find(|c| c.name == key).map_or(0, |c| c.count);
            let name = MONTHS[m - 1];
            CalendarCell {
                label: name[..3].to_owned(),
                label_rest: format!("{} {y}", &name[3..]),
                href: (count > 0).then(|| format!("/archive/{y:04}/{m:02}")),
                count,
                blank: false,
            }
        })
        .collect();
    let filter = ArticleFilter {
        from: Some(midnight(start)),
        until: Some(midnight(end)),
        ..Default::default()
    };
    let path = format!("/archive/{y:04}");
    let mut page = ListPage::load(&archive, &filter, &path, q.page()?, format!("{y}")).await?;
    page.breadcrumbs = vec![archive_crumb()];
    page.calendar = Some(Calendar {
        caption: format!("Articles by month, {y}"),
        kind: "months",
        cells,
    });
    let year_link = |day: String| Link {
        href: format!("/archive/{}", &day[..4]),
        text: day[..4].to_owned(),
    };
    page.nav = neighbours(&archive, midnight(start), midnight(end), year_link).await?;
    page.description = format!("News articles from {y} in this archive.");
    page.empty = format!("The archive has no articles from {y}.");
    render(&page)
}

/// `/archive/{year}/{month}`: the month's days with counts, and its articles.
pub async fn month(
    State(archive): State<Archive>,
    Path((year, month)): Path<(String, String)>,
    Params(q): Params<PageQuery>,
) -> Result<Html<String>, PageError> {
    let start = parse_month(&year, &month)?;
    let end = start
        .checked_add_months(Months::new(1))
        .ok_or_else(missing)?;
    let counts = archive
        .store()
        .date_counts(10, Some(midnight(start)), Some(midnight(end)))
        .await?;
    let name = format!("{} {}", MONTHS[start.month0() as usize], start.year());
    let mut cells: Vec<CalendarCell> = (0..start.weekday().num_days_from_monday())
        .map(|_| CalendarCell {
            label: String::new(),
            label_rest: String::new(),
            href: None,
            count: 0,
            blank: true,
        })
        .collect();
    let mut day = start;
    while day < end {
        let key = day.format("%Y-%m-%d").to_string();
        let count = counts.iter().find(|c| c.name == key).map_or(0, |c| c.count);
        cells.push(CalendarCell {
            label: day.day().to_string(),
            label_rest: day.format(" %B %Y").to_string(),
            href: (count > 0).then(|| format!("/archive/{}", day.format("%Y/%m/%d"))),
            count,
            blank: false,
        });
        day = day.succ_opt().ok_or_else(missing)?;
    }
    let filter = ArticleFilter {
        from: Some(midnight(start)),
        until: Some(midnight(end)),
        ..Default::default()
    };
    let path = format!("/archive/{}", start.format("%Y/%m"));
    let mut page = ListPage::load(&archive, &filter, &path, q.page()?, name.clone()).await?;
    page.breadcrumbs = vec![
        archive_crumb(),
        Link {
            href: format!("/archive/{}", start.format("%Y")),
            text: start.year().to_string(),
        },
    ];
    page.calendar = Some(Calendar {
        caption: format!("Articles by day, {name}"),
        kind: "days",
        cells,
    });
    let month_link = |day: String| {
        let label = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map(|d| d.format("%B %Y").to_string())
            .unwrap_or_else(|_| day[..7].to_owned());
        Link {
            href: format!("/archive/{}", day[..7].replace('-', "/")),
            text: label,
        }
    };
    page.nav = neighbours(&archive, midnight(start), midnight(end), month_link).await?;
    page.description = format!("News articles from {name} in this archive.");
    page.empty = format!("The archive has no articles from {name}.");
    render(&page)
}

/// `/archive/{year}/{month}/{day}`: the day's articles, with the previous and next days that have any.
pub async fn day(
    State(archive): State<Archive>,
    Path((year, month, day)): Path<(String, String, String)>,
    Params(q): Params<PageQuery>,
) -> Result<Html<String>, PageError> {
    let first = parse_month(&year, &month)?;
    let d: u32 = day.parse().map_err(|_| missing())?;
    if day.len() != 2 {
        return Err(missing());
    }
    let date = NaiveDate::from_ymd_opt(first.year(), first.month(), d).ok_or_else(missing)?;
    let start = midnight(date);
    let end = start + TimeDelta::days(1);
    let filter = ArticleFilter {
        from: Some(start),
        until: Some(end),
        ..Default::default()
    };
    let path = format!("/archive/{}", date.format("%Y/%m/%d"));
    let title = date.format("%-d %B %Y").to_string();
    let mut page = ListPage::load(&archive, &filter, &path, q.page()?, title.clone()).await?;
    page.breadcrumbs = vec![
        archive_crumb(),
        Link {
            href: format!("/archive/{}", date.format("%Y")),
            text: date.year().to_string(),
        },
        Link {
            href: format!("/archive/{}", date.format("%Y/%m")),
            text: date.format("%B").to_string(),
        },
    ];
    let link = |day: String| {
        let label = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map(|d| d.format("%-d %B %Y").to_string())
            .unwrap_or_else(|_| day.clone());
        Link {
            href: format!("/archive/{}", day.replace('-', "/")),
            text: label,
        }
    };
    page.nav = neighbours(&archive, start, end, link).await?;
    page.description = format!("News articles from {title} in this archive.");
    page.empty = format!("The archive has no articles from {title}.");
    render(&page)
}
