// Node, Deno and Bun: imports the installed package by name and prints the smoke summary as JSON.
import * as memguard from 'memguard';
import { runtimeName, smoke } from './smoke.mjs';

const summary = await smoke(memguard);
console.log(JSON.stringify({ runtime: runtimeName(), ...summary }));
