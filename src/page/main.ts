// The demo page (page/index.html): loads the shipped Location data, runs MemGuard's Phase I in a
// module worker (./worker.js) with progress, then redraws every figure for the chosen distortion
// budget and mixing rule. Phase II is closed form, so each slider move only recomputes p per row.
// Drawing uses the report's SVG module; every string put into the DOM is built from numbers or
// passes through escapeXml.
import { ReleaseCoin } from '../memguard/coin.js';
import { predictedLabels } from '../attacks/confidence.js';
import { barChart, escapeXml, histogramOverlay, linePlot } from '../report/svg.js';
import type { MembershipHistogram } from '../attacks/summary.js';
import { parsePageData, type PageData } from './data.js';
import { DEMO_KEY, defenseView, epsilonGrid, sweep, topClasses, undefendedHistogram, type DefenseView, type SearchOutcome, type Sweep } from './defense.js';
import type { WorkerMessage, WorkerRequest } from './worker.js';

// Okabe-Ito colors (distinguishable with every common color-vision deficiency).
const COLOR = { member: '#D55E00', nonMember: '#0072B2', paper: '#0072B2', exact: '#009E73', original: '#9a9a9a', noisy: '#0072B2', published: '#222222' };
const GRID = epsilonGrid(1, 50);

interface Ready {
  data: PageData;
  outcome: SearchOutcome;
  /** The page offers the two recommended rules ('crossing' needs g itself and is not one of them). */
  sweeps: Record<'paper' | 'exact', Sweep>;
  before: MembershipHistogram;
  /** Rows whose live Phase I candidate matches the shipped one (its ||r||_1, to the float32 bit). */
  reproduced: number;
  build: string;
  seconds: number;
}

/** State the browser test reads (test/runtimes/demo-page.mjs), as `globalThis.memguardDemo`. */
interface DemoState {
  state: 'loading' | 'searching' | 'ready' | 'error';
  error?: string;
  ready?: Ready;
  view?: DefenseView;
  /** Per shown query: the row, its candidate s + r, p, and the keyed coin's released vector. */
  queries?: Array<{ row: number; noisy: number[]; released: number[]; p: number }>;
}
const demo: DemoState = { state: 'loading' };
(globalThis as unknown as { memguardDemo: DemoState }).memguardDemo = demo;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: #${id} is missing`);
  return el as T;
};
const fixed = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function setState(state: DemoState['state'], text: string): void {
  demo.state = state;
  document.body.dataset.state = state;
  $('status-text').textContent = text;
}

function plotInto(id: string, svg: string): void {
  // The SVG strings come from src/report/svg.ts, which escapes all text it draws.
  $(id).innerHTML = svg;
}

function histogramSvg(h: MembershipHistogram, title: string, id: string): string {
  return histogramOverlay({
    id, title, width: 460, height: 280, edges: h.members.edges,
    series: [{ name: 'members', counts: h.members.counts, color: COLOR.member }, { name: 'non-members', counts: h.nonMembers.counts, color: COLOR.nonMember }],
    x: { label: 'top-1 confidence', format: (v) => fixed(v, 1) },
    y: { label: 'fraction of rows' },
  });
}

function render(r: Ready): void {
  const epsilon = Number($<HTMLInputElement>('epsilon').value);
  const mixing = (document.querySelector<HTMLInputElement>('input[name="mixing"]:checked')?.value ?? 'paper') as 'paper' | 'exact';
  const view = defenseView(r.outcome, epsilon, mixing);
  demo.view = view;
  $('epsilon-value').textContent = fixed(epsilon, 2);
  $('attack-accuracy').textContent = fixed(view.attackAccuracy);
  $('attack-auc').textContent = fixed(view.attackAuc);
  $('distortion').textContent = fixed(view.meanDistortion);
  $('distortion-budget').textContent = fixed(epsilon, 2);
  $('mean-p').textContent = `${fixed(100 * view.meanP, 1)}%`;
  $('label-changes').textContent = String(view.labelChanges);
  const undefended = r.sweeps.paper.accuracy[0]!;
  $('attack-note').textContent = `undefended: ${fixed(undefended)}; a coin flip: 0.500`;

  plotInto('plot-after', histogramSvg(view.histogram, `Released (ε = ${fixed(epsilon, 2)}, ${mixing} rule)`, 'hist-after'));
  const mark = [{ x: [epsilon, epsilon], y: [0, 1] }];
  const published = r.data.published;
  const epsilonAxis = { label: 'distortion budget ε', min: 0, max: 1 };
  // One curve per mixing rule of a swept quantity.
  const perRule = (label: string, of: (s: Sweep) => number[], dash?: string) => (['paper', 'exact'] as const).map((m) =>
    ({ name: `${label}${m} rule`, x: r.sweeps[m].epsilons, y: of(r.sweeps[m]), color: COLOR[m], dash }));
  plotInto('plot-attack', linePlot({
    id: 'attack', title: 'NN attack against the released vectors', width: 560, height: 300,
    x: epsilonAxis, y: { label: 'accuracy / AUC (expected over the coin)', min: 0.2, max: 1 },
    series: [
      ...perRule('accuracy, ', (s) => s.accuracy),
      ...perRule('AUC, ', (s) => s.auc, '6 3'),
      ...(published.length ? [{ name: 'accuracy, paper (published)', x: published.map((p) => p.epsilon), y: published.map((p) => p.accuracy), color: COLOR.published, dash: '1 3', markers: true }] : []),
    ],
    references: mark,
  }));
  plotInto('plot-distortion', linePlot({
    id: 'distortion', title: 'Distortion spent', width: 460, height: 300,
    x: epsilonAxis, y: { label: 'mean released ‖n‖₁', min: 0, max: 1 },
    series: perRule('', (s) => s.meanDistortion),
    references: [...mark, { x: [0, 1], y: [0, 1] }],
  }));
  renderQueries(r, view);
}

function renderQueries(r: Ready, view: DefenseView): void {
  const { data, outcome } = r;
  const k = data.k;
  const coin = new ReleaseCoin({ mode: 'key', key: DEMO_KEY });
  demo.queries = [];
  data.queries.forEach((q, i) => {
    const row = q.row;
    const s = outcome.scores.subarray(row * k, (row + 1) * k), noisy = outcome.noisy.subarray(row * k, (row + 1) * k);
    const p = view.p[row]!;
    const released = coin.weight(p, { input: data.logits.subarray(row * k, (row + 1) * k) }) === 1 ? noisy : s;
    demo.queries!.push({ row, noisy: Array.from(noisy), released: Array.from(released), p });
    const label = predictedLabels(s, k)[0]!;
    const shown = topClasses(s, released, SHOWN_CLASSES);
    plotInto(`plot-query-${i}`, barChart({
      id: `query-${i}`, width: 460, height: 250,
      categories: shown.map(String),
      series: [
        { name: 'original s', values: shown.map((j) => s[j]!), color: COLOR.original },
        { name: 'released', values: shown.map((j) => released[j]!), color: COLOR.noisy },
      ],
      highlight: [shown.indexOf(label)], highlightLabel: 'label', x: { label: `class (the ${SHOWN_CLASSES} largest of ${k})` },
      y: { label: 'confidence', min: 0, max: 1 }, legend: false,
    }));
    const who = row < data.members ? 'member' : 'non-member';
    const noise = released === noisy ? 's + r: noise released' : 's: sent unchanged';
    $(`caption-query-${i}`).innerHTML =
      `<strong>Row ${row}</strong>, ${who}, true class ${data.labels[row]}, predicted ${label}. <em>${escapeXml(q.note.charAt(0).toUpperCase() + q.note.slice(1))}.</em><br>`
      + `g(s) = ${fixed(outcome.g[row]!)} → g(s + r) = ${fixed(outcome.gNoisy[row]!)}; ‖r‖₁ = ${fixed(outcome.noiseL1[row]!)}; `
      + `release probability p = ${fixed(p)}; the demo key's coin gives <strong>${noise}</strong>.`;
  });
}

/** Classes drawn per query: the ones holding the most confidence, before or after. */
const SHOWN_CLASSES = 8;

async function start(): Promise<void> {
  setState('loading', 'Loading the data…');
  const response = await fetch(new URL('../../data/location-demo.json', import.meta.url));
  if (!response.ok) throw new Error(`data/location-demo.json: HTTP ${response.status}`);
  const data = parsePageData(await response.text());
  $('data-facts').textContent = describe(data);
  const progress = $<HTMLProgressElement>('progress');
  progress.max = data.rows;

  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const request: WorkerRequest = { defenseClassifier: data.defenseClassifier, logits: data.logits.slice(), k: data.k, chunk: 50 };
  setState('searching', `Phase I: starting the engine…`);
  const result = await new Promise<Extract<WorkerMessage, { type: 'done' }>>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const m = event.data;
      if (m.type === 'progress') {
        progress.value = m.done;
        setState('searching', `Phase I in a Web Worker (${m.build} build): ${m.done.toLocaleString('en')} of ${m.total.toLocaleString('en')} queries searched`);
      } else if (m.type === 'done') resolve(m);
      else reject(new Error(m.message));
    };
    worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
    worker.postMessage(request, [request.logits.buffer]);
  });
  worker.terminate();

  const outcome: SearchOutcome = {
    k: data.k, rows: data.rows, scores: result.scores, noisy: result.noisy, noiseL1: result.noiseL1, g: result.g, gNoisy: result.gNoisy,
    isMember: data.isMember, attackOnScores: data.attackOnScores, attackOnCandidates: data.attackOnCandidates,
  };
  let reproduced = 0;
  for (let i = 0; i < data.rows; i++) reproduced += Number(Math.fround(result.noiseL1[i]!) === data.candidateNoiseL1[i]);
  const ready: Ready = {
    data, outcome, reproduced, build: result.build, seconds: result.seconds,
    sweeps: { paper: sweep(outcome, GRID, 'paper'), exact: sweep(outcome, GRID, 'exact') },
    before: undefendedHistogram(outcome),
  };
  demo.ready = ready;
  plotInto('plot-before', histogramSvg(ready.before, 'Undefended (what the model returns)', 'hist-before'));
  const steps = result.steps.reduce((a, b) => a + b, 0);
  $('phase1-facts').textContent = `Phase I ran in your browser: ${data.rows.toLocaleString('en')} queries, ${steps.toLocaleString('en')} gradient steps, `
    + `${fixed(result.seconds, 1)} s (${result.build} build). It reproduced the shipped candidates bit for bit for ${reproduced} of ${data.rows} queries`
    + (reproduced === data.rows ? '.' : ': the attack scores of the others are stale.');
  progress.value = data.rows;
  document.querySelectorAll<HTMLInputElement>('#controls input').forEach((el) => {
    el.disabled = false;
    el.addEventListener('input', () => render(ready));
  });
  render(ready);
  setState('ready', `Phase I done in ${fixed(result.seconds, 1)} s. Move the budget.`);
}

function describe(d: PageData): string {
  const p = d.provenance as { accuracies?: Record<string, number>; undefendedNnAttackAccuracy?: number };
  const a = p.accuracies ?? {};
  return `${d.rows.toLocaleString('en')} queries (${d.members} members, ${d.rows - d.members} non-members), ${d.k} classes. `
    + `Target model accuracy: ${fixed(a.targetTrain ?? NaN, 2)} on its training rows, ${fixed(a.targetTest ?? NaN, 2)} on unseen rows. `
    + `Defense classifier accuracy on its training data: ${fixed(a.defenseClassifier ?? NaN, 2)}.`;
}

start().catch((err: unknown) => {
  demo.error = err instanceof Error ? err.message : String(err);
  setState('error', `Something went wrong: ${demo.error}`);
  console.error(err);
});
