// Shared by the server tests: a defense-classifier file, the key, the server's settings, and raw
// HTTP calls that return status, headers and body text whatever the status.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemGuard, type Phase1Options } from '../../src/memguard/memguard.js';
import { serializeModel } from '../../src/nn/modelFile.js';
import { MemGuardServer, type ServeSettings } from '../../src/serve/server.js';
import { SERVE_DEFAULTS } from '../../src/serve/options.js';
import { locationFixture } from '../fixtures.js';

export const KEY_HEX = '00112233445566778899aabbccddeeff0123456789abcdef';
export const KEY = Uint8Array.from(Buffer.from(KEY_HEX, 'hex'));
export const EPSILON = 0.5;

let dir: string | undefined;
/** A temporary folder holding g.json (the fixture's defense classifier), removed when the process exits. */
export function workDir(): string {
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), 'memguard-serve-'));
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    writeFileSync(join(made, 'g.json'), serializeModel(locationFixture().defense));
    dir = made;
  }
  return dir;
}

/** `count` Location confidence vectors as rows (members and non-members alternating). */
export function sampleRows(count: number, offset = 0): number[][] {
  const f = locationFixture();
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i, src = n % 2 === 0 ? f.members : f.nonMembers, r = Math.floor(n / 2) % 300;
    return Array.from(src.subarray(r * 30, (r + 1) * 30));
  });
}

/**
 * What MemGuard.protect gives for `rows` with the servers' key (the oracle); `search` as the server's
 * timing mode has it (the default 'fixed-work' is `{ fixedWork: true }`, 'deadline' and 'off' `{}`).
 */
export function expected(rows: number[][], ids?: string[], input: 'probabilities' | 'logits' = 'probabilities', search: Phase1Options = { fixedWork: true }) {
  const guard = new MemGuard({ defenseClassifier: locationFixture().defense, epsilon: EPSILON, coin: { mode: 'key', key: KEY }, search });
  return guard.protect(rows, { queryIds: ids, input });
}

/** An in-process server on an ephemeral port; its log lines collect in `lines`. */
export async function startServer(overrides: Partial<ServeSettings> = {}): Promise<{ server: MemGuardServer; url: string; lines: string[] }> {
  const lines: string[] = [];
  const server = await MemGuardServer.start({
    ...SERVE_DEFAULTS, defenseClassifier: locationFixture().defense, epsilon: EPSILON, key: KEY, input: 'scores',
    port: 0, threads: 1, fixedLatency: 0, log: (event, fields) => { lines.push(JSON.stringify({ event, ...fields })); }, ...overrides,
  });
  return { server, url: server.url, lines };
}

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; text: string }

/** One HTTP request (a fresh connection); never rejects on an error status. */
export function call(url: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POST /v1/protect with a JSON body. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call(url, 'POST', '/v1/protect', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}
