// The evaluation library: data, splits, CSV, metrics, metric attacks, results types and the report.
export * from './attacks.js';
export * from './csv.js';
export * from './datasets.js';
export * from './metrics.js';
export * from './report.js';
export * from './splits.js';
export * from './svg.js';
export * from './types.js';
