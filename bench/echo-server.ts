// The unprotected baseline of bench/serve-timing.ts: an HTTP server in its own process that takes
// /v1/protect's request and answers its shape with the rows unchanged (JSON parsed and written back,
// no MemGuard), so "added latency" is what MemGuard costs beyond HTTP and JSON. Logs
// {"event":"ready","url":...} on stderr once listening on an ephemeral loopback port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { logits?: number[][]; scores?: number[][] };
    const rows = body.logits ?? body.scores ?? [];
    const text = JSON.stringify({ released: rows, noisy: rows.map(() => 0) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
