// Node, Deno and Bun: imports the installed package (and memguard/onnx) by name and prints the smoke summary as JSON.
import * as memguard from 'memguard';
import * as onnx from 'memguard/onnx';
import { runtimeName, smoke } from './smoke.mjs';

const summary = await smoke(memguard, { onnx });
console.log(JSON.stringify({ runtime: runtimeName(), ...summary }));
