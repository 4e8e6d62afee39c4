//! Activity charts as small inline SVG bars: no script, no image requests.

use std::fmt::Write as _;

use crate::domain::escape::{Html, esc};

/// Bars for `values` (oldest first), `width` x `height` pixels, with a title per bar;
/// `label` is the chart's text alternative.
pub fn bars(values: &[(String, i64)], width: u32, height: u32, label: &str) -> Html {
    let n = values.len().max(1) as f64;
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let bw = width as f64 / n;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    for (i, (label, v)) in values.iter().enumerate() {
        let h = (*v as f64 / max) * (height as f64 - 1.0);
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {}</title></rect>",
            i as f64 * bw,
            height as f64 - h,
            (bw - 1.0).max(0.5),
            h.max(if *v > 0 { 1.0 } else { 0.0 }),
            esc(label),
            v
        );
    }
    svg.push_str("</svg>");
    Html::trusted(svg)
}
