// A tiny static file server on 127.0.0.1 for browser tests (the runtime matrix, the demo page):
// serves `root` with the MIME types ES modules need, adds `headers` to every response (e.g. a
// Content-Security-Policy), refuses paths outside `root`, and never lists directories.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Starts serving `root` on 127.0.0.1 (an ephemeral port unless `port` is given).
 * `headers`: extra response headers for every file, or a function `(path) => headers` for per-path ones.
 * Resolves to `{ url, close }`: `url` ends with '/', `close()` stops the server (awaitable).
 *
 * @example
 * const server = await startStaticServer({ root: 'dist-page', headers: { 'Content-Security-Policy': "script-src 'self'" } });
 * console.log(server.url); // http://127.0.0.1:40123/
 * await server.close();
 */
export async function startStaticServer({ root, headers = {}, port = 0 }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let file = resolve(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) return send(res, 403, 'forbidden');
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file).catch(() => null);
      if (body === null) return send(res, 404, 'not found');
      const extra = typeof headers === 'function' ? headers(path) : headers;
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      send(res, 500, String(err));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const { port: bound } = server.address();
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
