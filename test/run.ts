// Runs every test/**/*.test.ts in one process through uvu and ends with the line CI reads:
// `N passed, N failed, N skipped`. Exits non-zero when anything did not pass, including a throwing
// before/after hook (uvu itself swallows those and exits 0) or a file that fails to import.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

type Runner = () => Promise<[string | true, number, number, number]>;
const g = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: Array<Array<string | Runner>>; UVU_INDEX: number };
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const root = new URL('.', import.meta.url).pathname;
const filter = process.argv.slice(2);
const files = findTests(root).filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
let passed = 0, failed = 0, skipped = 0;

for (const file of files) {
  const name = relative(root, file);
  g.UVU_INDEX = g.UVU_QUEUE.length;
  g.UVU_QUEUE.push([name]);
  try {
    await import(pathToFileURL(file).href);
  } catch (err) {
    failed++;
    console.log(`\n  FAIL  ${name}: could not load\n${(err as Error).stack ?? err}`);
  }
}

for (const group of g.UVU_QUEUE) {
  const name = group.shift() as string;
  process.stdout.write(`\n${name}\n`);
  for (const run of group as Runner[]) {
    try {
      const [errors, ran, skip, total] = await run();
      passed += ran;
      skipped += skip;
      // A throwing before() hook leaves ran < total with no error text: count those as failed.
      failed += total - ran;
      if (typeof errors === 'string') process.stdout.write('\n' + errors + '\n');
      else if (ran < total) process.stdout.write(`\n  FAIL  ${name}: a hook threw; ${total - ran} test(s) did not run\n`);
    } catch (err) {
      failed++; // an after() hook threw
      process.stdout.write(`\n  FAIL  ${name}: after hook threw: ${(err as Error).stack ?? err}\n`);
    }
  }
}

if (passed + failed === 0) failed++, console.log('\n  FAIL  no tests ran');
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
