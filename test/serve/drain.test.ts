// Draining within a stated grace (design §8.1, Kubernetes): drain() stops the server within
// drainTimeoutMs (--drain-seconds) even when a request would take longer, logging how many were left
// unanswered, and readiness fails from the moment it starts; liveness is up from the start, readiness
// says 503 + Retry-After until ready.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { call, post, sampleRows, startServer } from './helpers.js';

test('drain() ends within drainTimeoutMs when an answer is held longer', async () => {
  // Every answer is held 5 s (a fixed deadline); the grace is 300 ms.
  const { server, url, lines } = await startServer({ fixedLatency: 5000, drainTimeoutMs: 300 });
  const held = post(url, { scores: sampleRows(1) }).then((r) => r.status, () => 'reset');
  // Until the server holds it (the gauge counts the /metrics request itself too), however slow the machine.
  const inFlight = async () => Number(/^memguard_in_flight_requests (\d+)/m.exec((await call(url, 'GET', '/metrics')).text)?.[1]);
  while (await inFlight() < 2) await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const drained = server.drain('test');
  // A readiness probe during the drain must not pass: refused (the listener is closed) or 503.
  const probe = await call(url, 'GET', '/v2/health/ready').then((r) => r.status, (e: NodeJS.ErrnoException) => e.code);
  assert.ok(probe === 503 || probe === 'ECONNREFUSED' || probe === 'ECONNRESET', `readiness while draining: ${probe}`);
  await drained;
  const took = performance.now() - t0;
  assert.ok(took < 3000, `stopped ${took.toFixed(0)} ms after drain() (grace 300 ms), not when the 5 s answer was due`);
  const stopped = JSON.parse(lines.find((l) => l.includes('"event":"stopped"'))!);
  assert.is(stopped.unanswered, 1);
  assert.ok(JSON.parse(lines.find((l) => l.includes('"event":"draining"'))!).graceMs === 300);
  assert.is(await held, 'reset', 'the held request is cut off, not answered late');
});

test('live answers 200 and ready 503 + Retry-After while the deadline is being calibrated', async () => {
  const { MemGuardServer } = await import('../../src/serve/server.js');
  const { SERVE_DEFAULTS } = await import('../../src/serve/options.js');
  const { locationFixture } = await import('../fixtures.js');
  const { KEY } = await import('./helpers.js');
  let url: string | undefined;
  const seen = { live: new Set<number>(), ready: new Set<number>(), retryAfter: '' };
  const starting = MemGuardServer.start({
    ...SERVE_DEFAULTS, defenseClassifier: locationFixture().defense, epsilon: 0.5, key: KEY, input: 'scores', port: 0, threads: 1,
    timing: 'deadline', fixedLatency: 'auto', log: (event, fields) => { if (event === 'listening') url = fields!.url as string; },
  });
  let done = false;
  void starting.then(() => { done = true; });
  while (!done) {
    if (url) {
      const [live, ready] = await Promise.all([call(url, 'GET', '/v2/health/live'), call(url, 'GET', '/v2/health/ready')]);
      if (done) break;
      seen.live.add(live.status);
      seen.ready.add(ready.status);
      if (ready.status === 503) seen.retryAfter = String(ready.headers['retry-after']);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const server = await starting;
  try {
    assert.equal([...seen.live], [200], 'live from the start');
    assert.ok(seen.ready.has(503), 'not ready while calibrating');
    assert.is(seen.retryAfter, '1');
    assert.is((await call(server.url, 'GET', '/v2/health/ready')).status, 200);
  } finally {
    await server.drain();
  }
});

test.run();
