// `memguard protect`: MemGuard over a CSV of confidence vectors (or logits), streamed in batches.
// The columns p0..p{k-1} are replaced by the released vectors; every other column passes through
// unchanged, in its original position. The output appears only when every row succeeded.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MemGuardFormatError, MemGuardInputError } from '../../errors.js';
import { formatFloat32, parseNumberCell, quoteCsvField } from '../../data/csv/cells.js';
import { readCsvBatches } from '../../data/csv/stream.js';
import { parseCsv } from '../../data/csv/table.js';
import { readTextFile } from '../../data/files.js';
import type { CoinOptions } from '../../memguard/coin.js';
import { MemGuard, type MixingMode, type Phase1Method, type Phase1Options, type ProtectResult } from '../../memguard/memguard.js';
import type { Mlp } from '../../nn/mlp.js';
import {
  existingFile, optional, parseChoice, parseFlags, parseIntFlag, parseNumberFlag, required, usage, type CliContext, type Command,
} from '../args.js';
import { AtomicTextWriter } from '../io.js';
import { readModelFile } from '../modelFiles.js';
import { KEY_ENV, keyFromFileOrEnv } from '../key.js';
import { CliPool, threadCount } from '../parallel.js';
import { Progress } from '../progress.js';

const NAME = 'protect';

const HELP = `Usage: memguard protect --defense G.json --epsilon E --in SCORES.csv --out RELEASED.csv
                        [--key-file FILE | --seed N | --expectation] [options]

Protects every row of a CSV of confidence vectors with MemGuard: Phase I crafts noise against the
defense classifier G, Phase II releases s + r with probability p = min(E / ||r||_1, 1) (paper
mixing), so the expected L1 distortion stays <= E, the predicted label never changes and every
released row is a probability vector.

Input: a CSV with a header. Columns p0..p{k-1} are the confidence vector (k = G's input size); with
--logits they are the target model's logits. Every other column (e.g. id, member, label) passes
through unchanged, in its original position. Rows are streamed in batches, so files of any size
work. A bad row is reported with its line number, and nothing is written then.

Output: the same header and rows, with p0..p{k-1} replaced by the released probabilities.

Required:
  --defense FILE         the defense classifier g: a model file (e.g. from memguard train-defense)
                         or an ONNX model of an MLP (e.g. exported from PyTorch or Keras)
  --epsilon E            the distortion budget: E||n||_1 <= E; 0 = release every row unchanged,
                         'inf' = always add the noise
  --in FILE              the confidence vectors (CSV; gzip is detected)
  --out FILE             where to write the released vectors (must differ from --in)

The release coin (exactly one source):
  MEMGUARD_KEY=...       (environment, the default) the secret key: hex digits, or "base64:" and
                         base64; at least 16 bytes. The coin is a keyed hash (SipHash-2-4) of the
                         row, so the same query always gets the same answer.
  --key-file FILE        the key from a file: hex text, "base64:..." text, or else the raw bytes
                         (at least 16). The key is never accepted as a command-line argument.
  --seed N               a seeded random coin: reproducible experiments only (a repeated query
                         may get a different answer)
  --expectation          no coin, for evaluations: p0.. hold the noisy candidate s + r of every
                         row and a column mix_p holds Phase II's probability of releasing it; the
                         mechanism returns s + r with probability mix_p and s otherwise, so a
                         metric in expectation weights s by 1 - mix_p and s + r by mix_p
  Precedence: --key-file, --seed or --expectation when given (at most one), else MEMGUARD_KEY.

Options:
  --logits               p0.. are logits (the output is still probabilities)
  --mixing M             Phase II rule: paper (default) or exact (also cap p where E g(s+n) = 0.5)
  --method M             Phase I optimizer: logits (the paper's, default) or projected
  --search S             Phase I loop: early-stop (default; ends the c3 rounds that cannot succeed,
                         same output as literal), fast (ends them sooner: not exact, measured
                         equal attacks and distortion) or literal (the paper's loop, every
                         failing round runs all 299 steps: slower, for comparison) or
                         fixed-work (every row the same 512 passes of g: what 'memguard serve'
                         runs by default so that timing tells nothing; same output as
                         early-stop except rows still searching at pass 512)
  --query-id COLUMN      hash this column's text as the query's identity for the keyed coin
                         (default: the row's vector)
  --details              append columns noise_l1 (||r||_1 of the candidate noise, released or
                         not), mix_p (the release probability p) and noisy (1 when p0.. hold s + r)
  --batch N              rows per batch (default 4096)
  --threads N            worker threads for Phase I (default: all cores; 1 = main thread only)
  --quiet                no progress output
  -h, --help             this help

Example:
  export MEMGUARD_KEY=$(openssl rand -hex 32)
  memguard protect --defense g.json --epsilon 0.5 --in scores.csv --out released.csv
`;

const OPTIONS = {
  defense: { type: 'string' },
  epsilon: { type: 'string' },
  'key-file': { type: 'string' },
  seed: { type: 'string' },
  expectation: { type: 'boolean' },
  in: { type: 'string' },
  out: { type: 'string' },
  logits: { type: 'boolean' },
  mixing: { type: 'string' },
  method: { type: 'string' },
  search: { type: 'string' },
  'query-id': { type: 'string' },
  details: { type: 'boolean' },
  batch: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

const P_COLUMN = /^p(0|[1-9]\d*)$/;
const DETAIL_COLUMNS = ['noise_l1', 'mix_p', 'noisy'];

/** Where the vector and the query id sit in the input header, and the columns appended. */
interface Layout {
  header: string[];
  k: number;
  pAt: Int32Array;
  idAt: number;
  extra: string[];
}

export const protect: Command = {
  name: NAME,
  help: HELP,
  async run(argv, ctx) {
    const v = parseFlags(NAME, argv, OPTIONS);
    const defensePath = required(NAME, v, 'defense');
    const epsilon = parseNumberFlag(NAME, 'epsilon', required(NAME, v, 'epsilon'), { min: 0, allowInfinity: true });
    const inPath = required(NAME, v, 'in');
    const outPath = required(NAME, v, 'out');
    if (resolve(inPath) === resolve(outPath)) throw usage(NAME, '--out must differ from --in');
    const mixing = parseChoice<MixingMode>(NAME, 'mixing', optional(v, 'mixing') ?? 'paper', ['paper', 'exact']);
    const method = parseChoice<Phase1Method>(NAME, 'method', optional(v, 'method') ?? 'logits', ['logits', 'projected']);
    const searchMode = parseChoice(NAME, 'search', optional(v, 'search') ?? 'early-stop', ['early-stop', 'fast', 'literal', 'fixed-work']);
    const search: Phase1Options = searchMode === 'literal' ? { literal: true } : searchMode === 'fast' ? { mode: 'fast' }
      : searchMode === 'fixed-work' ? { fixedWork: true } : {};
    const batchSize = parseIntFlag(NAME, 'batch', optional(v, 'batch') ?? '4096', 1, 1 << 24);
    const threads = threadCount(NAME, optional(v, 'threads'));
    const coin = resolveCoin(v, ctx);
    const input = v.logits ? 'logits' : 'probabilities';
    const details = v.details === true;
    const expectation = coin.mode === 'expectation';
    const idColumn = optional(v, 'query-id');
    if (idColumn !== undefined && coin.mode !== 'key') {
      throw usage(NAME, '--query-id only matters to the keyed coin (MEMGUARD_KEY or --key-file)');
    }
    existingFile('in', inPath);
    existingFile('defense', defensePath);

    const progress = new Progress({ quiet: v.quiet === true, stream: ctx.progressStream });
    const pool = new CliPool(threads);
    pool.startFor(statSync(inPath).size);
    let g: Mlp | undefined;
    let writer: AtomicTextWriter | undefined;
    let layout: Layout | undefined;
    let rows = 0, noisyRows = 0, sumP = 0, sumL1 = 0;
    try {
      g = readDefense(defensePath);
      const guard = new MemGuard({ defenseClassifier: g, epsilon, mixing, method, coin, search });
      const k = guard.k;
      const extra = [...(details ? DETAIL_COLUMNS : []), ...(expectation && !details ? ['mix_p'] : [])];
      for await (const batch of readCsvBatches(inPath, { batchSize, source: inPath })) {
        if (!layout) {
          layout = protectLayout(batch.header, k, inPath, extra, idColumn);
          writer = await AtomicTextWriter.open(outPath);
          await writer.write(headerLine(layout));
        }
        const n = batch.rows.length;
        const data = new Float32Array(n * k);
        const { header, pAt, idAt } = layout;
        for (let i = 0; i < n; i++) {
          const fields = batch.rows[i]!;
          for (let j = 0; j < k; j++) data[i * k + j] = parseNumberCell(fields[pAt[j]!]!, batch.lines[i]!, header[pAt[j]!]!, inPath);
        }
        let queryIds: string[] | undefined;
        if (idAt >= 0) {
          queryIds = batch.rows.map((f, i) => {
            if (f[idAt]!.trim() === '') throw new MemGuardFormatError(`${inPath}: line ${batch.lines[i]}, column ${header[idAt]}: an empty query id`);
            return f[idAt]!;
          });
        }
        let result;
        try {
          result = await pool.protect(guard, data, { input, queryIds });
        } catch (err) {
          throw atLine(err, batch.lines, inPath);
        }
        const formatted = formatRows(batch.rows, layout, result, { details, expectation });
        await writer!.write(formatted.text);
        noisyRows += formatted.noisyRows;
        sumP += formatted.sumP;
        sumL1 += formatted.sumL1;
        rows += n;
        progress.update(`protect ${inPath}`, rows);
      }
      if (!layout) {
        // A header and no rows: readCsvBatches yields nothing, so take the header from the (small) file.
        layout = protectLayout(parseCsv(readTextFile(inPath), { source: inPath }).header, k, inPath, extra, idColumn);
        writer = await AtomicTextWriter.open(outPath);
        await writer.write(headerLine(layout));
      }
      await writer!.close();
    } catch (err) {
      await writer?.abort();
      throw err;
    } finally {
      progress.finish();
      await pool.close();
      g?.dispose();
    }

    const eps = epsilon === Infinity ? 'inf' : String(epsilon);
    const mean = (x: number) => (rows > 0 ? x / rows : 0).toFixed(4);
    if (expectation) {
      ctx.out(`wrote ${rows} noisy candidates with mix_p to ${outPath} (epsilon ${eps}, ${mixing} mixing): ` +
        `mean mix_p ${mean(sumP)}, expected L1 distortion ${mean(sumL1)}\n`);
    } else {
      ctx.out(`protected ${rows} rows into ${outPath} (epsilon ${eps}, ${mixing} mixing, ${coin.mode} coin): ` +
        `noise released on ${noisyRows} rows, mean L1 distortion ${mean(sumL1)}\n`);
    }
    return 0;
  },
};

/** The coin from the flags or MEMGUARD_KEY (see the help text for the precedence). */
function resolveCoin(v: Record<string, unknown>, ctx: CliContext): CoinOptions {
  const keyFile = optional(v, 'key-file'), seed = optional(v, 'seed');
  const given = [keyFile !== undefined && '--key-file', seed !== undefined && '--seed', v.expectation === true && '--expectation']
    .filter(Boolean);
  if (given.length > 1) throw usage(NAME, `${given.join(' and ')} exclude each other: the coin has one source`);
  if (seed !== undefined) return { mode: 'seed', seed: parseIntFlag(NAME, 'seed', seed, 0, 2 ** 31 - 1) };
  if (v.expectation === true) return { mode: 'expectation' };
  const key = keyFromFileOrEnv(keyFile, ctx.env, (m) => ctx.err(m + '\n'));
  if (key !== undefined) return { mode: 'key', key };
  throw usage(NAME, `the release coin needs a secret key: set ${KEY_ENV} (e.g. export ${KEY_ENV}=$(openssl rand -hex 32)) ` +
    'or give --key-file FILE; for experiments, --seed N or --expectation');
}

/** Loads the defense classifier (memguard JSON or ONNX), naming the file in format errors. */
export function readDefense(path: string): Mlp {
  return readModelFile(path, `--defense ${path}`);
}

/** Finds p0..p{k-1} (exactly k of them) and the query-id column; checks the appended names are free. */
function protectLayout(header: string[], k: number, source: string, extra: string[], idColumn: string | undefined): Layout {
  const byIndex = new Map<number, number>();
  header.forEach((name, j) => {
    const m = P_COLUMN.exec(name);
    if (m) byIndex.set(Number(m[1]), j);
  });
  if (byIndex.size === 0) throw new MemGuardFormatError(`${source}: line 1: no vector columns (expected p0..p${k - 1})`);
  if (byIndex.size !== k) {
    throw new MemGuardFormatError(`${source}: line 1: ${byIndex.size} vector columns (p0..), but the defense classifier takes k = ${k}`);
  }
  const pAt = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    const at = byIndex.get(j);
    if (at === undefined) throw new MemGuardFormatError(`${source}: line 1: column p${j} is missing (expected p0..p${k - 1})`);
    pAt[j] = at;
  }
  for (const name of extra) {
    if (header.includes(name)) {
      throw new MemGuardFormatError(`${source}: line 1: the input already has a column ${JSON.stringify(name)}, which the output adds`);
    }
  }
  let idAt = -1;
  if (idColumn !== undefined) {
    idAt = header.indexOf(idColumn);
    if (idAt < 0) throw new MemGuardFormatError(`${source}: line 1: no column ${JSON.stringify(idColumn)} (--query-id)`);
    if (P_COLUMN.test(idColumn)) throw usage(NAME, `--query-id ${idColumn} is a vector column`);
  }
  return { header, k, pAt, idAt, extra };
}

/**
 * The output lines of one batch: the input fields with p0.. replaced by the released vectors (the
 * noisy candidates with --expectation), then the appended columns; plus the batch's statistics.
 */
function formatRows(
  rows: string[][], layout: Layout, result: ProtectResult<Float32Array>, mode: { details: boolean; expectation: boolean },
): { text: string; noisyRows: number; sumP: number; sumL1: number } {
  const { k, pAt } = layout;
  const vectors = mode.expectation ? result.noisy : result.released;
  const lines: string[] = [];
  let noisyRows = 0, sumP = 0, sumL1 = 0;
  // Only the passed-through columns may need quotes: numbers never do.
  const passed = layout.header.map((_, c) => c).filter((c) => !pAt.includes(c));
  for (let i = 0; i < rows.length; i++) {
    const fields = rows[i]!.slice();
    for (const c of passed) fields[c] = quoteCsvField(fields[c]!);
    let differs = false;
    for (let j = 0; j < k; j++) {
      const x = vectors[i * k + j]!;
      if (x !== result.scores[i * k + j]) differs = true;
      fields[pAt[j]!] = formatFloat32(x);
    }
    const p = result.mixProbability[i]!, l1 = result.noiseL1[i]!;
    if (mode.details) fields.push(formatFloat32(l1), formatProbability(p), differs ? '1' : '0');
    else if (mode.expectation) fields.push(formatProbability(p));
    lines.push(fields.join(','));
    noisyRows += differs ? 1 : 0;
    sumP += p;
    // The released distortion: p ||r|| in expectation, ||r|| where the coin released the noise.
    sumL1 += mode.expectation ? p * l1 : differs ? l1 : 0;
  }
  return { text: lines.join('\n') + '\n', noisyRows, sumP, sumL1 };
}

function headerLine(layout: Layout): string {
  return [...layout.header, ...layout.extra].map(quoteCsvField).join(',') + '\n';
}

/** A probability with up to 9 significant digits. */
function formatProbability(p: number): string {
  return p === 0 || p === 1 ? String(p) : String(Number(p.toPrecision(9)));
}

/**
 * Rewrites protect's "row R (of the batch), column C" into the file's line and column name, e.g.
 * `scores.csv: line 17, column p3 is 1.5; probabilities must be in [0, 1]`.
 */
export function atLine(err: unknown, lines: ArrayLike<number>, source: string): unknown {
  if (!(err instanceof MemGuardInputError)) return err;
  const m = /^protect(?: \([^)]*\))?: row (\d+)(?:, column (\d+))?([\s\S]*)$/.exec(err.message);
  if (!m || Number(m[1]) >= lines.length) return err;
  const column = m[2] !== undefined ? `, column p${m[2]}` : '';
  const rest = m[3]!.replace(/\(pass input: 'logits' for logits\)/, '(use --logits for logits)');
  return new MemGuardInputError(`${source}: line ${lines[Number(m[1])]}${column}${rest}`);
}
