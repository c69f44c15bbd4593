// Runs the given Node arguments under Node 22 from the shared runtimes cache (installed there on
// first use, like the runtime matrix does), for what Node 20 cannot run: the relaxed-SIMD build
// (`npm run test:relaxed`, `npm run bench:relaxed`).
//   node scripts/node22.mjs --import tsx test/run.ts relaxed
import { spawnSync } from 'node:child_process';
import { ensureRuntime, RUNTIMES } from './test-runtimes.mjs';

const node = await ensureRuntime(RUNTIMES.node22);
const { status, signal } = spawnSync(node, process.argv.slice(2), { stdio: 'inherit' });
process.exitCode = status ?? (signal ? 1 : 0);
