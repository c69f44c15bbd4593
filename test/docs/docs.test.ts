// The documentation's promises, checked: the CLI reference equals each command's --help; every
// relative link and anchor in the README and docs/ resolves; every `design §N` a comment or page
// cites is a section of docs/design.md; every code block parses, and blocks marked `run` (e.g.
// ```ts run) run: TypeScript against the sources, shell with `memguard` as the CLI from the sources.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { blockNames, CLI_REFERENCE, helpTexts, renderBlocks } from '../../scripts/cli-reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const markdownIn = (dir: string): string[] => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`);
const PAGES = ['README.md', 'BENCHMARKS.md', ...markdownIn('docs'), ...markdownIn('docs/benchmarks')];
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>(), out = new Set<string>();
  for (const m of stripCode(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function stripCode(markdown: string): string {
  return markdown.replace(/^( *)```[\s\S]*?^\1```$/gm, '');
}

interface Block { page: string; line: number; lang: string; run: boolean; code: string }

function codeBlocks(page: string): Block[] {
  const text = read(page), blocks: Block[] = [];
  for (const m of text.matchAll(/^( *)```([^\n]*)\n([\s\S]*?)^\1```$/gm)) {
    const [lang = '', ...flags] = m[2]!.trim().split(/\s+/);
    const code = m[3]!.replace(new RegExp(`^${m[1]}`, 'gm'), '');
    blocks.push({ page, line: text.slice(0, m.index).split('\n').length, lang, run: flags.includes('run'), code });
  }
  return blocks;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs|js|html|md|py|sh)$/.test(name) && !name.endsWith('.generated.ts')) out.push(path);
  }
  return out;
}

const docs = suite('documentation');

docs('docs/cli.md holds every command\'s --help, as the CLI prints it', async () => {
  const current = readFileSync(CLI_REFERENCE, 'utf8');
  const texts = await helpTexts();
  assert.equal(blockNames(current).sort(), [...texts.keys()].sort(), 'one help block per command (and the top level)');
  const { markdown, unknown } = renderBlocks(current, texts);
  assert.equal(unknown, []);
  assert.ok(markdown === current, 'a help block is stale: run node --import tsx scripts/cli-reference.ts');
});

docs('every relative link and anchor in the README and docs/ resolves', () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    for (const m of stripCode(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [path, hash] = target.split('#') as [string, string | undefined];
      const file = path === '' ? page : join(dirname(page), path);
      if (!existsSync(join(ROOT, file))) { broken.push(`${page}: ${target} (no file ${file})`); continue; }
      if (hash !== undefined && file.endsWith('.md') && !anchors(read(file)).has(hash)) broken.push(`${page}: ${target} (no heading #${hash} in ${file})`);
    }
  }
  assert.equal(broken, []);
});

docs('every `design §N` cited in the tree is a section of docs/design.md, and nothing cites a SPEC outside the repository', () => {
  const sections = new Set([...read('docs/design.md').matchAll(/^##+ §(\d+(?:\.\d+)?) /gm)].map((m) => m[1]!));
  assert.ok(sections.has('1') && sections.has('11'), 'docs/design.md has its numbered sections');
  const bad: string[] = [];
  for (const file of ['README.md', 'BENCHMARKS.md', ...['src', 'assembly', 'scripts', 'test', 'bench', 'stress', 'docs', 'page', 'deploy', 'clients']
    .filter((d) => existsSync(join(ROOT, d))).flatMap(sourceFiles)]) {
    if (file === 'test/docs/docs.test.ts') continue;
    const text = read(file);
    for (const m of text.matchAll(/design §(\d+(?:\.\d+)?)/g)) if (!sections.has(m[1]!)) bad.push(`${file}: design §${m[1]} is not a section`);
    if (/SPEC (§|section)/.test(text)) bad.push(`${file}: cites the SPEC, a document outside the repository`);
  }
  assert.equal(bad, []);
});

docs('every code block parses (sh, ts/js, json, python)', () => {
  const bad: string[] = [];
  for (const b of PAGES.flatMap(codeBlocks)) {
    const where = `${b.page}:${b.line} (${b.lang})`;
    if (b.lang === 'sh' || b.lang === 'bash') {
      const r = spawnSync('bash', ['-n'], { input: b.code, encoding: 'utf8' });
      if (r.status !== 0) bad.push(`${where}: ${r.stderr.trim()}`);
    } else if (['ts', 'js', 'typescript', 'javascript'].includes(b.lang)) {
      const out = ts.transpileModule(b.code, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
      for (const d of out.diagnostics ?? []) bad.push(`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    } else if (b.lang === 'json') {
      try { JSON.parse(b.code); } catch (e) { bad.push(`${where}: ${(e as Error).message}`); }
    } else if (b.lang === 'python') {
      const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: b.code, encoding: 'utf8' });
      if (r.status !== 0) bad.push(`${where}: ${r.stderr.trim().split('\n').pop()}`);
    }
  }
  assert.equal(bad, []);
});

docs('code blocks marked `run` run (TypeScript against the sources; shell with the CLI from the sources)', () => {
  const blocks = PAGES.flatMap(codeBlocks).filter((b) => b.run);
  assert.ok(blocks.length >= 3, `only ${blocks.length} runnable blocks`);
  const dir = join(ROOT, 'test', '.examples', 'docs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'memguard-docs-'));
  const entries: Record<string, string> = { memguard: 'src/index.ts', 'memguard/ndarray': 'src/ndarray.ts', 'memguard/node': 'src/node.ts', 'memguard/client': 'src/serve/client.ts' };
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href; // the cwd is outside the repository
  const failures: string[] = [];
  try {
    for (const [i, b] of blocks.entries()) {
      const where = `${b.page}:${b.line}`;
      let r;
      if (b.lang === 'ts' || b.lang === 'js') {
        const code = b.code.replace(/from '(memguard(?:\/[a-z]+)?)'/g, (whole, name: string) =>
          entries[name] ? `from '${pathToFileURL(join(ROOT, entries[name]!)).href}'` : whole);
        const file = join(dir, `${i}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        r = spawnSync(process.execPath, ['--import', tsx, file], { cwd: work, encoding: 'utf8', timeout: 120_000 });
      } else if (b.lang === 'sh') {
        const cli = `memguard() { ${JSON.stringify(process.execPath)} --import ${JSON.stringify(tsx)} ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))} "$@"; }`;
        r = spawnSync('bash', ['-euo', 'pipefail', '-c', `${cli}\n${b.code}`], { cwd: work, encoding: 'utf8', timeout: 120_000 });
      } else { failures.push(`${where}: cannot run a ${b.lang} block`); continue; }
      if (r.status !== 0) failures.push(`${where}: exit ${r.status}\n${(r.stderr || r.stdout).slice(-2000)}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  assert.equal(failures, []);
});

docs.run();
