#!/usr/bin/env node
// The `memguard` command line: dispatches to one module per command (src/cli/commands/).
// Exit codes: 0 success, 1 the command failed (bad data, missing file, library error), 2 it was
// called wrongly (unknown command or flag, bad flag value), 130/143 interrupted.
// Errors print as `memguard: <message>`; MEMGUARD_DEBUG=1 adds the stack trace.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageVersion, UsageError, wantsHelp, type CliContext, type CommandEntry } from './args.js';
import { removePendingFiles } from './io.js';

/** Every command, in the order `memguard --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo', summary: "run the paper's experiment on the bundled Location data and write the report",
    load: async () => (await import('./commands/demo.js')).demo,
  },
  {
    name: 'experiment', summary: "run the paper's evaluation protocol on your own tabular data (CSV) and write the report",
    load: async () => (await import('./commands/experiment.js')).experiment,
  },
  {
    name: 'compare', summary: 'MemGuard against every rival defense at matched utility, with a report',
    load: async () => (await import('./commands/compare.js')).compare,
  },
  {
    name: 'protect', summary: 'protect a CSV of confidence vectors (streamed) and write the released vectors',
    load: async () => (await import('./commands/protect.js')).protect,
  },
  {
    name: 'serve', summary: 'serve MemGuard over HTTP (micro-batched, for model servers in any language)', ownsSignals: true,
    load: async () => (await import('./commands/serve.js')).serve,
  },
  {
    name: 'train', summary: 'train a target model under a training-time defense (L2, DP-SGD, RelaxLoss, SELENA, ...) on your CSV',
    load: async () => (await import('./commands/train.js')).train,
  },
  {
    name: 'train-defense', summary: 'train the defense classifier g on member / non-member confidence vectors',
    load: async () => (await import('./commands/trainDefense.js')).trainDefense,
  },
  {
    name: 'export', summary: "convert a model file between memguard's JSON and ONNX",
    load: async () => (await import('./commands/export.js')).exportModel,
  },
  {
    name: 'evaluate', summary: 'run the attack suite on your own released vectors (shadow vs target CSV)',
    load: async () => (await import('./commands/evaluate.js')).evaluate,
  },
];

/** The `memguard --help` text: every command with its one-line summary. */
export function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: memguard <command> [options]

MemGuard (Jia et al., CCS 2019): a defense against membership-inference attacks that adds
label-preserving noise, within an L1 budget epsilon, to a classifier's confidence vectors.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Run 'memguard <command> --help' for a command's options.

Options:
  -h, --help     this help
  -v, --version  print the version

Results go to stdout, progress and errors to stderr. Exit codes: 0 success, 1 failure,
2 wrong usage. Set MEMGUARD_DEBUG=1 to print stack traces.
`;
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const debug = ctx.env.MEMGUARD_DEBUG === '1';
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      ctx.err(topHelp());
      return 2;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const sub = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      ctx.out(sub ? (await sub.load()).help : topHelp());
      return 0;
    }
    if (name === '--version' || name === '-v') {
      ctx.out(`memguard ${packageVersion()}\n`);
      return 0;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) {
      const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
      ctx.err(`memguard: ${what}; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see memguard --help)\n`);
      return 2;
    }
    const command = await entry.load();
    if (wantsHelp(rest)) { ctx.out(command.help); return 0; }
    return await command.run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      const cmd = err.command ? `memguard ${err.command}` : 'memguard';
      ctx.err(`${cmd}: ${err.message}\nRun '${cmd} --help' for usage.\n`);
      if (debug) ctx.err(`${err.stack}\n`);
      return 2;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    ctx.err(`memguard: ${e.message}\n`);
    if (debug) ctx.err(`${e.stack}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(import.meta.url)) === realpathSync(script);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // A closed stdout (e.g. `memguard demo | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  // A command that owns the signals (serve: drain, then exit 0) installs its own handlers.
  const owns = COMMANDS.find((c) => c.name === process.argv[2])?.ownsSignals === true;
  for (const [signal, code] of owns ? [] : [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      removePendingFiles();
      process.stderr.write(`\nmemguard: interrupted (${signal}); no partial output was left behind\n`);
      process.exit(code);
    });
  }
  const ctx: CliContext = {
    out: (text) => { process.stdout.write(text); },
    err: (text) => { process.stderr.write(text); },
    env: process.env,
    progressStream: process.stderr,
  };
  process.exitCode = await main(process.argv.slice(2), ctx);
}
