// `npm run page`: builds the demo page (scripts/build-page.mjs) and serves it on 127.0.0.1 under the
// strict Content-Security-Policy, until Ctrl-C. Options: --port N (default 8080; 0 = any free port),
// --build-only (just write page-dist/).
import { parseArgs } from 'node:util';
import { buildPage, PAGE_CSP } from './build-page.mjs';
import { startStaticServer } from './static-server.mjs';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, 'build-only': { type: 'boolean', default: false } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`page: --port must be an integer in [0, 65535], got ${values.port}`);
  process.exit(2);
}
const root = buildPage();
if (values['build-only']) {
  console.log(`page built in ${root}`);
} else {
  const server = await startStaticServer({ root, port, headers: { 'Content-Security-Policy': PAGE_CSP } }).catch((err) => {
    console.error(err.code === 'EADDRINUSE' ? `page: port ${port} is in use; pick another with --port N (0 = any free port)` : `page: ${err.message}`);
    process.exit(1);
  });
  console.log(`MemGuard demo page: ${server.url}  (serving ${root}; Ctrl-C to stop)`);
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
