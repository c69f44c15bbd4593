// The source folders form layers that import downward only: no two folders of src/ import each
// other, directly or through others (a cycle between results and the report was once here).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Folder -> the folders its files import from (the top-level files of src/ are the entries, left out). */
export function folderImports(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const from = relative(SRC, file).split('/');
    if (from.length < 2) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const to = relative(SRC, normalize(join(dirname(file), m[1]!))).split('/');
      if (to.length < 2 || to[0] === from[0] || to[0] === '..') continue;
      if (!edges.has(from[0]!)) edges.set(from[0]!, new Set());
      edges.get(from[0]!)!.add(to[0]!);
    }
  }
  return edges;
}

/** Every cycle of folders, as a path a -> b -> ... -> a. */
function cycles(edges: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const visit = (node: string, path: string[]): void => {
    for (const next of edges.get(node) ?? []) {
      if (next === path[0]) found.push([...path, next].join(' -> '));
      else if (!path.includes(next) && next > path[0]!) visit(next, [...path, next]);
    }
  };
  for (const start of [...edges.keys()].sort()) visit(start, [start]);
  return found;
}

const t = suite('layers');

t('no two folders of src/ import each other, directly or around a loop', () => {
  const edges = folderImports();
  assert.ok((edges.get('report')?.size ?? 0) > 0, 'the import scan found the report layer');
  assert.equal(cycles(edges), []);
});

t('nothing outside src/reference/ imports it: the plain-JS twins are test oracles, left out of the package', () => {
  assert.equal([...folderImports()].filter(([, to]) => to.has('reference')).map(([from]) => from), []);
});

t('the cycle finder finds a cycle', () => {
  assert.equal(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]])), ['a -> b -> c -> a']);
});

t.run();
