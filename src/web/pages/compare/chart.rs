//! The comparison chart's SVG: one line per search over the shared
//! periods, each with a colour, a dash pattern, a marker and its number at
//! its end, so that the lines part in greyscale and without colour vision;
//! axes labelled with the first and last period and the top of the scale.
//! Drawn here rather than in the template: its coordinates are arithmetic,
//! and every value written into it is a number or a fixed string.

use super::{Measure, share};
use crate::research::compare::MAX_SEARCHES;
use crate::search::Comparison;
use crate::web::pages::grouped;

/// How each search is drawn: a colour (Okabe and Ito's, told apart with
/// colour blindness), a dash pattern and a marker, so that the lines part
/// in greyscale too.
pub const STYLES: [(&str, &str, Marker); MAX_SEARCHES] = [
    ("#0072b2", "", Marker::Circle),
    ("#d55e00", "8 4", Marker::Square),
    ("#009e73", "2 3", Marker::Triangle),
    ("#cc79a7", "10 3 2 3", Marker::Diamond),
    ("#b07800", "5 5", Marker::Cross),
];

#[derive(Debug, Clone, Copy)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
}

impl Marker {
    /// The SVG of this marker centred on (x, y).
    pub fn at(self, x: f64, y: f64, colour: &str) -> String {
        match self {
            Marker::Circle => {
                format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"/>"#)
            }
            Marker::Square => format!(
                r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{colour}"/>"#,
                x - 3.5,
                y - 3.5
            ),
            Marker::Triangle => format!(
                r#"<polygon points="{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{colour}"/>"#,
                y - 4.5,
                x - 4.5,
                y + 3.5,
                x + 4.5,
                y + 3.5
            ),
            Marker::Diamond => format!(
                r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" fill="{colour}"/>"#,
                y - 4.5,
                x + 4.5,
                y + 4.5,
                x - 4.5
            ),
            Marker::Cross => format!(
                r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{colour}" stroke-width="2"/>"#,
                x - 4.0,
                y - 4.0,
                x + 4.0,
                y + 4.0,
                x - 4.0,
                y + 4.0,
                x + 4.0,
                y - 4.0
            ),
        }
    }
}

/// Markers are drawn on each period up to this many periods.
const MARKED_PERIODS: usize = 60;

/// The chart's SVG: a line per search over the shared periods, its
/// number at its end, axes labelled with the first and last period and
/// the top of the scale.
pub fn chart(c: &Comparison, measure: Measure) -> String {
    const W: f64 = 640.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 28.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 28.0;
    let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let value = |series: &[u64], p: usize| match measure {
        Measure::Count => series[p] as f64,
        Measure::Share => 100.0 * share(series[p], c.all[p]),
    };
    let n = c.periods.len();
    let top = c
        .series
        .iter()
        .flat_map(|s| (0..n).map(|p| value(s, p)))
        .fold(0.0_f64, f64::max);
    let scale = if top > 0.0 { top } else { 1.0 };
    let x = |p: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * p as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h - plot_h * v / scale;
    let top_label = match measure {
        Measure::Count => grouped(top.round() as u64),
        Measure::Share => format!("{top:.2}%"),
    };
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="compare-caption" class="compare-chart">"#
    );
    svg.push_str(&format!(
        r#"<g class="axis"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/><text x="{lx}" y="{ty}" text-anchor="end">{top_label}</text><text x="{lx}" y="{b}" text-anchor="end">0</text><text x="{LEFT}" y="{xy}">{first}</text><text x="{r}" y="{xy}" text-anchor="end">{last}</text></g>"#,
        b = TOP + plot_h,
        r = LEFT + plot_w,
        lx = LEFT - 6.0,
        ty = TOP + 4.0,
        xy = H - 8.0,
        first = c.periods.first().map(String::as_str).unwrap_or_default(),
        last = c.periods.last().map(String::as_str).unwrap_or_default(),
    ));
    for (i, series) in c.series.iter().enumerate() {
        let (colour, dash, marker) = STYLES[i];
        let points: Vec<(f64, f64)> = (0..n).map(|p| (x(p), y(value(series, p)))).collect();
        let list: Vec<String> = points
            .iter()
            .map(|(px, py)| format!("{px:.1},{py:.1}"))
            .collect();
        svg.push_str(&format!(
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
            list.join(" ")
        ));
        if n <= MARKED_PERIODS {
            for (px, py) in &points {
                svg.push_str(&marker.at(*px, *py, colour));
            }
        }
        if let Some((px, py)) = points.last() {
            svg.push_str(&format!(
                r#"<text x="{:.1}" y="{:.1}" class="line-label">{}</text>"#,
                px + 6.0,
                py + 4.0,
                i + 1
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The legend's sample of line `i`: its colour, dash pattern and marker.
pub fn key(i: usize) -> String {
    let (colour, dash, marker) = STYLES[i];
    format!(
        r#"<svg width="40" height="12" viewBox="0 0 40 12" aria-hidden="true"><line x1="0" y1="6" x2="40" y2="6" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>{}</svg>"#,
        marker.at(20.0, 6.0, colour)
    )
}
