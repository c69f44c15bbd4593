// Debian's python3-onnx (the ONNX checker and helper that build and check models outside memguard in
// the ONNX tests), installed with apt-get when missing; CI runs as root. Debian's python3 is used by
// its path: a python3 earlier on PATH (pyenv, a venv) does not see Debian's packages.
import { execFileSync, spawnSync } from 'node:child_process';

/** The interpreter that has Debian's python3-onnx. */
export const PYTHON = '/usr/bin/python3';

function hasOnnx() {
  return spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;
}

/** Returns PYTHON once `import onnx` works there, running apt-get install -y python3-onnx if needed. */
export function ensurePythonOnnx() {
  if (hasOnnx()) return PYTHON;
  const apt = (args) => execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(['install', '-y', 'python3-onnx']);
  } catch {
    apt(['update']);
    apt(['install', '-y', 'python3-onnx']);
  }
  if (!hasOnnx()) throw new Error(`python3-onnx: apt-get install -y python3-onnx ran but ${PYTHON} still cannot import onnx`);
  return PYTHON;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(ensurePythonOnnx());
