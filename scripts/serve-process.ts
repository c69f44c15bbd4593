// Starts a server process that logs one JSON object per line on stderr (`memguard serve`, or
// bench/echo-server.ts) and resolves once it logs {"event":"ready","url":...}: what the process
// test, the two-replica script and the serve benchmarks share.
import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The ready event as logged (the settings the server chose). */
  ready: Record<string, unknown>;
  /** Every stderr line so far. */
  log: string[];
  exit: Promise<number | null>;
}

export interface ServeProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout?: StdioNull | StdioPipe;
  /** Names the process in the error when it exits before it is ready. */
  name?: string;
  /** Pass lines that are not JSON through to this process's stderr instead of failing on them. */
  tolerant?: boolean;
}

/** Runs `node ...argv` and resolves once its stderr log says ready; rejects if it exits first. */
export function startServeProcess(argv: string[], options: ServeProcessOptions): Promise<ServeProcess> {
  const child = spawn(process.execPath, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] });
  const log: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr!.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl; (nl = buffered.indexOf('\n')) >= 0;) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        log.push(line);
        let event;
        try {
          event = JSON.parse(line);
        } catch (err) {
          if (!options.tolerant) throw err;
          process.stderr.write(line + '\n');
          continue;
        }
        if (event.event === 'ready') resolve({ child, url: event.url, ready: event, log, exit });
      }
    });
    void exit.then((code) => reject(new Error(`${options.name ?? 'the server'} exited with ${code} before it was ready:\n${log.join('\n')}${buffered}`)));
  });
}
