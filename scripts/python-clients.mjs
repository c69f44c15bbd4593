// The Python the serve tests drive `memguard serve` with: Debian's python3 with httpx (a client that
// is not ours, design §8.1). `ensurePythonHttpx()` installs python3-httpx with apt-get when it is
// missing (CI runs as root), as scripts/test-runtimes.mjs installs chromium.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's interpreter (apt's python3-httpx installs for it, not for pyenv's). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

function hasHttpx() {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import httpx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Path of a python3 that imports httpx, installing python3 and python3-httpx with apt-get if need be. */
export function ensurePythonHttpx() {
  if (existsSync(SYSTEM_PYTHON) && hasHttpx()) return SYSTEM_PYTHON;
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3', 'python3-httpx'], { stdio: 'pipe', timeout: 600_000 });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'pipe', timeout: 600_000 });
    install();
  }
  if (!hasHttpx()) throw new Error(`apt-get installed python3-httpx but ${SYSTEM_PYTHON} cannot import httpx`);
  return SYSTEM_PYTHON;
}
