// The API reference's promise: every public export of every entry ('memguard', 'memguard/ndarray',
// 'memguard/node', 'memguard/onnx') has a doc comment with an `@example`, and every example runs. Each example is
// run as its own module, with 'memguard...' imports pointed at the sources, from a folder inside
// the repository (so `import ndarray from 'ndarray'` resolves), with console output captured. An
// example that does not import from memguard itself uses its entry's exports by name (the
// reference lists each under its entry), so short examples need no import line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ndarrayOf } from '../../src/ndarray.js';
import { setNdarrayFactory } from '../../src/nn/matrix.js';
import { defaultEngine, setDefaultEngine } from '../../src/wasm/engine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES: Record<string, string> = {
  memguard: 'src/index.ts', 'memguard/ndarray': 'src/ndarray.ts', 'memguard/node': 'src/node.ts', 'memguard/onnx': 'src/onnx/index.ts',
};

interface Example { name: string; entry: string; code: string; exports: string[] }

/** The `@example` blocks of each export of each entry, found through the type checker. */
function collect(): { examples: Example[]; missing: string[] } {
  const program = ts.createProgram(Object.values(ENTRIES).map((f) => join(ROOT, f)), {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, skipLibCheck: true, noEmit: true,
  });
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Declaration>(), examples: Example[] = [], missing: string[] = [];
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, file))!)!;
    const exports = checker.getExportsOfModule(module).map((s) => s.name);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = (symbol.declarations ?? []).filter((d) => !seen.has(d));
      if (decls.length === 0) continue;
      decls.forEach((d) => seen.add(d));
      const blocks = decls.flatMap((d) => ts.getJSDocTags(d)).filter((t) => t.tagName.text === 'example')
        .map((t) => (typeof t.comment === 'string' ? t.comment : ts.getTextOfJSDocComment(t.comment) ?? ''));
      if (blocks.length === 0) missing.push(`${entry}: ${symbol.name}`);
      for (const code of blocks) examples.push({ name: symbol.name, entry, code, exports });
    }
  }
  return { examples, missing };
}

const { examples, missing } = collect();
const docs = suite('API reference examples');

docs('every export of every entry has a doc comment with an @example', () => {
  assert.ok(examples.length > 100, `only ${examples.length} examples found`);
  assert.equal(missing, [], `${missing.length} exports without an @example:\n${missing.join('\n')}`);
});

docs('every @example runs (imports of memguard, memguard/ndarray, memguard/node point at the sources)', async () => {
  const dir = join(ROOT, 'test', '.examples');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const failures: string[] = [];
  const log = console.log;
  try {
    for (const [i, ex] of examples.entries()) {
      const own = /^import .* from 'memguard(\/ndarray|\/node|\/onnx)?';/m.test(ex.code);
      const used = ex.exports.filter((name) => new RegExp(`\\b${name}\\b`).test(ex.code));
      const prelude = own || used.length === 0 ? '' : `import { ${used.join(', ')} } from '${ex.entry}';\n`;
      const code = (prelude + ex.code).replace(/from '(memguard(?:\/ndarray|\/node|\/onnx)?)'/g, (_, name: string) => `from '${pathToFileURL(join(ROOT, ENTRIES[name]!)).href}'`);
      const file = join(dir, `${String(i).padStart(3, '0')}-${ex.name}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      console.log = () => {};
      const engine = defaultEngine();
      try {
        await import(pathToFileURL(file).href);
      } catch (err) {
        failures.push(`${ex.entry} ${ex.name}: ${(err as Error).message}`);
      } finally {
        console.log = log;
        // Examples may change the process-wide defaults (engine, ndarray factory): restore them.
        setDefaultEngine(engine);
        setNdarrayFactory(ndarrayOf);
      }
    }
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(failures, [], failures.join('\n'));
});

docs('npm run docs (TypeDoc, validation on, warnings are errors) builds the reference without a warning', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none'], { cwd: ROOT, encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  assert.is(run.status, 0, output);
  assert.not.match(output, /\[warning\]/, output);
});

docs.run();
