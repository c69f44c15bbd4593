// Debian packages the tests and scripts need (nginx, python3, podman, ...), installed with apt-get
// when missing, the way scripts/test-runtimes.mjs installs chromium: CI runs as root on a Debian
// machine where nothing but Node and npm is promised.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let updated = false;

/**
 * The path of `binary` (an absolute path, e.g. /usr/sbin/nginx), after `apt-get install -y
 * <packages>` when it is missing. Throws with apt-get's last lines when that fails.
 */
export function ensureDebianPackage(binary, packages) {
  if (existsSync(binary)) return binary;
  const apt = (args) => spawnSync('apt-get', args, {
    encoding: 'utf8', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!updated) {
    apt(['update']);
    updated = true;
  }
  const r = apt(['install', '-y', '--no-install-recommends', ...packages]);
  if (r.status !== 0 || !existsSync(binary)) {
    const tail = `${r.stderr ?? ''}${r.error ?? ''}`.trim().split('\n').slice(-4).join(' | ');
    throw new Error(`${binary} is missing and apt-get install -y ${packages.join(' ')} failed: ${tail}`);
  }
  return binary;
}
