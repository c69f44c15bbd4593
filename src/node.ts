// memguard/node: the Node-only parts (files, the bundled dataset, the experiment, worker threads).
export * from './index.js';
export { loadLocation, readShuffleIndex, LOCATION, LOCATION_DIR } from './eval/datasets.js';
export type { Dataset } from './eval/datasets.js';
export * from './eval/csv.js';
export { runExperiment, PAPER_CONFIG, QUICK_CONFIG } from './eval/experiment.js';
export type { ExperimentConfig, ExperimentOptions, ExperimentOutput, ProgressEvent, TrainingConfig } from './eval/experiment.js';
export { writeExperiment } from './eval/experimentFiles.js';
export { WorkerPool } from './parallel/pool.js';
export type { WorkerPoolOptions } from './parallel/pool.js';
export { protectAsync, protectParallel, fitParallel, PARALLEL_MIN_ROWS } from './parallel/protect.js';
export type { ParallelOptions } from './parallel/protect.js';
