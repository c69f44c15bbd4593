// Shared bits for the benchmark suites: the options every suite's `run` receives, a Markdown
// table printer (so a suite's output pastes straight into BENCHMARKS.md) and the machine line.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What `bench/index.ts` passes to every suite's `run`. */
export interface SuiteOptions {
  /** `--quick`: a smoke run with tiny time budgets (numbers are not meaningful). */
  quick: boolean;
}

/** The contract of a `bench/<name>.bench.ts` file: `run` prints its own table(s). */
export interface Suite {
  /** One line printed above the suite's output. */
  description?: string;
  run(options: SuiteOptions): Promise<void>;
}

/** Prints a Markdown table; columns after the first `leftColumns` are right-aligned (numbers). */
export function printTable(header: string[], rows: string[][], leftColumns = 1): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number): string => (i < leftColumns ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < leftColumns ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** `a / b` as `12.3x`. */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(1)}x`;
}

/** `a / b` as `1.23x`: for ratios near 1 (build against build). */
export function ratio2(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

/** CPU model, logical CPUs and Node version: the line to quote next to any figure. */
export function machine(): string {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: keep the placeholder
  }
  return `${cpu}, ${availableParallelism()} logical CPUs, Node ${process.version}`;
}
