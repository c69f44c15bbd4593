// Browser main thread: the smoke program through `import 'memguard'` and 'memguard/onnx' (the import
// map), then the same program inside a module Web Worker (without onnx: import maps do not apply there). The runner reads `window.smokeResult`.
import * as memguard from 'memguard';
import * as onnx from 'memguard/onnx';
import { runtimeName, smoke } from './smoke.mjs';

const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} blocked ${e.blockedURI || e.sample}`));

function inWorker() {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
    worker.onerror = (e) => { worker.terminate(); resolve({ error: `worker: ${e.message || 'failed to load'}` }); };
  });
}

let result;
try {
  const main = { runtime: runtimeName(), ...(await smoke(memguard, { onnx })) };
  const worker = await inWorker();
  result = { main, worker, violations };
} catch (err) {
  result = { error: String(err && err.stack || err), violations };
}
window.smokeResult = result;
document.getElementById('out').textContent = JSON.stringify(result, null, 2);
