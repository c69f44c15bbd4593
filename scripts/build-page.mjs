// Builds the demo page into a folder (default page-dist/): the static files of page/ plus the
// library's built ES modules (dist/, which holds the page's own modules under dist/page/) copied to
// <out>/memguard/. Needs `npm run build` first. No bundler: the browser loads the modules as they are.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PAGE_DIST = join(ROOT, 'page-dist');

/** The Content-Security-Policy the page is served and tested under (design §9's strict policy). */
export const PAGE_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";

/** Copies page/ and dist/ (JavaScript and source maps) into `out`; returns `out`. */
export function buildPage(out = PAGE_DIST) {
  const dist = join(ROOT, 'dist');
  for (const needed of ['index.js', 'page/main.js', 'page/worker.js']) {
    if (!existsSync(join(dist, needed))) throw new Error(`build-page: dist/${needed} is missing; run \`npm run build\` first`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(join(ROOT, 'page'), out, { recursive: true });
  cpSync(dist, join(out, 'memguard'), { recursive: true, filter: (src) => !src.endsWith('.d.ts') && !src.endsWith('.d.ts.map') });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`page built in ${buildPage(process.argv[2] ? resolve(process.argv[2]) : PAGE_DIST)}`);
}
