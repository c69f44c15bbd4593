// A small, dependency-free SVG plotting module for the evaluation report: line plots with axes,
// ticks, legend, linear or log scales, and overlaid histograms. Output is a self-contained `<svg>`
// string (no script, no external resources); every piece of text is XML-escaped, so attack names
// or titles coming from user data cannot inject markup.

/** Escapes `& < > " '` for use in XML/HTML text and attribute values. */
export function escapeXml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;');
}

/**
 * The Okabe-Ito palette (Okabe & Ito 2008), distinguishable with every common color-vision
 * deficiency; yellow last (weak on white). Black is kept for reference lines (the floor).
 */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442'];
/** The color of reference lines that carry a meaning (e.g. the label-only floor). */
export const REFERENCE_COLOR = '#000000';

/** Color and dash pattern of the i-th series (a chart never has more series than colors). */
export function seriesStyle(i: number): { color: string; dash: string } {
  if (i >= PALETTE.length) throw new RangeError(`seriesStyle: ${i + 1} series, but only ${PALETTE.length} distinguishable colors`);
  return { color: PALETTE[i]!, dash: '' };
}

export interface AxisOptions {
  label?: string;
  /** Logarithmic (base 10) scale; values <= 0 are drawn at the axis minimum. */
  log?: boolean;
  /** Range; derived from the data when absent (linear ranges are widened to nice ticks). */
  min?: number;
  max?: number;
  /** Explicit tick positions. */
  ticks?: number[];
  /** Tick label formatter. */
  format?: (v: number) => string;
}

export interface PlotFrame {
  title?: string;
  /** Outer size in px (default 560 x 360). */
  width?: number;
  height?: number;
  /** Unique id within the page (for the clip path); derived from a counter when absent. */
  id?: string;
}

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  dash?: string;
  /** Draw a dot at each point. */
  markers?: boolean;
  /** The shape of those dots (default circle); also drawn in the legend, so curves differ by shape as well as color. */
  marker?: MarkerShape;
  /** A shaded band (e.g. a 95% interval) from `lo` to `hi` at each `x`. */
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
}

/** A line drawn behind the series; with a `name` it is also in the legend. */
export interface ReferenceLine {
  x: number[];
  y: number[];
  name?: string;
  /** Default grey; a named reference's color must differ from every series'. */
  color?: string;
  dash?: string;
}

/** Point marker shapes. */
export const MARKER_SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
export type MarkerShape = typeof MARKER_SHAPES[number];

/** One marker of `shape` centered at (x, y). */
function markerSvg(shape: MarkerShape, x: number, y: number, color: string): string {
  const c = escapeXml(color), r = 3.2;
  if (shape === 'square') return `<rect x="${r2(x - r)}" y="${r2(y - r)}" width="${r2(2 * r)}" height="${r2(2 * r)}" fill="${c}"/>`;
  if (shape === 'triangle') return `<path d="M${r2(x)} ${r2(y - r - 0.6)}L${r2(x + r + 0.4)} ${r2(y + r)}L${r2(x - r - 0.4)} ${r2(y + r)}Z" fill="${c}"/>`;
  if (shape === 'diamond') return `<path d="M${r2(x)} ${r2(y - r - 0.8)}L${r2(x + r + 0.8)} ${r2(y)}L${r2(x)} ${r2(y + r + 0.8)}L${r2(x - r - 0.8)} ${r2(y)}Z" fill="${c}"/>`;
  if (shape === 'cross') return `<path d="M${r2(x - r)} ${r2(y - r)}L${r2(x + r)} ${r2(y + r)}M${r2(x - r)} ${r2(y + r)}L${r2(x + r)} ${r2(y - r)}" stroke="${c}" stroke-width="1.8" fill="none"/>`;
  return `<circle cx="${r2(x)}" cy="${r2(y)}" r="2.6" fill="${c}"/>`;
}

export interface LinePlotOptions extends PlotFrame {
  x: AxisOptions;
  y: AxisOptions;
  series: LineSeries[];
  /** Dashed reference lines (e.g. the chance diagonal), in the legend when named. */
  references?: ReferenceLine[];
  /** Show the legend (default: when there is more than one series). */
  legend?: boolean;
  /** Put the legend under the plot (default: when its names are too long for the right side). */
  legendBelow?: boolean;
}

export interface HistogramSeries {
  name: string;
  counts: ArrayLike<number>;
  color?: string;
}

export interface HistogramOptions extends PlotFrame {
  /** Bin edges (`counts.length + 1` of them), shared by every series. */
  edges: ArrayLike<number>;
  series: HistogramSeries[];
  x?: AxisOptions;
  y?: AxisOptions;
  /** Scale each series to sum to 1 (default true), so sets of different sizes compare. */
  normalize?: boolean;
  legend?: boolean;
}

let autoId = 0;

function plotId(id: string | undefined): string {
  return (id ?? `plot${++autoId}`).replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Formats a number compactly for ticks and tables: up to 4 significant digits, no trailing zeros. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

/** About `target` evenly spaced ticks at 1/2/5 x 10^k steps covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Powers of ten within [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(min) - 1e-9); e <= Math.floor(Math.log10(max) + 1e-9); e++) out.push(10 ** e);
  return out;
}

interface Scale {
  min: number;
  max: number;
  ticks: number[];
  log: boolean;
  /** Value to fraction of the axis (0..1, may fall outside). */
  frac(v: number): number;
}

function makeScale(axis: AxisOptions, values: number[]): Scale {
  const log = axis.log ?? false;
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let min = axis.min ?? (finite.length ? Math.min(...finite) : log ? 0.1 : 0);
  let max = axis.max ?? (finite.length ? Math.max(...finite) : 1);
  // A range of a few ulps (e.g. one value computed two ways) is one value: ticks at a step below the
  // ulp would never advance.
  if (!(max - min > 1e-9 * Math.max(1, Math.abs(min), Math.abs(max)))) {
    if (log) { min /= 10; max = (max > 0 ? max : 1) * 10; } else { min -= 1; max += 1; }
  }
  let ticks: number[];
  if (log) {
    if (!(min > 0)) min = max / 1000;
    ticks = axis.ticks ?? logTicks(min, max);
    if (ticks.length < 2 && axis.ticks === undefined) ticks = [min, max];
  } else {
    if (axis.ticks === undefined && (axis.min === undefined || axis.max === undefined)) {
      // Widen a data-derived end to the next tick step, so the axis starts and ends on a tick.
      const t = niceTicks(min, max);
      const step = t.length > 1 ? t[1]! - t[0]! : 1;
      if (axis.min === undefined) min = Math.floor(min / step + 1e-9) * step;
      if (axis.max === undefined) max = Math.ceil(max / step - 1e-9) * step;
    }
    ticks = axis.ticks ?? niceTicks(min, max);
  }
  const lmin = log ? Math.log10(min) : min, lmax = log ? Math.log10(max) : max;
  return {
    min, max, ticks: ticks.filter((t) => t >= min * (1 - 1e-9) - 1e-12 && t <= max * (1 + 1e-9) + 1e-12), log,
    frac: (v) => {
      if (log) return ((v > 0 ? Math.log10(v) : lmin) - lmin) / (lmax - lmin);
      return (v - min) / (max - min);
    },
  };
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
const r2 = (v: number) => String(Math.round(v * 100) / 100);

interface Frame {
  id: string;
  width: number;
  height: number;
  left: number;
  top: number;
  pw: number;
  ph: number;
  xs: Scale;
  ys: Scale;
  px(v: number): number;
  py(v: number): number;
}

function frame(o: PlotFrame, xs: Scale, ys: Scale, legendWidth: number, legendBelow = 0): Frame {
  const width = o.width ?? 560, height = (o.height ?? 360) + legendBelow;
  const left = 58, right = 14 + legendWidth, top = o.title ? 30 : 12, bottom = 46 + legendBelow;
  const pw = Math.max(40, width - left - right), ph = Math.max(40, height - top - bottom);
  // Keep far-off coordinates finite and bounded; the clip path hides what is outside the frame.
  // The bound is wide so that lines leaving the frame keep their slope inside it.
  const clamp = (f: number) => Math.max(-50, Math.min(51, f));
  return {
    id: plotId(o.id), width, height, left, top, pw, ph, xs, ys,
    px: (v) => left + clamp(xs.frac(v)) * pw,
    py: (v) => top + ph - clamp(ys.frac(v)) * ph,
  };
}

function axesSvg(f: Frame, o: PlotFrame, xa: AxisOptions, ya: AxisOptions): string {
  const { left, top, pw, ph } = f;
  const fx = xa.format ?? formatNumber, fy = ya.format ?? formatNumber;
  let s = `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="#fff" stroke="#888"/>`;
  for (const t of f.xs.ticks) {
    const x = r2(f.px(t));
    s += `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" stroke="#eee"/>`;
    s += `<line x1="${x}" y1="${top + ph}" x2="${x}" y2="${top + ph + 4}" stroke="#888"/>`;
    s += `<text x="${x}" y="${top + ph + 16}" text-anchor="middle" font-size="11" fill="#333">${escapeXml(fx(t))}</text>`;
  }
  for (const t of f.ys.ticks) {
    const y = r2(f.py(t));
    s += `<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#eee"/>`;
    s += `<line x1="${left - 4}" y1="${y}" x2="${left}" y2="${y}" stroke="#888"/>`;
    s += `<text x="${left - 6}" y="${y}" dy="0.32em" text-anchor="end" font-size="11" fill="#333">${escapeXml(fy(t))}</text>`;
  }
  s += `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`;
  if (xa.label) s += `<text x="${r2(left + pw / 2)}" y="${top + ph + 36}" text-anchor="middle" font-size="12" fill="#222">${escapeXml(xa.label)}</text>`;
  if (ya.label) {
    const cy = r2(top + ph / 2);
    s += `<text x="14" y="${cy}" text-anchor="middle" font-size="12" fill="#222" transform="rotate(-90 14 ${cy})">${escapeXml(ya.label)}</text>`;
  }
  if (o.title) s += `<text x="${r2(f.width / 2)}" y="18" text-anchor="middle" font-size="13" font-weight="600" fill="#111">${escapeXml(o.title)}</text>`;
  return s;
}

/** Height of a legend drawn under the plot. */
const legendBelowHeight = (items: number) => 8 + 16 * items;

function legendSvg(f: Frame, items: Array<{ name: string; color: string; dash: string; fill?: boolean; marker?: MarkerShape }>, below = false): string {
  let s = '';
  const x = below ? f.left : f.left + f.pw + 12;
  items.forEach((it, i) => {
    const y = below ? f.top + f.ph + 50 + i * 16 : f.top + 8 + i * 16;
    if (it.fill) s += `<rect x="${x}" y="${y - 5}" width="18" height="10" fill="${escapeXml(it.color)}" fill-opacity="0.35" stroke="${escapeXml(it.color)}"/>`;
    else s += `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${escapeXml(it.color)}" stroke-width="2"${it.dash ? ` stroke-dasharray="${escapeXml(it.dash)}"` : ''}/>`;
    if (it.marker) s += markerSvg(it.marker, x + 9, y, it.color);
    s += `<text x="${x + 23}" y="${y}" dy="0.32em" font-size="11" fill="#222">${escapeXml(it.name)}</text>`;
  });
  return s;
}

function legendWidthFor(names: string[], show: boolean): number {
  if (!show || names.length === 0) return 0;
  return Math.min(240, 34 + 6.2 * Math.max(...names.map((n) => n.length)));
}

function open(f: Frame, o: PlotFrame): string {
  const label = o.title ? `<title>${escapeXml(o.title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" ${FONT}>${label}`
    + `<defs><clipPath id="${f.id}-clip"><rect x="${f.left}" y="${f.top}" width="${f.pw}" height="${f.ph}"/></clipPath></defs>`;
}

/** Polyline path data; non-finite points break the line. */
function pathData(f: Frame, x: ArrayLike<number>, y: ArrayLike<number>): string {
  let d = '', pen = false;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xv = x[i]!, yv = y[i]!;
    const ok = Number.isFinite(xv) && Number.isFinite(yv) && !(Number.isNaN(f.xs.frac(xv)) || Number.isNaN(f.ys.frac(yv)));
    if (!ok) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${r2(f.px(xv))} ${r2(f.py(yv))}`;
    pen = true;
  }
  return d;
}

/**
 * A line plot: one polyline per series, axes with ticks and labels, optional log scales, a legend.
 *
 * @example
 * linePlot({ title: 'ROC', x: { log: true, min: 1e-3, max: 1, label: 'FPR' }, y: { log: true, min: 1e-3, max: 1 },
 *            series: [{ name: 'nn', x: roc.fpr, y: roc.tpr }], references: [{ x: [1e-3, 1], y: [1e-3, 1] }] })
 */
export function linePlot(o: LinePlotOptions): string {
  const xsVals: number[] = [], ysVals: number[] = [];
  for (const s of o.series) {
    for (let i = 0; i < s.x.length; i++) xsVals.push(s.x[i]!);
    for (let i = 0; i < s.y.length; i++) ysVals.push(s.y[i]!);
  }
  const named = (o.references ?? []).filter((r) => r.name);
  const showLegend = o.legend ?? o.series.length + named.length > 1;
  const names = [...o.series, ...named].map((s) => s.name!);
  // A legend too wide for the right side goes under the plot, so names are never cut.
  const below = showLegend && (o.legendBelow ?? 34 + 6.2 * Math.max(0, ...names.map((n) => n.length)) > 240);
  const f = frame(o, makeScale(o.x, xsVals), makeScale(o.y, ysVals), below ? 0 : legendWidthFor(names, showLegend), below ? legendBelowHeight(names.length) : 0);
  let body = axesSvg(f, o, o.x, o.y);
  body += `<g clip-path="url(#${f.id}-clip)" fill="none">`;
  const legend: Array<{ name: string; color: string; dash: string; marker?: MarkerShape }> = [];
  const styles = o.series.map((s, i) => ({ color: s.color ?? seriesStyle(i).color, dash: s.dash ?? '' }));
  // Two lines that look the same cannot be told apart: a color may repeat only with another dash
  // pattern (the report's charts go further and never repeat a color; test/report/html.test.ts).
  const used = new Set<string>();
  for (const st of [...styles, ...named.map((r) => ({ color: r.color ?? '#999999', dash: r.dash ?? '4 4' }))]) {
    const key = `${st.color.toLowerCase()}|${st.dash}`;
    if (used.has(key)) throw new RangeError(`linePlot${o.title ? ` "${o.title}"` : ''}: color ${st.color} is used twice on one chart with the same dash pattern`);
    used.add(key);
  }
  o.series.forEach((s, i) => {
    if (!s.band) return;
    const upper = pathData(f, s.x, s.band.hi);
    const lower = pathData(f, Array.from(s.x).reverse(), Array.from(s.band.lo).reverse());
    if (upper && lower) body += `<path d="${upper}L${lower.slice(1)}Z" fill="${escapeXml(styles[i]!.color)}" fill-opacity="0.15" stroke="none"/>`;
  });
  for (const r of o.references ?? []) {
    const d = pathData(f, r.x, r.y);
    const color = r.color ?? '#999999', dash = r.dash ?? '4 4';
    if (d) body += `<path d="${d}" stroke="${escapeXml(color)}" stroke-dasharray="${escapeXml(dash)}" stroke-width="${r.name ? 1.5 : 1}"/>`;
    if (r.name) legend.push({ name: r.name, color, dash });
  }
  o.series.forEach((s, i) => {
    const { color, dash } = styles[i]!;
    legend.splice(i, 0, { name: s.name, color, dash, marker: s.markers && s.marker ? s.marker : undefined });
    const d = pathData(f, s.x, s.y);
    if (d) body += `<path d="${d}" stroke="${escapeXml(color)}" stroke-width="1.8"${dash ? ` stroke-dasharray="${escapeXml(dash)}"` : ''}><title>${escapeXml(s.name)}</title></path>`;
    if (s.markers) {
      for (let j = 0; j < Math.min(s.x.length, s.y.length); j++) {
        if (!Number.isFinite(s.x[j]!) || !Number.isFinite(s.y[j]!)) continue;
        body += markerSvg(s.marker ?? 'circle', f.px(s.x[j]!), f.py(s.y[j]!), color);
      }
    }
  });
  body += '</g>';
  if (showLegend) body += legendSvg(f, legend, below);
  return open(f, o) + body + '</svg>';
}

/**
 * Overlaid histograms sharing bin edges: each series is a translucent filled step outline, so
 * overlaps stay visible (e.g. top-1 confidence of members vs non-members).
 */
export function histogramOverlay(o: HistogramOptions): string {
  const edges = Array.from(o.edges);
  const normalize = o.normalize ?? true;
  const series = o.series.map((s) => {
    const c = Array.from(s.counts);
    const total = c.reduce((a, b) => a + b, 0);
    return { ...s, counts: normalize && total > 0 ? c.map((v) => v / total) : c };
  });
  for (const s of series) {
    if (s.counts.length !== edges.length - 1) {
      throw new RangeError(`histogramOverlay: series ${JSON.stringify(s.name)} has ${s.counts.length} counts for ${edges.length - 1} bins`);
    }
  }
  const xa: AxisOptions = { min: edges[0], max: edges[edges.length - 1], ...o.x };
  const top = Math.max(0, ...series.flatMap((s) => s.counts));
  const ya: AxisOptions = { min: 0, label: normalize ? 'fraction' : 'count', ...o.y };
  if (ya.max === undefined) {
    const t = niceTicks(0, top > 0 ? top : 1);
    ya.max = t[t.length - 1]! >= top ? t[t.length - 1]! : top;
  }
  const showLegend = o.legend ?? series.length > 1;
  const f = frame(o, makeScale(xa, edges), makeScale(ya, [0, ya.max]), legendWidthFor(series.map((s) => s.name), showLegend));
  let body = axesSvg(f, o, xa, ya);
  body += `<g clip-path="url(#${f.id}-clip)">`;
  const legend: Array<{ name: string; color: string; dash: string; fill: boolean }> = [];
  const base = r2(f.py(0));
  series.forEach((s, i) => {
    const color = s.color ?? seriesStyle(i).color;
    legend.push({ name: s.name, color, dash: '', fill: true });
    let d = `M${r2(f.px(edges[0]!))} ${base}`;
    for (let b = 0; b < s.counts.length; b++) {
      const y = r2(f.py(s.counts[b]!));
      d += `L${r2(f.px(edges[b]!))} ${y}L${r2(f.px(edges[b + 1]!))} ${y}`;
    }
    d += `L${r2(f.px(edges[edges.length - 1]!))} ${base}Z`;
    body += `<path d="${d}" fill="${escapeXml(color)}" fill-opacity="0.35" stroke="${escapeXml(color)}" stroke-width="1.2"><title>${escapeXml(s.name)}</title></path>`;
  });
  body += '</g>';
  if (showLegend) body += legendSvg(f, legend);
  return open(f, o) + body + '</svg>';
}

export interface BarSeries {
  name: string;
  /** One value per category. */
  values: ArrayLike<number>;
  color?: string;
}

export interface BarChartOptions extends PlotFrame {
  /** Category names, drawn under each group of bars. */
  categories: string[];
  series: BarSeries[];
  /** Categories to mark with a shaded band behind their bars (e.g. the predicted label). */
  highlight?: number[];
  /** Text written above each highlighted band. */
  highlightLabel?: string;
  x?: Pick<AxisOptions, 'label'>;
  y?: AxisOptions;
  legend?: boolean;
}

/**
 * Grouped bars: one group per category, one bar per series side by side (e.g. a confidence vector
 * before and after MemGuard's noise), with optional highlighted categories.
 *
 * @example
 * barChart({ categories: ['0', '1', '2'], series: [{ name: 's', values: [0.1, 0.7, 0.2] }], highlight: [1], highlightLabel: 'label' })
 */
export function barChart(o: BarChartOptions): string {
  const n = o.categories.length;
  for (const s of o.series) {
    if (s.values.length !== n) throw new RangeError(`barChart: series ${JSON.stringify(s.name)} has ${s.values.length} values for ${n} categories`);
  }
  const values = o.series.flatMap((s) => Array.from(s.values));
  const xa: AxisOptions = {
    min: 0, max: n, label: o.x?.label, ticks: o.categories.map((_, i) => i + 0.5),
    format: (v) => o.categories[Math.floor(v)] ?? '',
  };
  const ya: AxisOptions = { min: 0, ...o.y };
  const showLegend = o.legend ?? o.series.length > 1;
  const f = frame(o, makeScale(xa, [0, n]), makeScale(ya, [0, ...values]), legendWidthFor(o.series.map((s) => s.name), showLegend));
  let body = axesSvg(f, o, xa, ya);
  body += `<g clip-path="url(#${f.id}-clip)">`;
  const step = f.pw / Math.max(1, n), pad = Math.min(2, step * 0.15);
  const bw = (step - 2 * pad) / Math.max(1, o.series.length);
  for (const c of o.highlight ?? []) {
    body += `<rect x="${r2(f.px(c))}" y="${f.top}" width="${r2(step)}" height="${f.ph}" fill="#f5e6a8" fill-opacity="0.7"/>`;
  }
  const legend: Array<{ name: string; color: string; dash: string; fill: boolean }> = [];
  const base = f.py(0);
  o.series.forEach((s, i) => {
    const color = s.color ?? seriesStyle(i).color;
    legend.push({ name: s.name, color, dash: '', fill: true });
    for (let c = 0; c < n; c++) {
      const v = s.values[c]!;
      if (!Number.isFinite(v)) continue;
      const y = f.py(v);
      body += `<rect x="${r2(f.px(c) + pad + i * bw)}" y="${r2(Math.min(y, base))}" width="${r2(Math.max(0.5, bw - 0.5))}" height="${r2(Math.abs(base - y))}" fill="${escapeXml(color)}">`
        + `<title>${escapeXml(`${s.name}, ${o.categories[c]}: ${formatNumber(v)}`)}</title></rect>`;
    }
  });
  body += '</g>';
  if (o.highlightLabel) {
    for (const c of o.highlight ?? []) {
      body += `<text x="${r2(f.px(c + 0.5))}" y="${f.top - 3}" text-anchor="middle" font-size="11" font-weight="600" fill="#7a5c00">${escapeXml(o.highlightLabel)}</text>`;
    }
  }
  if (showLegend) body += legendSvg(f, legend.map((l) => ({ ...l })));
  return open(f, o) + body + '</svg>';
}
