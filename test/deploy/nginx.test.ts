// The smoke version of scripts/two-replicas.ts (two `memguard serve` replicas behind Debian's
// nginx, SIGTERM to one mid-load): every request answered, answers equal MemGuard.protect with the
// shared key whichever replica served them, both served, the stopped one exited 0. The script's
// full run (3,000 rows) is in BENCHMARKS.md.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { nginxConfig, problems, runTwoReplicas } from '../../scripts/two-replicas.js';

const t = suite('two replicas behind nginx');

t('the config retries POSTs on errors and 503s, over both replicas', () => {
  const conf = nginxConfig('/tmp/p', 8080, [1001, 1002]);
  assert.match(conf, /server 127\.0\.0\.1:1001 [^\n]*;\n\s*server 127\.0\.0\.1:1002 /);
  assert.match(conf, /proxy_next_upstream error timeout http_502 http_503 non_idempotent;/);
  assert.match(conf, /daemon off;/);
  assert.match(conf, /listen 127\.0\.0\.1:8080;/);
});

t('SIGTERM to one replica mid-load: nothing lost, answers identical', async () => {
  const report = await runTwoReplicas({ rows: 600, concurrency: 8, maxRows: 6, stopAt: 0.4 });
  assert.equal(problems(report), [], JSON.stringify(report));
  assert.is(report.answered, report.requests);
  assert.ok(report.inFlightAtStop > 0, 'the replica was stopped with requests in flight');
});

t.run();
