// Runs the `memguard` command line as a user runs it, for the CLI tests.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Both streams as bytes (stdout then stderr), for searching non-UTF-8 content. */
  bytes: Buffer;
}

/** Runs `memguard ...args` (`node --import tsx src/cli/main.ts`) from the repository root; never rejects. */
export function memguard(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, MEMGUARD_KEY: undefined, MEMGUARD_DEBUG: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: childEnv, maxBuffer: 64 << 20, encoding: 'buffer' },
      (err, stdout, stderr) => resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
        stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), bytes: Buffer.concat([stdout, stderr]),
      }));
  });
}
