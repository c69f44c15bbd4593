// A JavaScript server that calls the library in-process, timing-safe: `search: { fixedWork: true }`
// gives every row the same Phase I work, so the time of an answer says nothing about membership
// (design §7). Without it, the default search's wall time separates members from non-members (AUC
// about 0.35 on Location). Run: MEMGUARD_KEY=<hex> node --import tsx examples/inprocess-server.ts g.json [port] [default]
// (the third argument 'default' drops fixedWork, to measure the leak).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadModel, MemGuard } from '../src/index.js';

const [modelPath, port = '0', search = 'fixed-work'] = process.argv.slice(2);
const guard = new MemGuard({
  defenseClassifier: loadModel(readFileSync(modelPath!, 'utf8')),
  epsilon: 0.5,
  coin: { mode: 'key', key: Buffer.from(process.env.MEMGUARD_KEY!, 'hex') },
  search: search === 'default' ? {} : { fixedWork: true }, // the one option that hides the timing
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { logits } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { logits: number[][] };
    const { released } = guard.protect(logits, { input: 'logits' });
    const k = guard.k;
    const rows = Array.from({ length: logits.length }, (_, r) => Array.from(released.subarray(r * k, (r + 1) * k)));
    const text = JSON.stringify({ released: rows });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
