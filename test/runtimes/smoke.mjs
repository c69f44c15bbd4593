// The runtime-matrix smoke program (npm run test:runtimes): one run through memguard's public API,
// identical in every runtime (Node, Deno, Bun, a browser page, a Web Worker). The caller passes the
// memguard module, imported its own way ('memguard' via node_modules or an import map, or a relative
// path inside a worker, where import maps do not apply).
//
// Everything is seeded and the synthetic data come from integer arithmetic only (no Math.exp/log,
// whose last bits differ between JS engines), so the released vectors must be bit-identical
// wherever the same WebAssembly build runs: that is what the hash checks.

const K = 5, FEATURES = 12, MEMBERS = 96, NON_MEMBERS = 96, EPSILON = 0.5;

/** mulberry32: integer-only, the same bits in every engine. */
function generator(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binary-feature records in K classes (a miniature of Location): class c favours features c, c+K, ... */
function records(count, seed) {
  const next = generator(seed);
  const x = new Float32Array(count * FEATURES), y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(next() * K);
    y[i] = c;
    for (let j = 0; j < FEATURES; j++) x[i * FEATURES + j] = next() < (j % K === c ? 0.7 : 0.25) ? 1 : 0;
  }
  return { x, y };
}

function argmax(v, at, k) {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[at + j] > v[at + best]) best = j;
  return best;
}

/** design §5 for one row; returns the first violated invariant, or undefined. */
function rowProblem(result, r, k, epsilon) {
  const s = result.scores, out = result.released, at = r * k;
  if (argmax(out, at, k) !== argmax(s, at, k)) return 'argmax changed';
  let sum = Math.fround(0), l1 = 0;
  for (let j = 0; j < k; j++) {
    if (!(out[at + j] >= 0)) return `entry ${j} is ${out[at + j]}`;
    sum = Math.fround(sum + out[at + j]);
    l1 += Math.abs(result.noisy[at + j] - s[at + j]);
  }
  if (Math.abs(sum - 1) > 1e-6) return `sum is ${sum}`;
  const p = result.mixProbability[r];
  if (!(p >= 0 && p <= 1)) return `mix probability ${p}`;
  if (p * l1 > epsilon * (1 + 1e-9)) return `p * ||n||_1 = ${p * l1} > epsilon ${epsilon}`;
  return undefined;
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The name of the build an engine runs (a `build` property if the engine has one, else simd/scalar). */
function buildName(engine) {
  return typeof engine.build === 'string' ? engine.build : engine.simd ? 'simd' : 'scalar';
}

/**
 * Runs the smoke program with `memguard` (the package's main module namespace) and, when given,
 * `onnx` ('memguard/onnx': g goes through toOnnx and loadOnnx and must protect bit for bit alike).
 * `build`: the WebAssembly build to compare across runtimes ('simd': SIMD and scalar are
 * bit-identical, a relaxed-SIMD build is not). Resolves to a summary; `problems` lists failures.
 */
export async function smoke(memguard, { build = 'simd', onnx } = {}) {
  const { initEngine, setDefaultEngine, Mlp, MemGuard, trainDefenseClassifier } = memguard;
  const problems = [];
  const auto = await initEngine();
  const engine = await initEngine({ build });
  setDefaultEngine(engine);

  // The target model: overfits its members, as real models do (that is the membership signal).
  const train = records(MEMBERS, 1), held = records(NON_MEMBERS, 2);
  const target = Mlp.create([FEATURES, 32, K], { seed: 7 });
  target.fit(train.x, train.y, { epochs: 60, learningRate: 0.1, batchSize: 16, seed: 3 });
  const members = target.predict(train.x), nonMembers = target.predict(held.x);
  let correct = 0;
  for (let i = 0; i < MEMBERS; i++) if (argmax(members, i * K, K) === train.y[i]) correct++;
  if (correct / MEMBERS < 0.6) problems.push(`target model: train accuracy ${correct / MEMBERS}`);

  // The defender's classifier g (small, seeded), then the keyed coin.
  const g = trainDefenseClassifier(members, nonMembers, K, { hidden: [16, 8], epochs: 40, learningRate: 0.05, batchSize: 16, seed: 5 });
  const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);
  const guard = new MemGuard({ defenseClassifier: g, epsilon: EPSILON, coin: { mode: 'key', key } });
  const batch = new Float32Array((MEMBERS + NON_MEMBERS) * K);
  batch.set(members, 0);
  batch.set(nonMembers, MEMBERS * K);
  const result = guard.protect(batch);
  const rows = result.scores.length / K;
  if (rows !== MEMBERS + NON_MEMBERS) problems.push(`protect returned ${rows} rows`);
  let noisy = 0;
  for (let r = 0; r < rows; r++) {
    const problem = rowProblem(result, r, K, EPSILON);
    if (problem) problems.push(`row ${r}: ${problem}`);
    noisy += result.noiseReleased[r];
  }
  if (noisy === 0) problems.push('no row received noise: the defense did nothing');
  const again = guard.protect(batch.slice()).released;
  if (again.some((v, i) => !Object.is(v, result.released[i]))) problems.push('the keyed coin gave a repeated batch different answers');

  const hash = await sha256Hex(new Uint8Array(result.released.buffer, result.released.byteOffset, result.released.byteLength));
  let onnxHash;
  if (onnx) {
    const bytes = onnx.toOnnx(g);
    onnxHash = (await sha256Hex(bytes)).slice(0, 16);
    const g2 = onnx.loadOnnx(bytes);
    const viaOnnx = new MemGuard({ defenseClassifier: g2, epsilon: EPSILON, coin: { mode: 'key', key } }).protect(batch).released;
    if (viaOnnx.some((v, i) => !Object.is(v, result.released[i]))) problems.push('memguard/onnx: g through toOnnx/loadOnnx released different vectors');
    g2.dispose();
  }
  for (const m of [target, g]) m.dispose();
  return { build: buildName(engine), auto: buildName(auto), rows, noisy, hash: hash.slice(0, 16), ...(onnxHash ? { onnx: onnxHash } : {}), problems };
}

/** What runs this: "node v20.x", "deno 2.x", "bun 1.x" or the browser's user agent product. */
export function runtimeName() {
  if (globalThis.Deno?.version) return `deno ${globalThis.Deno.version.deno}`;
  if (globalThis.Bun?.version) return `bun ${globalThis.Bun.version}`;
  if (globalThis.process?.versions?.node) return `node ${globalThis.process.version}`;
  const ua = globalThis.navigator?.userAgent ?? 'unknown';
  return (ua.match(/(?:Headless)?Chrome\/[\d.]+/) ?? [ua])[0];
}
