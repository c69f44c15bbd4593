// The timing guarantee for a JavaScript server that calls the library in-process (design §7, §8.1):
// examples/inprocess-server.ts with `search: { fixedWork: true }`, measured as the `memguard serve`
// process test measures it: from this process, the paper's defense classifier (test fixture) and its
// members and non-members as 1-row requests in a seeded shuffled order, the response time as a
// membership score.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { auc } from '../../src/attacks/metrics.js';
import { Random } from '../../src/random.js';
import { KEY_HEX } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = JSON.parse(gunzipSync(readFileSync(join(ROOT, 'test/fixtures/location-phase1.json.gz'))).toString('utf8')) as
  { logits: number[][]; isMember: number[]; defense: unknown };

const t = suite('serve: in-process timing');

t('a JS server with search: { fixedWork: true }: response time carries no membership signal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memguard-inprocess-'));
  writeFileSync(join(dir, 'g.json'), JSON.stringify(fixture.defense));
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/inprocess-server.ts', join(dir, 'g.json')],
    { cwd: ROOT, env: { ...process.env, MEMGUARD_KEY: KEY_HEX }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the example server exited with ${code}`)));
    });
    // 200 rows (100 members, 100 non-members) twice each, shuffled: 400 queries; under the null the
    // AUC's standard deviation is about 0.029 (0.09 = 3 of them; the benchmark measures 2,000 rows).
    const queries = [...fixture.logits.keys(), ...fixture.logits.keys()];
    const order = new Random(3).shuffle(Int32Array.from(queries, (_, i) => i));
    const times = new Float64Array(queries.length);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (const q of order) {
      const body = JSON.stringify({ logits: [fixture.logits[queries[q]!]] });
      const t0 = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
        req.on('error', reject);
        req.end(body);
      });
      times[q] = performance.now() - t0;
      assert.is(status, 200);
    }
    agent.destroy();
    const timingAuc = auc(times, Uint8Array.from(queries, (r) => fixture.isMember[r]!));
    assert.ok(Math.abs(timingAuc - 0.5) <= 0.09, `AUC of response time as a membership score: ${timingAuc.toFixed(3)}`);
  } finally {
    child.kill('SIGTERM');
  }
});

t.run();
