//! SVG charts shared by the model pages: a line chart (one line per series) and a histogram.
//!
//! Geometry is computed here and drawn with SVG attributes only (the Content-Security-Policy allows
//! no inline styles); colours come from `series-N` classes so they follow the theme. Every chart has
//! a title (`<title>` and `aria-label`), labelled axes and a legend.

use yew::prelude::*;

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: AttrValue,
    pub points: Vec<(f64, f64)>,
}

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub title: AttrValue,
    pub x_label: AttrValue,
    pub y_label: AttrValue,
    pub series: Vec<Series>,
    #[prop_or(640.0)]
    pub width: f64,
    #[prop_or(300.0)]
    pub height: f64,
    /// Fixed y range; by default 0..max of the data.
    #[prop_or_default]
    pub y_max: Option<f64>,
    /// Logarithmic y axis (values ≤ 0 are clamped to the smallest positive value).
    #[prop_or_default]
    pub log_y: bool,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

const PAD_L: f64 = 56.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 40.0;

/// "Nice" tick values covering `0..=max` (1, 2, 5 × 10^k steps).
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) || !max.is_finite() || !min.is_finite() {
        return vec![min];
    }
    let raw = (max - min) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let start = (min / step).ceil() * step;
    let mut out = Vec::new();
    let mut v = start;
    while v <= max + step * 1e-9 && out.len() < 50 {
        out.push(v);
        v += step;
    }
    out
}

/// Short tick labels: 1200 → "1.2k", 0.25 → "0.25".
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[component]
pub fn LineChart(props: &LineChartProps) -> Html {
    let (w, h) = (props.width, props.height);
    let pts = props.series.iter().flat_map(|s| s.points.iter());
    let (mut x_min, mut x_max, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    let mut y_min_pos = f64::INFINITY;
    for (x, y) in pts {
        if x.is_finite() && y.is_finite() {
            x_min = x_min.min(*x);
            x_max = x_max.max(*x);
            y_max = y_max.max(*y);
            if *y > 0.0 {
                y_min_pos = y_min_pos.min(*y);
            }
        }
    }
    if !x_min.is_finite() {
        x_min = 0.0;
        x_max = 1.0;
    }
    if x_max <= x_min {
        x_max = x_min + 1.0;
    }
    let y_max = props.y_max.unwrap_or(if y_max > 0.0 { y_max * 1.05 } else { 1.0 });
    let plot_w = w - PAD_L - PAD_R;
    let plot_h = h - PAD_T - PAD_B;
    let sx = |x: f64| PAD_L + (x - x_min) / (x_max - x_min) * plot_w;
    let (log_lo, log_hi) = {
        let lo = if y_min_pos.is_finite() { y_min_pos.log10().floor() } else { 0.0 };
        (lo, y_max.max(10f64.powf(lo + 1.0)).log10().ceil())
    };
    let sy = |y: f64| {
        if props.log_y {
            let v = y.max(10f64.powf(log_lo)).log10();
            PAD_T + plot_h - (v - log_lo) / (log_hi - log_lo).max(1e-9) * plot_h
        } else {
            PAD_T + plot_h - (y / y_max).clamp(0.0, 1.0) * plot_h
        }
    };
    let y_ticks: Vec<f64> = if props.log_y {
        (log_lo as i32..=log_hi as i32).map(|e| 10f64.powi(e)).collect()
    } else {
        nice_ticks(0.0, y_max, 5)
    };
    let x_ticks = nice_ticks(x_min, x_max, 6);
    html! {
        <figure class="chart-figure" data-testid={props.testid.clone()}>
            <svg class="chart" viewBox={format!("0 0 {w} {h}")} role="img" aria-label={props.title.clone()}>
                <title>{ props.title.clone() }</title>
                { for y_ticks.iter().map(|t| { let y = sy(*t); html! {
                    <g>
                        <line class="grid" x1={PAD_L.to_string()} x2={(w - PAD_R).to_string()} y1={y.to_string()} y2={y.to_string()} stroke-dasharray="2 3" />
                        <text x={(PAD_L - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ short_number(*t) }</text>
                    </g>
                }}) }
                { for x_ticks.iter().map(|t| { let x = sx(*t); html! {
                    <text x={x.to_string()} y={(h - PAD_B + 16.0).to_string()} text-anchor="middle">{ short_number(*t) }</text>
                }}) }
                <line class="axis" x1={PAD_L.to_string()} x2={PAD_L.to_string()} y1={PAD_T.to_string()} y2={(h - PAD_B).to_string()} />
                <line class="axis" x1={PAD_L.to_string()} x2={(w - PAD_R).to_string()} y1={(h - PAD_B).to_string()} y2={(h - PAD_B).to_string()} />
                <text x={(PAD_L + plot_w / 2.0).to_string()} y={(h - 6.0).to_string()} text-anchor="middle">{ props.x_label.clone() }</text>
                <text x="12" y={(PAD_T + plot_h / 2.0).to_string()} text-anchor="middle"
                      transform={format!("rotate(-90 12 {})", PAD_T + plot_h / 2.0)}>{ props.y_label.clone() }</text>
                { for props.series.iter().enumerate().map(|(i, s)| {
                    let d: String = s.points.iter().filter(|(x, y)| x.is_finite() && y.is_finite()).enumerate()
                        .map(|(j, (x, y))| format!("{}{:.1},{:.1}", if j == 0 { "M" } else { " L" }, sx(*x), sy(*y)))
                        .collect();
                    html! { <path class={classes!("line", format!("series-{}", i % 6))} d={d}><title>{ s.name.clone() }</title></path> }
                }) }
            </svg>
            <Legend names={props.series.iter().map(|s| s.name.clone()).collect::<Vec<_>>()} />
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    pub names: Vec<AttrValue>,
}

#[component]
pub fn Legend(props: &LegendProps) -> Html {
    html! {
        <ul class="legend">
            { for props.names.iter().enumerate().map(|(i, n)| html! {
                <li>
                    <svg viewBox="0 0 14 4" aria-hidden="true"><rect class={format!("series-{}", i % 6)} width="14" height="4" /></svg>
                    { n.clone() }
                </li>
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct HistogramProps {
    pub title: AttrValue,
    pub x_label: AttrValue,
    pub y_label: AttrValue,
    /// Bucket start (x) and count (y); buckets are `bucket_width` wide.
    pub buckets: Vec<(f64, f64)>,
    pub bucket_width: f64,
    #[prop_or(0)]
    pub series_index: usize,
    #[prop_or(640.0)]
    pub width: f64,
    #[prop_or(200.0)]
    pub height: f64,
    /// Shared y maximum so several histograms compare at a glance.
    #[prop_or_default]
    pub y_max: Option<f64>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

#[component]
pub fn Histogram(props: &HistogramProps) -> Html {
    let (w, h) = (props.width, props.height);
    let x_min = props.buckets.iter().map(|b| b.0).fold(f64::INFINITY, f64::min);
    let x_min = if x_min.is_finite() { x_min } else { 0.0 };
    let x_max =
        props.buckets.iter().map(|b| b.0 + props.bucket_width).fold(x_min + props.bucket_width.max(1e-9), f64::max);
    let y_max = props.y_max.unwrap_or_else(|| props.buckets.iter().map(|b| b.1).fold(0.0, f64::max)).max(1.0);
    let plot_w = w - PAD_L - PAD_R;
    let plot_h = h - PAD_T - PAD_B;
    let sx = |x: f64| PAD_L + (x - x_min) / (x_max - x_min) * plot_w;
    let sy = |y: f64| PAD_T + plot_h - (y / y_max).clamp(0.0, 1.0) * plot_h;
    let bar_w = (plot_w * props.bucket_width / (x_max - x_min)).max(1.0);
    html! {
        <figure class="chart-figure" data-testid={props.testid.clone()}>
            <svg class="chart" viewBox={format!("0 0 {w} {h}")} role="img" aria-label={props.title.clone()}>
                <title>{ props.title.clone() }</title>
                { for nice_ticks(0.0, y_max, 4).iter().map(|t| { let y = sy(*t); html! {
                    <g>
                        <line class="grid" x1={PAD_L.to_string()} x2={(w - PAD_R).to_string()} y1={y.to_string()} y2={y.to_string()} stroke-dasharray="2 3" />
                        <text x={(PAD_L - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ short_number(*t) }</text>
                    </g>
                }}) }
                { for nice_ticks(x_min, x_max, 6).iter().map(|t| html! {
                    <text x={sx(*t).to_string()} y={(h - PAD_B + 16.0).to_string()} text-anchor="middle">{ short_number(*t) }</text>
                }) }
                { for props.buckets.iter().filter(|b| b.1 > 0.0).map(|(x, y)| html! {
                    <rect class={format!("series-{}", props.series_index % 6)} x={format!("{:.1}", sx(*x))} y={format!("{:.1}", sy(*y))}
                          width={format!("{:.1}", (bar_w - 0.5).max(0.5))} height={format!("{:.1}", (PAD_T + plot_h - sy(*y)).max(0.0))} />
                }) }
                <line class="axis" x1={PAD_L.to_string()} x2={(w - PAD_R).to_string()} y1={(h - PAD_B).to_string()} y2={(h - PAD_B).to_string()} />
                <text x={(PAD_L + plot_w / 2.0).to_string()} y={(h - 6.0).to_string()} text-anchor="middle">{ props.x_label.clone() }</text>
                <text x="12" y={(PAD_T + plot_h / 2.0).to_string()} text-anchor="middle"
                      transform={format!("rotate(-90 12 {})", PAD_T + plot_h / 2.0)}>{ props.y_label.clone() }</text>
            </svg>
        </figure>
    }
}

/// An arrowhead `<marker>` for SVG `<defs>` (referenced as `marker-end="url(#id)"`), its colour set
/// by `class` on the head's path.
pub fn arrow_marker(id: &'static str, class: &'static str) -> Html {
    html! {
        <marker {id} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path {class} d="M0,0 L10,5 L0,10 z" />
        </marker>
    }
}
