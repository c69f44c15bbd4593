// Shared command-line plumbing: the command interface, flag parsing on top of `node:util`
// parseArgs (strict: an unknown flag or a stray argument is a usage error), value parsers that name
// the flag and the offending value, and the usage error (exit code 2) that main.ts reports.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called (unknown flag, bad or missing value): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The command whose `--help` the message points to ('' for the top level). */
  command = '';
}

/** What a command reads and writes besides its files; main.ts passes the real process's. */
export interface CliContext {
  /** Results (tables, paths written): stdout, so they can be piped. */
  out(text: string): void;
  /** Diagnostics and warnings: stderr. */
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The stream progress bars are drawn on (stderr). */
  progressStream: NodeJS.WriteStream;
}

/** One `memguard <name>` command: what its module (src/cli/commands/) exports. */
export interface Command {
  name: string;
  /** The full `memguard <name> --help` text. */
  help: string;
  /**
   * Runs the command on its arguments (after the command name); resolves to the exit code.
   * `--help` / `-h` never reaches here: the dispatcher prints `help` instead.
   */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

/**
 * A command as `memguard --help` lists it. Its module loads only when it runs: each command's
 * dependencies (the report, the HTTP server, training) would otherwise load on every start.
 */
export interface CommandEntry {
  name: string;
  /** One line for `memguard --help`. */
  summary: string;
  /** True when the command handles SIGINT/SIGTERM itself (the server drains); main.ts then leaves them alone. */
  ownsSignals?: boolean;
  load(): Promise<Command>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** True when the arguments ask for help (checked before strict parsing, so `--help` always works). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Parses `argv` strictly against `options`: no positional arguments, no unknown flags, every
 * string flag needs a value. Errors become `UsageError`s naming the flag.
 */
export function parseFlags<T extends OptionSpec>(command: string, argv: string[], options: T): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return { ...values } as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw usage(command, translateParseError(command, err as Error & { code?: string }));
  }
}

function translateParseError(command: string, err: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = quoted ?? '?';
      if ((command === 'protect' || command === 'serve') && flag === '--key') {
        return 'the key is never taken from the command line (it would show in the process list and the shell history): ' +
          'use --key-file FILE or the MEMGUARD_KEY environment variable';
      }
      return `unknown option ${flag}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted ?? '')} (every input is given by a flag)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted?.split(' ')[0];
      if (/argument missing/.test(err.message)) return `${flag ?? 'an option'} needs a value`;
      if (/does not take an argument/.test(err.message)) return `${flag ?? 'an option'} does not take a value`;
      if (/ambiguous/.test(err.message)) {
        return `${flag ?? 'an option'} needs a value; to give a value starting with '-', write ${flag ?? '--option'}=VALUE`;
      }
      return err.message;
    }
    default:
      return err.message;
  }
}

/** A `UsageError` for `command`. */
export function usage(command: string, message: string): UsageError {
  const e = new UsageError(message);
  e.command = command;
  return e;
}

/** The value of a flag that must be given. */
export function required(command: string, values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw usage(command, `--${flag} is required`);
  return v;
}

/** A string flag's value, or undefined. */
export function optional(values: Record<string, unknown>, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
}

/** A number (finite decimal); `inf`/`infinity` too when `allowInfinity`. Range checked with `min`. */
export function parseNumberFlag(
  command: string, flag: string, text: string, opts: { min?: number; exclusiveMin?: boolean; allowInfinity?: boolean } = {},
): number {
  const t = text.trim().toLowerCase();
  let v: number;
  if (opts.allowInfinity && (t === 'inf' || t === 'infinity' || t === '+inf')) v = Infinity;
  else if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) v = Number(t);
  else throw usage(command, `--${flag} must be a number${opts.allowInfinity ? " (or 'inf')" : ''}, got ${JSON.stringify(text)}`);
  if (!opts.allowInfinity && !Number.isFinite(v)) throw usage(command, `--${flag} must be finite, got ${JSON.stringify(text)}`);
  if (opts.min !== undefined && (opts.exclusiveMin ? !(v > opts.min) : !(v >= opts.min))) {
    throw usage(command, `--${flag} must be ${opts.exclusiveMin ? '>' : '>='} ${opts.min}, got ${text}`);
  }
  return v;
}

/** An integer within [min, max]. */
export function parseIntFlag(command: string, flag: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const v = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v)) throw usage(command, `--${flag} must be an integer, got ${JSON.stringify(text)}`);
  if (v < min || v > max) {
    throw usage(command, `--${flag} must be ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`}, got ${v}`);
  }
  return v;
}

/** A comma-separated list of numbers (e.g. `--epsilons 0,0.1,inf`); at least one. */
export function parseNumberList(
  command: string, flag: string, text: string, each: (item: string) => number,
): number[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) {
    throw usage(command, `--${flag} must be a comma-separated list of numbers, got ${JSON.stringify(text)}`);
  }
  return items.map(each);
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(command: string, flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw usage(command, `--${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

/** A path given by `--flag` that must name an existing regular file (a runtime error otherwise). */
export function existingFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new Error(`--${flag} ${path}: no such file`);
  if (!statSync(path).isFile()) throw new Error(`--${flag} ${path}: not a regular file`);
  return path;
}

/** Formats seconds for people: `0.84 s`, `12.3 s`, `4 min 05 s`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s - 60 * m)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The package's version (from package.json), or 'unknown'. */
export function packageVersion(): string {
  try {
    // src/cli/args.ts and dist/cli/args.js both sit two levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
