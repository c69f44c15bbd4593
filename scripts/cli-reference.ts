// Keeps docs/cli.md's help blocks equal to what `memguard <command> --help` prints, so the CLI
// reference cannot drift from the CLI. Each block sits between `<!-- help:NAME -->` and
// `<!-- /help -->` (NAME `memguard` for the top-level help); the prose around the blocks is
// hand-written and left alone.
//   node --import tsx scripts/cli-reference.ts          rewrites the blocks in docs/cli.md
//   node --import tsx scripts/cli-reference.ts --check  exits 1 when a block is stale or missing
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS, topHelp } from '../src/cli/main.js';

export const CLI_REFERENCE = fileURLToPath(new URL('../docs/cli.md', import.meta.url));

/** Every help text by block name: `memguard`, then each command in `memguard --help` order. */
export async function helpTexts(): Promise<Map<string, string>> {
  const texts = new Map([['memguard', topHelp()]]);
  for (const entry of COMMANDS) texts.set(entry.name, (await entry.load()).help);
  return texts;
}

const BLOCK = /<!-- help:([\w-]+) -->\n[\s\S]*?<!-- \/help -->/g;

/** The markdown with every help block replaced by the current text; lists blocks with no command. */
export function renderBlocks(markdown: string, texts: Map<string, string>): { markdown: string; unknown: string[] } {
  const unknown: string[] = [];
  const out = markdown.replace(BLOCK, (whole, name: string) => {
    const text = texts.get(name);
    if (text === undefined) { unknown.push(name); return whole; }
    return `<!-- help:${name} -->\n\`\`\`text\n${text.trimEnd()}\n\`\`\`\n<!-- /help -->`;
  });
  return { markdown: out, unknown };
}

/** The names of the help blocks a markdown text holds. */
export function blockNames(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((m) => m[1]!);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const current = readFileSync(CLI_REFERENCE, 'utf8');
  const texts = await helpTexts();
  const { markdown, unknown } = renderBlocks(current, texts);
  const missing = [...texts.keys()].filter((n) => !blockNames(current).includes(n));
  if (process.argv.includes('--check')) {
    const stale = markdown !== current;
    for (const n of missing) console.error(`docs/cli.md: no help block for "${n}"`);
    for (const n of unknown) console.error(`docs/cli.md: help block "${n}" names no command`);
    if (stale) console.error('docs/cli.md: a help block differs from the CLI; run node --import tsx scripts/cli-reference.ts');
    process.exitCode = stale || missing.length || unknown.length ? 1 : 0;
  } else {
    writeFileSync(CLI_REFERENCE, markdown);
    if (missing.length) console.error(`add a <!-- help:NAME --> block for: ${missing.join(', ')}`);
  }
}
