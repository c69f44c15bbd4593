// The smoke program in a module Web Worker. Import maps do not apply inside workers, so memguard is
// imported by its relative path here (the other documented way to load it without a bundler).
import * as memguard from '../node_modules/memguard/dist/index.js';
import { runtimeName, smoke } from './smoke.mjs';

try {
  postMessage({ runtime: `${runtimeName()} worker`, ...(await smoke(memguard)) });
} catch (err) {
  postMessage({ error: String(err && err.stack || err) });
}
