// Progress on stderr, so stdout stays clean for results:
// - stderr is a terminal: one line, redrawn in place with `\r`: stage, bar, done/total, elapsed, ETA;
// - stderr is a pipe or a file: at most one line per stage, when the stage first appears;
// - `--quiet`: nothing.
// A command whose stages differ in length (compare) also passes the share of the whole job done:
// then the bar ends with the whole job's time left, and a pipe gets a line at every tenth of it.
import { formatSeconds } from './args.js';

export type ProgressMode = 'bar' | 'lines' | 'off';

export interface ProgressOptions {
  /** Suppresses all progress output. */
  quiet?: boolean;
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Force a mode (default: 'bar' on a TTY, else 'lines'; 'off' when quiet). */
  mode?: ProgressMode;
  /** Minimum milliseconds between redraws of the bar (default 100). */
  interval?: number;
}

const BAR_WIDTH = 20;

/**
 * A progress reporter for long-running commands.
 *
 * @example
 * const progress = new Progress({ quiet: values.quiet === true });
 * for (let e = 1; e <= epochs; e++) { train(); progress.update('train defense classifier', e, epochs); }
 * progress.finish();
 */
export class Progress {
  readonly mode: ProgressMode;
  private readonly stream: NodeJS.WriteStream;
  private readonly interval: number;
  private readonly start = performance.now();
  private stage = '';
  private stageStart = 0;
  /** When the last event arrived: a new stage began then (its first event comes after a step). */
  private lastEvent = this.start;
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly seen = new Set<string>();
  /** Tenths of the whole job already announced on a pipe. */
  private tenths = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.mode = options.quiet ? 'off' : options.mode ?? (this.stream.isTTY ? 'bar' : 'lines');
    this.interval = options.interval ?? 100;
  }

  /**
   * Reports `done` of `total` steps of `stage` (`total` undefined: a plain counter); `overall`, the
   * share of the whole job done (0 to 1), when the command can estimate it.
   */
  update(stage: string, done: number, total?: number, overall?: number): void {
    if (this.mode === 'off') return;
    const now = performance.now();
    const changed = stage !== this.stage;
    if (changed) {
      this.stage = stage;
      this.stageStart = this.lastEvent;
    }
    this.lastEvent = now;
    const left = timeLeft((now - this.start) / 1000, overall);
    if (this.mode === 'lines') {
      const at = `[${formatSeconds((this.stageStart - this.start) / 1000).padStart(8)}]`;
      if (!this.seen.has(stage)) {
        this.seen.add(stage);
        this.stream.write(`${at} ${stage}${left}\n`);
      }
      const tenths = overall === undefined ? 0 : Math.floor(Math.min(1, overall) * 10 + 1e-9);
      if (tenths > this.tenths && tenths < 10) {
        this.tenths = tenths;
        this.stream.write(`[${formatSeconds((now - this.start) / 1000).padStart(8)}] ${tenths * 10} % of the whole run${left}\n`);
      }
      return;
    }
    const finished = total !== undefined && done >= total;
    if (!changed && !finished && now - this.lastDraw < this.interval) return;
    this.lastDraw = now;
    this.draw(this.render(stage, done, total, (now - this.stageStart) / 1000, left));
  }

  /** Prints a whole line on the progress stream without breaking the bar (the bar redraws later). */
  log(line: string): void {
    if (this.mode === 'off') return;
    this.clear();
    this.stream.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** Removes the bar (call before printing results). */
  finish(): void {
    this.clear();
  }

  /** The bar's text for one state (exported for tests through the instance). */
  render(stage: string, done: number, total: number | undefined, elapsed: number, left = ''): string {
    const columns = this.stream.columns;
    const width = columns !== undefined && columns >= 20 ? columns - 1 : 100;
    if (total === undefined || !(total > 0)) return fit(stage, `  ${done}  ${formatSeconds(elapsed)}${left}`, width);
    const f = Math.max(0, Math.min(1, done / total));
    const full = Math.round(f * BAR_WIDTH);
    const bar = `  [${'#'.repeat(full)}${'.'.repeat(BAR_WIDTH - full)}]`;
    const eta = done > 0 && done < total ? `, ETA ${formatSeconds((elapsed * (total - done)) / done)}` : '';
    const numbers = `  ${done}/${total}  ${formatSeconds(elapsed)}${eta}${left}`;
    // On a narrow terminal, shorten the stage name, then drop the bar; the numbers stay whole.
    return stage.length + bar.length + numbers.length <= width || width - bar.length - numbers.length >= 16
      ? fit(stage, bar + numbers, width)
      : fit(stage, numbers, width);
  }

  private draw(text: string): void {
    this.stream.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) {
      this.stream.write('\r\x1b[2K');
      this.drawn = false;
      this.lastDraw = -Infinity;
    }
  }
}

/** `, about X left in all` from the job's elapsed seconds and share done; '' before there is a share to go on. */
function timeLeft(elapsed: number, overall: number | undefined): string {
  if (overall === undefined || !(overall > 0.005) || overall >= 1) return '';
  return `, about ${formatSeconds((elapsed * (1 - overall)) / overall)} left in all`;
}

/** `stage + tail` within `width` columns, shortening the stage name first. */
function fit(stage: string, tail: string, width: number): string {
  const room = width - tail.length;
  if (stage.length <= room) return stage + tail;
  if (room >= 8) return stage.slice(0, room - 1) + '…' + tail;
  return (stage + tail).slice(0, width);
}
