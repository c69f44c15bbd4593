// The Open Inference Protocol (KServe V2, REST) and V1 on `memguard serve` (design §8.1): health,
// metadata, infer with FP32/FP64 tensors flat or nested, logits, ids through parameters, answers
// byte-identical in values to /v1/protect, errors as {"error": "..."}; the protocol's own documented
// example; a 413 that reaches a client sending its whole body first (a raw socket and Python's
// urllib); and clients that are not ours (Python's urllib, http.client and httpx).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain .mjs script without types
import { ensurePythonHttpx } from '../../scripts/python-clients.mjs';
import { call, expected, post, sampleRows, startServer, type Reply } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K = 30;

const postJson = (url: string, path: string, body: unknown) =>
  call(url, 'POST', path, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });

function json(r: Reply): any {
  try {
    return JSON.parse(r.text);
  } catch {
    assert.unreachable(`not JSON (status ${r.status}): ${r.text.slice(0, 200)}`);
  }
}

/** An error answer in the protocol's shape: {"error": "<message>"} with `status`; returns the message. */
function oipError(r: Reply, status: number): string {
  assert.is(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const body = json(r);
  assert.equal(Object.keys(body), ['error']);
  assert.type(body.error, 'string');
  assert.ok(body.error.length > 10, `a message that says something: ${body.error}`);
  return body.error;
}

/** The released rows of a /v1/protect answer as the flat JSON text of its numbers. */
function releasedText(r: Reply): string {
  const released = r.text.slice(r.text.indexOf('[['), r.text.indexOf(']],') + 2);
  return `[${released.slice(1, -1).replace(/\],\[/g, ',').replace(/^\[|\]$/g, '')}]`;
}

/** The text of the "data" array of a V2 answer's first output, as sent. */
function dataText(r: Reply): string {
  const at = r.text.indexOf('"data":') + 7;
  return r.text.slice(at, r.text.indexOf(']', at) + 1);
}

const t = suite('serve: Open Inference Protocol');

t('V2 infer and V1 predict answer the values of /v1/protect, byte for byte; metadata; health', async () => {
  const { server, url } = await startServer({ threads: 2, maxBatch: 8, maxWaitMs: 5, version: '9.9.9' });
  try {
    const rows = sampleRows(6, 20), ids = rows.map((_, i) => `q-${i}`);
    const protect = await post(url, { scores: rows, ids });
    assert.is(protect.status, 200, protect.text);
    const flat = rows.flat();
    const [v2flat, v2nested, v2fp64, v1] = await Promise.all([
      postJson(url, '/v2/models/memguard/infer', { id: 'r1', parameters: { ids }, inputs: [{ name: 'probabilities', shape: [6, K], datatype: 'FP32', data: flat }] }),
      postJson(url, '/v2/models/memguard/infer', { inputs: [{ name: 'x', shape: [6, K], datatype: 'FP32', data: rows, parameters: { ids } }] }),
      postJson(url, '/v2/models/memguard/versions/1/infer', { parameters: { ids }, inputs: [{ name: 'x', shape: [6, K], datatype: 'FP64', data: rows }] }),
      postJson(url, '/v1/models/memguard:predict', { instances: rows, parameters: { ids } }),
    ]);
    const want = releasedText(protect);
    for (const [name, r] of [['flat', v2flat], ['nested', v2nested], ['FP64', v2fp64]] as const) {
      assert.is(r.status, 200, `${name}: ${r.text}`);
      const body = json(r);
      assert.is(body.model_name, 'memguard');
      assert.is(body.outputs.length, 1);
      const { name: outName, shape, datatype, data } = body.outputs[0];
      assert.equal([outName, shape, datatype], ['released', [6, K], 'FP32'], name);
      assert.is(data.length, 6 * K);
      assert.is(dataText(r), want, `${name}: the same text as /v1/protect's released values`);
      assert.not.ok(r.text.includes('noisy'), 'no noisy flags to end clients');
    }
    assert.is(json(v2flat).id, 'r1', 'the request id comes back');
    assert.is(json(v2nested).id, undefined);
    assert.is(v1.status, 200, v1.text);
    assert.equal(Object.keys(json(v1)), ['predictions']);
    assert.is(v1.text, `{"predictions":${protect.text.slice(protect.text.indexOf('[['), protect.text.indexOf(']],') + 2)}}`);
    // ... and the oracle: MemGuard.protect with the same key, ids and search.
    const oracle = expected(rows, ids);
    json(v2flat).outputs[0].data.forEach((x: number, i: number) => assert.ok(Object.is(Math.fround(x), oracle.released[i]), `value ${i}`));
    // Without ids the coin is keyed on the content, as in /v1/protect.
    const [noIds, protectNoIds] = await Promise.all([
      postJson(url, '/v2/models/memguard/infer', { inputs: [{ name: 'x', shape: [6, K], datatype: 'FP32', data: flat }] }), post(url, { scores: rows }),
    ]);
    assert.is(dataText(noIds), releasedText(protectNoIds));
    // Logits: an input named "logits" (or parameters.content) on a server started for probabilities.
    const logits = rows.map((row) => row.map((p) => Math.fround(Math.log(Math.max(p, 1e-30)) + 0.5)));
    const [byName, byParam] = await Promise.all([
      postJson(url, '/v2/models/memguard/infer', { inputs: [{ name: 'logits', shape: [6, K], datatype: 'FP32', data: logits }] }),
      postJson(url, '/v2/models/memguard/infer', { inputs: [{ name: 'y', shape: [6, K], datatype: 'FP32', data: logits, parameters: { content: 'logits' } }] }),
    ]);
    const wantLogits = expected(logits, undefined, 'logits');
    for (const r of [byName, byParam]) {
      assert.is(r.status, 200, r.text);
      json(r).outputs[0].data.forEach((x: number, i: number) => assert.ok(Object.is(Math.fround(x), wantLogits.released[i]), `logits value ${i}`));
    }

    // Health and metadata (the protocol's shapes).
    const live = await call(url, 'GET', '/v2/health/live'), ready = await call(url, 'GET', '/v2/health/ready');
    assert.is(live.status, 200);
    assert.is(ready.status, 200);
    assert.equal(json(await call(url, 'GET', '/v2')), { name: 'memguard', version: '9.9.9', extensions: [] });
    const meta = json(await call(url, 'GET', '/v2/models/memguard'));
    assert.is(meta.name, 'memguard');
    assert.equal(meta.inputs, [{ name: 'probabilities', datatype: 'FP32', shape: [-1, K] }]);
    assert.equal(meta.outputs, [{ name: 'released', datatype: 'FP32', shape: [-1, K] }]);
    assert.is((await call(url, 'GET', '/v2/models/memguard/ready')).status, 200);
    assert.equal(json(await call(url, 'GET', '/v1/models/memguard')), { name: 'memguard', ready: true });
    // The metrics count the V2 route under its template.
    const metrics = (await call(url, 'GET', '/metrics')).text;
    assert.match(metrics, /memguard_requests_total\{route="\/v2\/models\/\{name\}\/infer",status="200"\} 6/);
  } finally {
    await server.drain();
  }
});

t('the protocol\'s documented example, and every error as {"error": "..."} with §8\'s status', async () => {
  const { server, url } = await startServer({ maxBodyBytes: 8192, modelName: 'mymodel' });
  try {
    // The inference request example of the Open Inference Protocol's REST specification
    // (kserve/open-inference-protocol, specification/protocol/inference_rest.md): two inputs,
    // UINT32 and BOOL; memguard takes one FP32/FP64 input [n, k], so: 400 naming why.
    const example = {
      id: '42',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] },
      ],
      outputs: [{ name: 'output0' }],
    };
    assert.match(oipError(await postJson(url, '/v2/models/mymodel/infer', example), 400), /exactly one tensor/);
    // The same request shape with memguard's tensor: the example's answer shape, id echoed.
    const rows = sampleRows(3, 2);
    const good = { id: '42', inputs: [{ name: 'input0', shape: [3, K], datatype: 'FP32', data: rows.flat() }], outputs: [{ name: 'released' }] };
    const answer = await postJson(url, '/v2/models/mymodel/infer', good);
    assert.is(answer.status, 200, answer.text);
    const body = json(answer);
    assert.equal(Object.keys(body), ['model_name', 'id', 'outputs']);
    assert.equal([body.model_name, body.id, body.outputs[0].shape, body.outputs[0].datatype], ['mymodel', '42', [3, K], 'FP32']);

    const input = (over: Record<string, unknown>) => ({ inputs: [{ name: 'p', shape: [3, K], datatype: 'FP32', data: rows.flat(), ...over }] });
    const infer = (b: unknown) => postJson(url, '/v2/models/mymodel/infer', b);
    assert.match(oipError(await infer(input({ datatype: 'INT64' })), 400), /"INT64" \(integer class labels\?\)/);
    assert.match(oipError(await infer(input({ shape: [90] })), 400), /shape \[90\]/);
    assert.match(oipError(await infer(input({ shape: [3, 10] })), 422), /k = 30/);
    assert.match(oipError(await infer(input({ shape: [4, K] })), 400), /has 90 values; shape \[4, 30\] needs 120/);
    assert.match(oipError(await infer(input({ data: [...rows.flat().slice(1), 'x'] })), 400), /not a number/);
    assert.match(oipError(await infer(input({ parameters: { content: 'odds' } })), 400), /parameters.content/);
    assert.match(oipError(await infer({ ...input({}), parameters: { ids: ['a'] } }), 400), /parameters.ids must be 3/);
    const half = rows.map((r) => r.map((x) => x / 2));
    assert.match(oipError(await infer(input({ data: half.flat() })), 422), /row 0 sums to 0\.5/);
    oipError(await infer('{"inputs": ['), 400);
    oipError(await infer({ instances: rows }), 400);
    oipError(await call(url, 'POST', '/v2/models/mymodel/infer', JSON.stringify(good), { 'content-type': 'text/plain' }), 415);
    assert.match(oipError(await infer('x'.repeat(9000)), 413), /8192 bytes/);
    assert.match(oipError(await postJson(url, '/v2/models/memguard/infer', good), 404), /no model "memguard"; this server serves "mymodel"/);
    oipError(await call(url, 'GET', '/v2/models/mymodel/infer'), 405);
    oipError(await call(url, 'GET', '/v2/models/other'), 404);
    oipError(await postJson(url, '/v1/models/mymodel:predict', { instances: [rows[0]!.slice(0, 5)] }), 422);
    oipError(await postJson(url, '/v1/models/mymodel:predict', { instances: [1, 2] }), 400);
    // /v1/protect keeps its own error shape.
    assert.equal(Object.keys(json(await post(url, '[1]')).error), ['code', 'message']);
  } finally {
    await server.drain();
  }
});

t('413 reaches a client that writes its whole body before reading; the connection then serves on', async () => {
  const { server, url } = await startServer({ maxBodyBytes: 4096 });
  try {
    const rows = sampleRows(1);
    const small = JSON.stringify({ scores: rows });
    const answers = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d.toString();
        if ((got.match(/HTTP\/1\.1 /g) ?? []).length === 2 && got.trimEnd().endsWith('}')) { socket.destroy(); resolve(got); }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(got)); // a reset or close before both answers: the assertions below say what came
      socket.setTimeout(20_000, () => socket.destroy());
      // 1 MB declared and sent at once, then (without reading) a second request on the same connection.
      const big = 'x'.repeat(1 << 20);
      socket.write(`POST /v1/protect HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${big.length}\r\n\r\n${big}`);
      socket.write(`POST /v1/protect HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${small.length}\r\n\r\n${small}`);
    });
    const [first, second] = answers.split(/(?=HTTP\/1\.1 )/);
    assert.match(first!, /^HTTP\/1\.1 413 /);
    assert.match(first!, /"code":"body_too_large"/);
    assert.match(second!, /^HTTP\/1\.1 200 /);
    // Over the hard cap (discardBodyBytes): answered at once, connection closed.
    const capped = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => { got += d.toString(); });
      socket.on('close', () => resolve(got));
      socket.on('error', () => {});
      socket.write(`POST /v1/protect HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${(64 << 20) + 1}\r\n\r\n`);
    });
    assert.match(capped, /^HTTP\/1\.1 413 [\s\S]*connection: close/i);
  } finally {
    await server.drain();
  }
});

t('clients that are not ours: Python urllib, http.client and httpx', async () => {
  const python: string = ensurePythonHttpx();
  const { server, url } = await startServer({ maxBodyBytes: 64 << 10 });
  try {
    const rows = sampleRows(4, 50), ids = rows.map((_, i) => `py-${i}`);
    const protect = await post(url, { scores: rows, ids });
    const out = await new Promise<any>((resolve, reject) => {
      const child = execFile(python, [`${ROOT}/test/serve/python/oip_client.py`, url, 'memguard', String(16 << 20)], (err, stdout, stderr) => {
        if (err) reject(new Error(`python failed: ${stderr}`));
        else resolve(JSON.parse(stdout));
      });
      child.stdin!.end(JSON.stringify({ rows, ids }));
    });
    for (const path of ['/v2/health/live', '/v2/health/ready', '/v2', '/v2/models/memguard', '/v2/models/memguard/ready']) {
      assert.is(out[`GET ${path}`].status, 200, path);
    }
    const want = expected(rows, ids).released;
    for (const name of ['urllib infer', 'http.client infer', 'httpx infer']) {
      assert.is(out[name].status, 200, `${name}: ${JSON.stringify(out[name])}`);
      assert.is(out[name].body.id, 'py-1');
      const data: number[] = out[name].body.outputs[0].data;
      assert.is(data.length, 4 * K);
      data.forEach((x, i) => assert.ok(Object.is(Math.fround(x), want[i]), `${name}: value ${i}`));
    }
    assert.is(out['urllib predict'].status, 200);
    assert.equal(out['urllib predict'].body.predictions, json(protect).released);
    assert.is(out['urllib wrong model'].status, 404);
    assert.is(out['urllib labels'].status, 400);
    assert.match(out['urllib labels'].body.error, /INT64/);
    assert.is(out['urllib oversized'].status, 413, `urllib sending 16 MB whole: ${JSON.stringify(out['urllib oversized'])}`);
    assert.match(out['urllib oversized'].body.error, /larger than the limit/);
    assert.is(out['httpx bad json'].status, 400);
    assert.type(out['httpx bad json'].body.error, 'string');
  } finally {
    await server.drain();
  }
});

t.run();
