// Runs the benchmark suites, one after another in this process: every bench/<name>.bench.ts, or only
// those whose <name> contains one of the command-line words. Each suite exports `run(options)` (see
// `Suite` in ./util.ts) and prints its own table.
//
//   npm run bench                    all suites (rebuilds the wasm first)
//   node --import tsx bench/index.ts gemm
//   node --import tsx bench/index.ts --quick   smoke run: tiny time budgets, numbers meaningless
import { readdirSync } from 'node:fs';
import { machine, type Suite } from './util.js';

const SUFFIX = '.bench.ts';
const dir = new URL('.', import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const words = args.filter((a) => !a.startsWith('--'));

const names = readdirSync(dir)
  .filter((f) => f.endsWith(SUFFIX))
  .map((f) => f.slice(0, -SUFFIX.length))
  .sort()
  .filter((name) => words.length === 0 || words.some((w) => name.includes(w)));

if (names.length === 0) {
  console.error(`no bench/*${SUFFIX} suite matches ${words.map((w) => `"${w}"`).join(', ')}`);
  process.exitCode = 1;
} else {
  console.log(`# memguard benchmarks (${machine()})${quick ? ' [--quick: smoke run]' : ''}`);
  for (const name of names) {
    const suite = (await import(new URL(name + SUFFIX, dir).href)) as Partial<Suite>;
    if (typeof suite.run !== 'function') throw new Error(`bench/${name}${SUFFIX} does not export run(options)`);
    console.log(`\n## ${name}${suite.description ? `: ${suite.description}` : ''}\n`);
    const start = performance.now();
    await suite.run({ quick });
    console.log(`\n(${name}: ${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
}
