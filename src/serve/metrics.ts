// The server's metrics in the Prometheus text exposition format (version 0.0.4): counters end in
// `_total`, histograms expose cumulative `_bucket{le=...}`, `_sum` and `_count`.

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
}

interface Metric {
  render(): string;
}

/** A monotonically increasing count, one series per label set. */
export class Counter implements Metric {
  private readonly series = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }

  value(labels: Labels = {}): number {
    return this.series.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.series.size === 0) lines.push(`${this.name} 0`);
    for (const [labels, v] of this.series) lines.push(`${this.name}${labels} ${num(v)}`);
    return lines.join('\n');
  }
}

/** A value read when the metrics are scraped. */
export class Gauge implements Metric {
  constructor(readonly name: string, readonly help: string, private readonly read: () => number, private readonly labels: Labels = {}) {}

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name}${labelText(this.labels)} ${num(this.read())}`].join('\n');
  }
}

/** Observations counted into fixed upper bounds (cumulative, as Prometheus expects). */
export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length).fill(0);
  }

  observe(x: number): void {
    this.sum += x;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (x <= this.bounds[i]!) this.counts[i]!++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

/** Every metric the server exposes on GET /metrics. */
export class ServerMetrics {
  readonly requests = new Counter('memguard_requests_total', 'HTTP requests answered, by route and status code.');
  readonly rows = new Counter('memguard_rows_total', 'Rows protected (answered with 200).');
  readonly errors = new Counter('memguard_errors_total', 'Error responses, by error code.');
  readonly noiseReleased = new Counter('memguard_noise_released_total', "Rows answered with MemGuard's noise (s + r) rather than s.");
  readonly lateResponses = new Counter('memguard_late_responses_total',
    'Protect responses ready only after their fixed deadline (--fixed-latency-ms), sent late: their timing is not hidden.');
  readonly overrun = new Histogram('memguard_deadline_overrun_seconds',
    'How long after its fixed deadline each protect response actually left (timer and event-loop delay), in seconds.',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
  readonly clientGone = new Counter('memguard_client_disconnects_total', 'Requests whose client closed the connection before the answer.');
  readonly latency = new Histogram('memguard_request_duration_seconds', 'Protect requests (/v1/protect, V2 infer, V1 predict) from arrival to response, in seconds.',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  readonly batchRows = new Histogram('memguard_batch_rows', 'Rows per shared Phase I batch.', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
  private readonly gauges: Gauge[] = [];

  /** Adds a gauge read at scrape time (queue length, deadline, ...). */
  gauge(name: string, help: string, read: () => number, labels: Labels = {}): void {
    this.gauges.push(new Gauge(name, help, read, labels));
  }

  /** The exposition text. */
  render(): string {
    const all: Metric[] = [this.requests, this.rows, this.errors, this.noiseReleased, this.lateResponses, this.overrun, this.clientGone,
      this.latency, this.batchRows, ...this.gauges];
    return all.map((m) => m.render()).join('\n') + '\n';
  }
}
