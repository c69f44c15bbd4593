// The secret key of the release coin (design §4), as the CLI accepts it. Never from a command-line
// argument (it would be visible in the process list and the shell history):
// - `MEMGUARD_KEY`: hex digits (an even number; an optional `hex:` prefix), or `base64:` followed
//   by standard or URL-safe base64 (padding optional). Surrounding whitespace is ignored.
// - `--key-file FILE`: the same text forms when the whole file (less surrounding whitespace) is one
//   of them, e.g. made by `openssl rand -hex 32 > FILE`; otherwise the file's raw bytes are the key,
//   e.g. made by `head -c 32 /dev/urandom > FILE`.
// Either way the key must pass `keyProblem` (at least 16 bytes, not one byte value repeated). Error
// messages never show the key.
import { readFileSync, statSync } from 'node:fs';
import { KEY_BYTES, keyProblem } from '../memguard/coin.js';
import { existingFile } from './args.js';

/** The environment variable holding the key. */
export const KEY_ENV = 'MEMGUARD_KEY';

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A key given as text that names its failure without echoing the value. */
export class KeyError extends Error {
  override name = 'KeyError';
}

function checkKey(key: Uint8Array, where: string): Uint8Array {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new KeyError(`${where}: ${problem}${key.length < KEY_BYTES ? ' (e.g. `openssl rand -hex 32`)' : ''}`);
  return key;
}

/**
 * Decodes a key written as text: hex (optionally `hex:`-prefixed) or `base64:...`. Returns
 * undefined when `text` is neither (the caller decides whether that is an error).
 */
export function decodeKeyText(text: string, where: string): Uint8Array | undefined {
  const t = text.trim();
  if (t.startsWith('base64:')) {
    const b = t.slice('base64:'.length).trim();
    if (!BASE64.test(b) || b.replace(/=+$/, '').length % 4 === 1) {
      throw new KeyError(`${where}: the text after "base64:" is not valid base64 (the value is not shown)`);
    }
    return checkKey(new Uint8Array(Buffer.from(b.replace(/-/g, '+').replace(/_/g, '/'), 'base64')), where);
  }
  const h = t.startsWith('hex:') ? t.slice(4).trim() : t;
  if (h.length > 0 && HEX.test(h)) {
    if (h.length % 2 !== 0) throw new KeyError(`${where}: an odd number of hex digits (${h.length}); a key is whole bytes`);
    return checkKey(new Uint8Array(Buffer.from(h, 'hex')), where);
  }
  return undefined;
}

/** The key from the `MEMGUARD_KEY` value. */
export function keyFromEnv(value: string): Uint8Array {
  if (value.trim() === '') throw new KeyError(`${KEY_ENV} is set but empty`);
  const key = decodeKeyText(value, KEY_ENV);
  if (!key) {
    throw new KeyError(`${KEY_ENV} must be hex digits (e.g. from \`openssl rand -hex 32\`) or "base64:" followed by base64 ` +
      '(the value is not shown)');
  }
  return key;
}

/**
 * The key from a key file: hex / `base64:` text when the whole file is such text, else its raw
 * bytes. `warn` receives a warning when every user may read the file or its group may change it.
 */
export function keyFromFile(path: string, warn: (message: string) => void = () => {}): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes.length === 0) throw new KeyError(`--key-file ${path}: the file is empty`);
  const where = `--key-file ${path}`;
  const text = isPrintableAscii(bytes) ? Buffer.from(bytes).toString('latin1') : undefined;
  const key = (text !== undefined ? decodeKeyText(text, where) : undefined) ?? checkKey(bytes, where);
  if (process.platform !== 'win32') {
    // Group read is how Kubernetes hands a Secret to a non-root container (defaultMode 0440 with
    // fsGroup, as deploy/ does), so only access by every user, or group write, is worth a warning.
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o027) warn(`warning: the key file ${path} can be ${mode & 0o007 ? 'read by every user' : 'changed by its group'} (mode ${mode.toString(8)}); consider chmod 600 (or 440 for a group that must read it)`);
  }
  return key;
}

function isPrintableAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (!(b >= 0x20 && b < 0x7f) && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  return true;
}

/**
 * The key of `--key-file FILE` when given, else of `MEMGUARD_KEY`; undefined when neither is set.
 * `warn` receives the key file's permission warning.
 */
export function keyFromFileOrEnv(keyFile: string | undefined, env: NodeJS.ProcessEnv, warn: (message: string) => void): Uint8Array | undefined {
  if (keyFile !== undefined) return keyFromFile(existingFile('key-file', keyFile), warn);
  const value = env[KEY_ENV];
  return value !== undefined ? keyFromEnv(value) : undefined;
}
