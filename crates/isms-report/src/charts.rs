//! The charts, drawn as inline SVG with plotters' SVG backend (no font
//! files: the backend writes `<text>` elements that the browser lays out).
//! Each chart carries its title, axis labels with units, and a text
//! alternative (`<title>`, `<desc>`, `role="img"`). Series are told apart
//! by shape and fill (solid, outlined, line with markers, dashed and dotted
//! lines) and by direct labels, never by colour alone.

use std::error::Error;
use std::fmt::Write as _;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::error::ReportError;
use crate::escape::escape_html;
use crate::series::{AgeingBar, BacklogPoint, ParetoBar, PointCount, RatePoint, ThemeCount};
use isms_core::IanaTimeZone;

/// A drawn chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// A stable identifier (`backlog-trend`), also the HTML id.
    pub id: &'static str,
    /// The title.
    pub title: String,
    /// The text alternative: what the chart shows, in one or two sentences.
    pub description: String,
    /// The `<svg>` element, with `<title>`, `<desc>` and `role="img"`.
    pub svg: String,
}

type DrawResult = Result<(), Box<dyn Error + 'static>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

const WIDTH: u32 = 760;
const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const DARK: RGBColor = RGBColor(0x1f, 0x4e, 0x79);
const LIGHT: RGBColor = RGBColor(0xbd, 0xd7, 0xee);
const GREY: RGBColor = RGBColor(0x88, 0x88, 0x88);
const GREEN: RGBColor = RGBColor(0x1b, 0x7f, 0x3b);
const AMBER: RGBColor = RGBColor(0xb3, 0x6b, 0x00);

fn draw(
    id: &'static str,
    title: &str,
    description: String,
    height: u32,
    f: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<Chart, ReportError> {
    let fail = |e: &dyn std::fmt::Display| ReportError::Chart {
        chart: id,
        message: e.to_string(),
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let root = root
            .titled(title, (FONT, 20).into_font().style(FontStyle::Bold))
            .map_err(|e| fail(&e))?;
        f(&root).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Chart {
        id,
        title: title.to_owned(),
        svg: accessible(&buf, id, title, &description, height),
        description,
    })
}

/// Makes plotters' `<svg>` scale with the page and carry its text
/// alternative: `role="img"`, `aria-labelledby` its `<title>` and `<desc>`.
fn accessible(svg: &str, id: &str, title: &str, description: &str, height: u32) -> String {
    let fixed = format!("<svg width=\"{WIDTH}\" height=\"{height}\" ");
    let body = svg
        .strip_prefix(&fixed)
        .unwrap_or(svg.trim_start_matches("<svg "));
    let Some(end) = body.find('>') else {
        return svg.to_owned();
    };
    let (attrs, rest) = body.split_at(end);
    let mut out = String::with_capacity(svg.len() + 256 + description.len());
    let _ = write!(
        out,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" {attrs}>\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape_html(title),
        escape_html(description),
    );
    out.push_str(&rest[1..]);
    out
}

/// A categorical axis: `n` slots centred on 0, 1, ... `n - 1`, with a tick
/// on every `step`-th slot. Values between slots place side-by-side bars.
#[derive(Clone, Debug)]
struct Slots {
    n: usize,
    step: usize,
}

impl Slots {
    fn all(n: usize) -> Self {
        Self { n, step: 1 }
    }

    /// At most about twelve ticks, so month labels do not collide.
    fn months(n: usize) -> Self {
        Self {
            n,
            step: n.div_ceil(12).max(1),
        }
    }
}

impl Ranged for Slots {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let Range { start, end } = self.range();
        let frac = (value - start) / (end - start);
        let px = f64::from(limit.0) + frac * f64::from(limit.1 - limit.0);
        px.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..self.n).step_by(self.step).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.n.max(1) as f64 - 0.5
    }
}

impl ValueFormatter<f64> for Slots {
    fn format(value: &f64) -> String {
        format!("{value}")
    }
}

fn label_at(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

fn nice_max(max: u64) -> u64 {
    (max + max / 8 + 1).max(5)
}

fn percent(x: f64) -> String {
    format!("{x:.0} %")
}

/// Opened and closed per month (solid and outlined bars) and open at month
/// end (a line with markers); the months are those of `zone`, which the
/// axis names.
pub fn backlog_chart(points: &[BacklogPoint], zone: IanaTimeZone) -> Result<Chart, ReportError> {
    let title = "Backlog trend";
    let description = match (points.first(), points.last()) {
        (Some(first), Some(last)) => {
            let opened: u64 = points.iter().map(|p| p.opened).sum();
            let closed: u64 = points.iter().map(|p| p.closed).sum();
            let peak = points.iter().max_by_key(|p| p.open_at_end).unwrap_or(last);
            format!(
                "Bars and line by month from {} to {}: {opened} nonconformities opened and \
                 {closed} closed in the period; {} open at the end of {} (highest: {} at the end of {}).",
                first.month, last.month, last.open_at_end, last.month, peak.open_at_end, peak.month
            )
        }
        _ => "No months in the period.".to_owned(),
    };
    let labels: Vec<String> = points.iter().map(|p| p.month.clone()).collect();
    let ymax = nice_max(
        points
            .iter()
            .map(|p| p.opened.max(p.closed).max(p.open_at_end))
            .max()
            .unwrap_or(0),
    );
    draw("backlog-trend", title, description, 380, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(Slots::months(points.len()), 0u64..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(format!("Month ({zone})"))
            .y_desc("Nonconformities (count)")
            .x_label_formatter(&|x| label_at(&labels, *x))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(TRANSPARENT)
            .draw()?;
        chart
            .draw_series(points.iter().enumerate().map(|(i, p)| {
                let x = i as f64;
                Rectangle::new([(x - 0.4, 0), (x - 0.03, p.opened)], DARK.filled())
            }))?
            .label("Opened in month (solid)")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], DARK.filled()));
        chart
            .draw_series(points.iter().enumerate().map(|(i, p)| {
                let x = i as f64;
                Rectangle::new([(x + 0.03, 0), (x + 0.4, p.closed)], LIGHT.filled())
            }))?
            .label("Closed in month (outlined)")
            .legend(|(x, y)| {
                EmptyElement::at((x, y))
                    + Rectangle::new([(0, -6), (14, 6)], LIGHT.filled())
                    + Rectangle::new([(0, -6), (14, 6)], DARK.stroke_width(2))
            });
        chart.draw_series(points.iter().enumerate().map(|(i, p)| {
            let x = i as f64;
            Rectangle::new([(x + 0.03, 0), (x + 0.4, p.closed)], DARK.stroke_width(2))
        }))?;
        let line: Vec<(f64, u64)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i as f64, p.open_at_end))
            .collect();
        chart
            .draw_series(LineSeries::new(line.clone(), INK.stroke_width(3)))?
            .label("Open at month end (line)")
            .legend(|(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (14, 0)], INK.stroke_width(3))
                    + Circle::new((7, 0), 4, INK.filled())
            });
        chart.draw_series(line.iter().map(|p| Circle::new(*p, 4, INK.filled())))?;
        if let Some(last) = line.last() {
            chart.draw_series(std::iter::once(
                EmptyElement::at(*last)
                    + Text::new(
                        last.1.to_string(),
                        (-4, -20),
                        (FONT, 14).into_font().style(FontStyle::Bold),
                    ),
            ))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleLeft)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()?;
        Ok(())
    })
}

/// Open nonconformities by age bucket, each bar labelled with its count.
pub fn ageing_chart(bars: &[AgeingBar]) -> Result<Chart, ReportError> {
    let title = "Ageing of open nonconformities";
    let open: u64 = bars.iter().map(|b| b.count).sum();
    let parts: Vec<String> = bars
        .iter()
        .map(|b| format!("{} {}", b.label, b.count))
        .collect();
    let description = format!(
        "Bar chart of the {open} open nonconformities by age: {}.",
        parts.join(", ")
    );
    let labels: Vec<String> = bars.iter().map(|b| b.label.to_owned()).collect();
    let ymax = nice_max(bars.iter().map(|b| b.count).max().unwrap_or(0));
    draw("ageing", title, description, 320, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(Slots::all(bars.len()), 0u64..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("Age at the report date (days since reported)")
            .y_desc("Open nonconformities (count)")
            .x_label_formatter(&|x| label_at(&labels, *x))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(TRANSPARENT)
            .draw()?;
        // Older is darker; the labels carry the meaning.
        let shades = [
            LIGHT,
            RGBColor(0x7f, 0xa7, 0xcc),
            RGBColor(0x3f, 0x72, 0xa3),
            DARK,
        ];
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let x = i as f64;
            let shade = shades.get(i).copied().unwrap_or(DARK);
            Rectangle::new([(x - 0.35, 0), (x + 0.35, b.count)], shade.filled())
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            let x = i as f64;
            Rectangle::new([(x - 0.35, 0), (x + 0.35, b.count)], DARK.stroke_width(1))
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            EmptyElement::at((i as f64, b.count))
                + Text::new(
                    b.count.to_string(),
                    (-6, -20),
                    (FONT, 14).into_font().style(FontStyle::Bold),
                )
        }))?;
        Ok(())
    })
}

/// Root causes by category (bars, descending) with the cumulative share
/// (a line with markers and percentage labels, on the right-hand axis).
pub fn pareto_chart(bars: &[ParetoBar]) -> Result<Chart, ReportError> {
    let title = "Root causes (Pareto)";
    let total: u64 = bars.iter().map(|b| b.count).sum();
    let description = if bars.is_empty() {
        "No root causes were recorded in the period.".to_owned()
    } else {
        let parts: Vec<String> = bars
            .iter()
            .map(|b| {
                format!(
                    "{} {} (cumulative {:.0} %)",
                    b.label, b.count, b.cumulative_percent
                )
            })
            .collect();
        format!(
            "Pareto chart of the {total} root causes recorded in the period, by category, most frequent first: {}.",
            parts.join(", ")
        )
    };
    let labels: Vec<String> = bars.iter().map(|b| b.label.to_owned()).collect();
    let ymax = nice_max(bars.iter().map(|b| b.count).max().unwrap_or(0));
    draw("root-cause-pareto", title, description, 360, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(Slots::all(bars.len()), 0u64..ymax)?
            .set_secondary_coord(Slots::all(bars.len()), 0f64..110f64);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("Root-cause category")
            .y_desc("Root causes (count)")
            .x_label_formatter(&|x| label_at(&labels, *x))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(TRANSPARENT)
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc("Cumulative share (%)")
            .y_labels(6)
            .y_label_formatter(&|y| {
                if *y > 100.0 {
                    String::new()
                } else {
                    percent(*y)
                }
            })
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let x = i as f64;
                Rectangle::new([(x - 0.35, 0), (x + 0.35, b.count)], DARK.filled())
            }))?
            .label("Root causes in category (bars)")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], DARK.filled()));
        chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
            EmptyElement::at((i as f64, b.count))
                + Text::new(b.count.to_string(), (-6, -20), (FONT, 13))
        }))?;
        let line: Vec<(f64, f64)> = bars
            .iter()
            .enumerate()
            .map(|(i, b)| (i as f64, b.cumulative_percent))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(line.clone(), AMBER.stroke_width(3)))?
            .label("Cumulative share (line, right axis)")
            .legend(|(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (14, 0)], AMBER.stroke_width(3))
                    + TriangleMarker::new((7, 0), 5, AMBER.filled())
            });
        chart.draw_secondary_series(line.iter().map(|p| {
            EmptyElement::at(*p)
                + TriangleMarker::new((0, 0), 5, AMBER.filled())
                + Text::new(percent(p.1), (6, 6), (FONT, 12))
        }))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .draw()?;
        Ok(())
    })
}

/// A rate at each month end against its green and amber thresholds (a
/// dashed and a dotted line, each labelled). Months without data leave a
/// gap in the line. The month ends are those of `zone`, which the axis
/// names.
pub fn rate_chart(
    id: &'static str,
    title: &str,
    points: &[RatePoint],
    target: Option<isms_kpi::Target>,
    trend_window_days: u32,
    zone: IanaTimeZone,
) -> Result<Chart, ReportError> {
    let with_data: Vec<&RatePoint> = points.iter().filter(|p| p.percent.is_some()).collect();
    let mut description = format!(
        "Line chart of the rate at each month end over the trailing {trend_window_days} days, in percent"
    );
    if let Some(t) = target {
        let _ = write!(
            description,
            ", against a green target of {} and an amber threshold of {}",
            percent(t.green * 100.0),
            percent(t.amber * 100.0)
        );
    }
    match (with_data.first(), with_data.last()) {
        (Some(first), Some(last)) => {
            let _ = write!(
                description,
                ": {} in {} and {} in {} ({} of {}); {} of {} months without data.",
                percent(first.percent.unwrap_or(0.0)),
                first.month,
                percent(last.percent.unwrap_or(0.0)),
                last.month,
                last.numerator,
                last.denominator,
                points.len() - with_data.len(),
                points.len()
            );
        }
        _ => description.push_str(": no data in any month of the period."),
    }
    let labels: Vec<String> = points.iter().map(|p| p.month.clone()).collect();
    draw(id, title, description, 320, |root| {
        let n = points.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(Slots::months(points.len()), 0f64..105f64)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(format!("Month end ({zone})"))
            .y_desc("Rate (%)")
            .y_labels(6)
            .x_label_formatter(&|x| label_at(&labels, *x))
            .y_label_formatter(&|y| {
                if *y > 100.0 {
                    String::new()
                } else {
                    percent(*y)
                }
            })
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(TRANSPARENT)
            .draw()?;
        if let Some(t) = target {
            for (value, colour, dash, gap, name) in [
                (t.green * 100.0, GREEN, 10, 6, "green target"),
                (t.amber * 100.0, AMBER, 3, 4, "amber threshold"),
            ] {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(-0.5, value), (n - 0.5, value)],
                    dash,
                    gap,
                    colour.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(
                    EmptyElement::at((n - 0.5, value))
                        + Text::new(
                            format!("{name} {}", percent(value)),
                            (-150, -16),
                            (FONT, 12).into_font().color(&colour),
                        ),
                ))?;
            }
        }
        // One line per run of months with data.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut runs = Vec::new();
        for (i, p) in points.iter().enumerate() {
            match p.percent {
                Some(v) => run.push((i as f64, v)),
                None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        for r in &runs {
            chart.draw_series(LineSeries::new(r.clone(), DARK.stroke_width(3)))?;
            chart.draw_series(r.iter().map(|p| Circle::new(*p, 4, DARK.filled())))?;
        }
        if let Some(last) = runs.last().and_then(|r| r.last()) {
            chart.draw_series(std::iter::once(
                EmptyElement::at(*last)
                    + Text::new(
                        percent(last.1),
                        (-14, 10),
                        (FONT, 14).into_font().style(FontStyle::Bold),
                    ),
            ))?;
        }
        Ok(())
    })
}

/// Horizontal bars, one per label, each labelled with its count.
fn horizontal_bars(
    id: &'static str,
    title: &str,
    description: String,
    rows: &[(String, u64)],
    label_area: u32,
    x_desc: &str,
    y_desc: &str,
) -> Result<Chart, ReportError> {
    let k = rows.len();
    let height = 110 + 34 * k.max(1) as u32;
    let labels: Vec<String> = rows.iter().rev().map(|r| r.0.clone()).collect();
    let xmax = nice_max(rows.iter().map(|r| r.1).max().unwrap_or(0));
    draw(id, title, description, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0u64..xmax, Slots::all(k))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .y_label_formatter(&|y| label_at(&labels, *y))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .light_line_style(TRANSPARENT)
            .draw()?;
        // The first row at the top.
        let y_of = |i: usize| (k - 1 - i) as f64;
        chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
            let y = y_of(i);
            Rectangle::new([(0, y - 0.32), (r.1, y + 0.32)], DARK.filled())
        }))?;
        chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
            EmptyElement::at((r.1, y_of(i)))
                + Text::new(
                    r.1.to_string(),
                    (6, -7),
                    (FONT, 13).into_font().style(FontStyle::Bold),
                )
        }))?;
        Ok(())
    })
}

/// Nonconformities of the period by Annex A theme.
pub fn theme_chart(themes: &[ThemeCount]) -> Result<Chart, ReportError> {
    let parts: Vec<String> = themes
        .iter()
        .map(|t| format!("{} {}", t.label, t.count))
        .collect();
    let description = format!(
        "Bar chart of the nonconformities reported in the period by the ISO/IEC 27001:2022 Annex A theme \
         of the controls they breach (one count per theme per nonconformity): {}.",
        parts.join(", ")
    );
    let rows: Vec<(String, u64)> = themes.iter().map(|t| (t.label.clone(), t.count)).collect();
    horizontal_bars(
        "annex-a-themes",
        "Nonconformities by Annex A theme",
        description,
        &rows,
        170,
        "Nonconformities reported in the period (count)",
        "Annex A theme",
    )
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Nonconformities of the period projected onto NIS2 Article 21(2).
pub fn nis2_chart(points: &[PointCount], unmapped: u64) -> Result<Chart, ReportError> {
    let parts: Vec<String> = points
        .iter()
        .map(|p| format!("{} {}", p.point, p.count))
        .collect();
    let description = format!(
        "Bar chart of the nonconformities reported in the period whose requirements map, through the \
         catalogue's crosswalks, to each point of NIS2 Article 21(2): {}; {unmapped} map to no NIS2 provision.",
        parts.join(", ")
    );
    let rows: Vec<(String, u64)> = points
        .iter()
        .map(|p| (format!("{} {}", p.point, shorten(&p.title, 34)), p.count))
        .collect();
    horizontal_bars(
        "nis2-article-21-2",
        "Nonconformities projected onto NIS2 Article 21(2)",
        description,
        &rows,
        300,
        "Nonconformities reported in the period (count)",
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_scalable_and_carries_its_text_alternative() {
        let bars = vec![AgeingBar {
            bucket: isms_kpi::AgeBucket::Days0To30,
            label: "0-30 days",
            count: 3,
        }];
        let c = ageing_chart(&bars).unwrap();
        assert!(c.svg.starts_with("<svg class=\"chart\" role=\"img\" aria-labelledby=\"ageing-title ageing-desc\" viewBox="));
        assert!(
            c.svg
                .contains("<title id=\"ageing-title\">Ageing of open nonconformities</title>")
        );
        assert!(
            c.svg
                .contains("<desc id=\"ageing-desc\">Bar chart of the 3 open")
        );
        assert!(c.svg.contains("<rect"));
        assert!(c.svg.contains(">\n3\n</text>"), "{}", c.svg);
        assert!(c.svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn empty_series_still_draw() {
        assert!(backlog_chart(&[], IanaTimeZone::UTC).is_ok());
        assert!(pareto_chart(&[]).is_ok());
        assert!(rate_chart("r", "Rate", &[], None, 90, IanaTimeZone::UTC).is_ok());
        assert!(nis2_chart(&[], 0).is_ok());
        assert!(theme_chart(&[]).is_ok());
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdéfgh", 5), "abcd…");
    }
}
