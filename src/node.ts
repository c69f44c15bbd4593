// memguard/node: the Node-only parts (files, the bundled dataset, the experiment, worker threads),
// plus everything in 'memguard/ndarray' (the main API, ndarray results for ndarray inputs).
export * from './ndarray.js';
export { loadLocation, readShuffleIndex, LOCATION, LOCATION_DIR } from './data/datasets.js';
export {
  loadFashionMnist, fashionMnistSplits, FASHION_MNIST, FASHION_MNIST_DIR, FASHION_MNIST_HELD_OUT, FASHION_MNIST_NAME,
  FASHION_MNIST_SHA256, FASHION_MNIST_SPLITS,
} from './data/fashionMnist.js';
export { FASHION_MNIST_CONFIG, FASHION_MNIST_TARGET } from './experiment/fashionMnist.js';
export type { Dataset } from './data/datasets.js';
export { CsvTokenizer } from './data/csv/tokenizer.js';
export type { RecordSink } from './data/csv/tokenizer.js';
export { parseNumberCell, quoteCsvField, formatFloat32 } from './data/csv/cells.js';
export { parseCsv, formatCsv } from './data/csv/table.js';
export type { CsvTable, CsvOptions } from './data/csv/table.js';
export { readCsvBatches } from './data/csv/stream.js';
export type { CsvSource, CsvBatch, CsvStreamOptions } from './data/csv/stream.js';
export { parseFeatureCsv, readFeatureCsv } from './data/csv/features.js';
export type { FeatureTable, FeatureCsvOptions } from './data/csv/features.js';
export {
  parseScoresCsv, readScoresCsv, scoresCsvHeader, formatScoresCsv, writeScoresCsv, readScoresCsvBatches, ScoresCsvWriter,
} from './data/csv/scores.js';
export type { ScoresTable, ScoresBatch } from './data/csv/scores.js';
export { readTextFile, writeFileAtomic } from './data/files.js';
export { runExperiment, PAPER_CONFIG, QUICK_CONFIG } from './experiment/run.js';
export type {
  ExperimentConfig, ExperimentOptions, ExperimentOutput, ProgressEvent, ReleasedExport, TrainingConfig,
} from './experiment/run.js';
export { writeExperiment } from './report/experimentOutput.js';

export { WorkerPool } from './parallel/pool.js';
export type { WorkerPoolOptions } from './parallel/pool.js';
export type { WorkerMemory } from './parallel/tasks.js';
export { protectAsync, protectParallel, fitParallel, PARALLEL_MIN_ROWS } from './parallel/protect.js';
export type { ParallelOptions } from './parallel/protect.js';
