// `memguard serve` in this process, on an ephemeral port: answers against MemGuard.protect, every
// error status with its body, the token, the bounded queue, disconnecting clients, /metrics with a
// real Prometheus parser, the JS client and the Python client.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { formatFloat32 } from '../../src/data/csv/cells.js';
import { MemGuardClient, MemGuardServerError } from '../../src/serve/client.js';
import { call, expected, post, sampleRows, startServer, type Reply } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K = 30;

function json(r: Reply): any {
  try {
    return JSON.parse(r.text);
  } catch {
    assert.unreachable(`not JSON (status ${r.status}): ${r.text.slice(0, 200)}`);
  }
}

/** Asserts a 200 answer equals MemGuard.protect for the rows, float32 bit for bit. */
function sameAsProtect(answer: { released: number[][]; noisy: number[] }, rows: number[][], ids?: string[], what = 'answer'): void {
  const want = expected(rows, ids);
  assert.is(answer.released.length, rows.length, `${what}: rows`);
  for (let i = 0; i < rows.length; i++) {
    assert.is(answer.released[i]!.length, K, `${what}: row ${i} width`);
    for (let j = 0; j < K; j++) {
      const got = Math.fround(answer.released[i]![j]!), exp = want.released[i * K + j]!;
      if (!Object.is(got, exp)) assert.unreachable(`${what}: row ${i}, column ${j}: ${got} vs protect's ${exp}`);
    }
    assert.is(answer.noisy[i], want.noiseReleased[i], `${what}: row ${i} noisy flag`);
  }
}

function errorOf(r: Reply, status: number, code: string, row?: number): string {
  assert.is(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const body = json(r);
  assert.equal(Object.keys(body), ['error']);
  assert.is(body.error.code, code);
  assert.type(body.error.message, 'string');
  assert.ok(body.error.message.length > 10, `a message that says something: ${body.error.message}`);
  assert.is(body.error.row, row, `row of ${code}`);
  return body.error.message;
}

function metricsOf(text: string): Map<string, any> {
  return new Map((parsePrometheusTextFormat(text) as any[]).map((m) => [m.name, m]));
}

const t = suite('serve');

t('answers equal MemGuard.protect bit for bit, whatever batch the rows share', async () => {
  const { server, url } = await startServer({ threads: 2, maxBatch: 8, maxWaitMs: 5 });
  try {
    const rows = sampleRows(60);
    const sizes = [1, 3, 7, 13, 16, 20];
    const client = new MemGuardClient({ url });
    let at = 0;
    const parts = sizes.map((n, p) => {
      const part = rows.slice(at, (at += n));
      const ids = p === 2 ? part.map((_, i) => `query-${i}`) : undefined;
      return { part, ids, answer: client.protect(part, { ids }) };
    });
    let noisy = 0;
    for (const { part, ids, answer } of parts) {
      const a = await answer;
      sameAsProtect(a, part, ids, `request of ${part.length} rows`);
      noisy += a.noisy.reduce((x: number, y: number) => x + y, 0);
    }
    assert.ok(noisy > 5 && noisy < 55, `the coin went both ways (${noisy} of 60 noisy), so the comparison covers both`);
    // The body's text: each number as the shortest float32 text, as `memguard protect` writes it.
    const one = rows.slice(0, 2), want = expected(one);
    const r = await post(url, { scores: one });
    const text = `{"released":[${[0, 1].map((i) => `[${Array.from(want.released.subarray(i * K, (i + 1) * K), formatFloat32).join(',')}]`).join(',')}],` +
      `"noisy":[${want.noiseReleased[0]},${want.noiseReleased[1]}]}`;
    assert.is(r.text, text);
    // 62 rows in batches of at most 8: several shared batches.
    const m = metricsOf((await call(url, 'GET', '/metrics')).text);
    const batches = m.get('memguard_batch_rows').metrics[0];
    assert.ok(Number(batches.count) >= 8, `batches: ${batches.count}`);
    assert.is(Number(batches.buckets['8']), Number(batches.count), 'no batch above --max-batch');
    // An empty request is answered without a batch.
    assert.equal(await client.protect([]), { released: [], noisy: [] });
  } finally {
    await server.drain();
  }
});

t('every error status with its JSON body; a bad request never fails its batch-mates', async () => {
  const { server, url } = await startServer({ maxBodyBytes: 4096, maxWaitMs: 50 });
  try {
    const good = sampleRows(3);
    errorOf(await post(url, '{"scores": [[0.5,'), 400, 'bad_json');
    errorOf(await post(url, '[1, 2]'), 400, 'bad_request');
    errorOf(await post(url, { scores: [good[0], [...good[1]!.slice(0, 29), 'x']] }), 400, 'bad_request', 1);
    assert.match(errorOf(await post(url, { logits: good }), 400, 'bad_request'), /--logits/);
    assert.match(errorOf(await post(url, { scores: good, score: 1 }), 400, 'bad_request'), /unknown field "score"/);
    errorOf(await post(url, { scores: good, ids: ['a', 'b'] }), 400, 'bad_request');
    assert.match(errorOf(await post(url, { scores: good, ids: ['a', '', 'c'] }), 400, 'bad_request', 1), /ids\[1\]/);
    // 413: declared too large (nothing read), or growing past the limit without a declared length.
    assert.match(errorOf(await post(url, 'x'.repeat(5000)), 413, 'body_too_large'), /4096 bytes/);
    const early = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => { got += d.toString(); if (got.includes('\r\n\r\n')) { socket.destroy(); resolve(got); } });
      socket.on('error', reject);
      // A chunked body that has not ended: the answer comes before it does (the rest is read and dropped).
      socket.write('POST /v1/protect HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
      socket.write(`1388\r\n${'x'.repeat(5000)}\r\n`);
    });
    assert.match(early, /^HTTP\/1\.1 413 /);
    errorOf(await call(url, 'POST', '/v1/protect', JSON.stringify({ scores: good }), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    errorOf(await call(url, 'POST', '/v1/protect', JSON.stringify({ scores: good })), 415, 'unsupported_media_type');
    // 422: the row and the problem.
    const half = good[2]!.map((x) => x / 2);
    assert.match(errorOf(await post(url, { scores: [good[0], good[1], half] }), 422, 'not_confidence_vectors', 2), /row 2 sums to 0\.5/);
    const negative = good[1]!.slice(); negative[4] = -0.25;
    assert.match(errorOf(await post(url, { scores: [good[0], negative] }), 422, 'not_confidence_vectors', 1), /row 1, column 4 is -0\.25/);
    assert.match(errorOf(await post(url, { scores: [good[0], [0.5, 0.5]] }), 422, 'not_confidence_vectors', 1), /k = 30/);
    errorOf(await post(url, '{"scores": [[1e999' + ',0'.repeat(29) + ']]}'), 422, 'not_confidence_vectors', 0);
    errorOf(await call(url, 'GET', '/v2/protect'), 404, 'not_found');
    const wrongMethod = await call(url, 'GET', '/v1/protect');
    errorOf(wrongMethod, 405, 'method_not_allowed');
    assert.is(wrongMethod.headers.allow, 'POST');
    errorOf(await call(url, 'POST', '/metrics', '{}', { 'content-type': 'application/json' }), 405, 'method_not_allowed');
    // Concurrent requests in one batch window (50 ms): the bad one fails alone.
    const rows = sampleRows(5, 10);
    const [a, bad, b] = await Promise.all([post(url, { scores: rows.slice(0, 3) }), post(url, { scores: [rows[0], half] }), post(url, { scores: rows.slice(3) })]);
    errorOf(bad, 422, 'not_confidence_vectors', 1);
    sameAsProtect(json(a), rows.slice(0, 3));
    sameAsProtect(json(b), rows.slice(3));
    // The JS client turns error answers into typed errors carrying the code and the row.
    const err = await new MemGuardClient({ url }).protect([rows[0]!, half]).then(() => undefined, (e: unknown) => e);
    assert.instance(err, MemGuardServerError);
    assert.is((err as MemGuardServerError).status, 422);
    assert.is((err as MemGuardServerError).code, 'not_confidence_vectors');
    assert.is((err as MemGuardServerError).row, 1);
  } finally {
    await server.drain();
  }
});

t('a bearer token guards POST /v1/protect (and never reaches the log)', async () => {
  const token = 'tok-3f9a1c77e2b54d0a';
  const { server, url, lines } = await startServer({ token });
  try {
    const rows = sampleRows(2);
    const none = await post(url, { scores: rows });
    errorOf(none, 401, 'unauthorized');
    assert.is(none.headers['www-authenticate'], 'Bearer');
    errorOf(await post(url, { scores: rows }, { authorization: `Bearer ${token}x` }), 401, 'unauthorized');
    errorOf(await post(url, { scores: rows }, { authorization: `Basic ${token}` }), 401, 'unauthorized');
    sameAsProtect(json(await post(url, { scores: rows }, { authorization: `Bearer ${token}` })), rows);
    const viaClient = await new MemGuardClient({ url, token }).protect(rows);
    sameAsProtect(viaClient, rows, undefined, 'client with token');
    assert.is((await call(url, 'GET', '/healthz')).status, 200, 'health probes need no token');
    const log = lines.join('\n');
    assert.ok(!log.includes(token), 'the token is not logged');
    assert.match(log, /"token":true/);
  } finally {
    await server.drain();
  }
});

t('a full queue answers 503 with Retry-After; queued requests are still answered', async () => {
  const { server, url } = await startServer({ maxBatch: 64, maxWaitMs: 1500, queueRows: 4 });
  try {
    const rows = sampleRows(8);
    const replies = await Promise.all(rows.map((row) => post(url, { scores: [row] })));
    const ok = replies.filter((r) => r.status === 200), full = replies.filter((r) => r.status === 503);
    assert.is(ok.length, 4, `answered: ${replies.map((r) => r.status)}`);
    assert.is(full.length, 4);
    for (const r of full) {
      errorOf(r, 503, 'overloaded');
      assert.is(r.headers['retry-after'], '1');
    }
    replies.forEach((r, i) => { if (r.status === 200) sameAsProtect(json(r), [rows[i]!]); });
    errorOf(await post(url, { scores: sampleRows(5) }), 413, 'too_many_rows');
  } finally {
    await server.drain();
  }
});

t('clients that disconnect mid-request leave the server healthy', async () => {
  const { server, url } = await startServer({ fixedLatency: 150 });
  try {
    const port = Number(new URL(url).port);
    const body = JSON.stringify({ scores: sampleRows(4) });
    const raw = (text: string, destroyAfterMs: number) => new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(text);
        setTimeout(() => { socket.destroy(); resolve(); }, destroyAfterMs);
      });
      socket.on('error', () => resolve());
    });
    const head = (length: number) => `POST /v1/protect HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    await Promise.all([
      raw(head(body.length) + body.slice(0, 100), 20), // gone halfway through the body
      raw(head(body.length) + body, 40), // gone while its rows are in Phase I / before the deadline
      raw(head(body.length) + body, 40),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    assert.is((await call(url, 'GET', '/healthz')).status, 200);
    const rows = sampleRows(3, 7);
    sameAsProtect(json(await post(url, { scores: rows })), rows);
    const m = metricsOf((await call(url, 'GET', '/metrics')).text);
    assert.is(Number(m.get('memguard_client_disconnects_total').metrics[0].value), 3);
    assert.is(Number(m.get('memguard_in_flight_requests').metrics[0].value), 1, 'only the /metrics request itself');
  } finally {
    await server.drain();
  }
});

t('GET /metrics parses as Prometheus text and counts what happened', async () => {
  const { server, url } = await startServer({ maxWaitMs: 1 });
  try {
    let noisy = 0;
    for (const n of [1, 4, 9]) {
      const r = json(await post(url, { scores: sampleRows(n, 20) }));
      noisy += r.noisy.reduce((a: number, b: number) => a + b, 0);
    }
    await post(url, '{');
    await call(url, 'GET', '/nowhere');
    const reply = await call(url, 'GET', '/metrics');
    assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m = metricsOf(reply.text);
    const value = (name: string, labels: Record<string, string> = {}) => {
      const series = m.get(name)?.metrics.find((s: any) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
      assert.ok(series, `${name} ${JSON.stringify(labels)} missing`);
      return Number(series.value);
    };
    assert.is(m.get('memguard_requests_total').type, 'COUNTER');
    assert.is(value('memguard_requests_total', { route: '/v1/protect', status: '200' }), 3);
    assert.is(value('memguard_requests_total', { route: '/v1/protect', status: '400' }), 1);
    assert.is(value('memguard_requests_total', { route: 'other', status: '404' }), 1);
    assert.is(value('memguard_rows_total'), 14);
    assert.is(value('memguard_noise_released_total'), noisy);
    assert.is(value('memguard_errors_total', { code: 'bad_json' }), 1);
    assert.is(value('memguard_errors_total', { code: 'not_found' }), 1);
    assert.is(value('memguard_late_responses_total'), 0);
    assert.is(value('memguard_fixed_latency_seconds'), 0);
    assert.is(value('memguard_ready'), 1);
    const latency = m.get('memguard_request_duration_seconds');
    assert.is(latency.type, 'HISTOGRAM');
    assert.is(Number(latency.metrics[0].count), 4, 'every POST /v1/protect');
    const batch = m.get('memguard_batch_rows').metrics[0];
    const bounds = Object.keys(batch.buckets).filter((b) => b !== '+Inf').map(Number).sort((a, b) => a - b);
    let previous = 0;
    for (const b of bounds) {
      assert.ok(Number(batch.buckets[String(b)]) >= previous, 'cumulative buckets');
      previous = Number(batch.buckets[String(b)]);
    }
    assert.is(Number(batch.buckets['+Inf']), Number(batch.count));
    assert.is(Number(batch.sum), 14, 'every row went through one batch');
  } finally {
    await server.drain();
  }
});

t('the Python client example of the serving guide', async () => {
  const example = readFileSync(`${ROOT}/examples/python_client.py`, 'utf8');
  const guide = readFileSync(`${ROOT}/docs/serving.md`, 'utf8');
  const protectFn = example.slice(example.indexOf('from memguard_client'), example.indexOf('if __name__'));
  assert.ok(guide.includes(protectFn.trim()), 'docs/serving.md shows the same Python client code as examples/python_client.py');
  const { server, url } = await startServer();
  try {
    const python = (input: unknown) => new Promise<any>((resolve, reject) => {
      const child = execFile('python3', [`${ROOT}/examples/python_client.py`], { env: { ...process.env, MEMGUARD_URL: url, PYTHONPATH: `${ROOT}/clients/python/src` } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`python3 failed: ${stderr}`));
        else resolve(JSON.parse(stdout));
      });
      child.stdin!.end(JSON.stringify(input));
    });
    const rows = sampleRows(6, 40);
    sameAsProtect(await python({ scores: rows }), rows, undefined, 'python');
    const ids = rows.map((_, i) => `py-${i}`);
    sameAsProtect(await python({ scores: rows, ids }), rows, ids, 'python with ids');
    const bad = rows.slice(0, 2); bad[1] = bad[1]!.map((x) => x * 3);
    assert.equal(await python({ scores: bad }), { status: 422, code: 'not_confidence_vectors', row: 1 });
  } finally {
    await server.drain();
  }
});

t('--logits: requests send logits; answers equal MemGuard.protect on logits', async () => {
  const { server, url } = await startServer({ input: 'logits', threads: 2, maxBatch: 4 });
  try {
    const logits = sampleRows(10, 60).map((row) => row.map((p) => Math.fround(Math.log(Math.max(p, 1e-30)) + 0.25)));
    const client = new MemGuardClient({ url, input: 'logits' });
    assert.ok(await client.healthy());
    const [first, second] = await Promise.all([client.protect(logits.slice(0, 3)), client.protect(logits.slice(3))]);
    const want = expected(logits, undefined, 'logits');
    const got = [...first.released, ...second.released];
    got.forEach((row, i) => row.forEach((x, j) => {
      if (!Object.is(Math.fround(x), want.released[i * K + j])) assert.unreachable(`row ${i}, column ${j}: ${x} vs ${want.released[i * K + j]}`);
    }));
    assert.equal([...first.noisy, ...second.noisy], Array.from(want.noiseReleased));
    assert.match(errorOf(await post(url, { scores: sampleRows(1) }), 400, 'bad_request'), /"logits"/);
  } finally {
    await server.drain();
  }
});

t('the client and the wire format import nothing from Node (they run in browsers)', () => {
  for (const file of ['src/serve/client.ts', 'src/serve/protocol.ts']) {
    const imports = [...readFileSync(`${ROOT}/${file}`, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
    assert.ok(imports.every((m) => m.startsWith('./')), `${file} imports ${imports.join(', ')}`);
  }
});

t.run();
