// memguard: the MemGuard defense against membership inference (Jia et al., CCS 2019) in
// TypeScript + WebAssembly. This is the package's public surface.

// The defense
export { MemGuard } from './memguard/memguard.js';
export type { MemGuardOptions, ProtectOptions, ProtectResult, SearchJob, SearchResult } from './memguard/memguard.js';
export { ReleaseCoin, KEY_BYTES, COARSE_DEFAULTS, keyProblem, siphash24 } from './memguard/coin.js';
export type { CoarseKeying, CoinOptions, QueryRef, QueryBatch } from './memguard/coin.js';
export { mixingProbability } from './memguard/phase2.js';
export type { MixingMode } from './memguard/phase2.js';
export { PHASE1_DEFAULTS, FIXED_WORK_TICKS, FAST_STALL_STEPS } from './memguard/phase1.js';
export type { Phase1Batch, Phase1Method, Phase1Mode, Phase1Options, Phase1Status, Phase1Stop } from './memguard/phase1.js';
export {
  trainDefenseClassifier, trainMembershipClassifier, membershipProbability, sortRows, DEFENSE_CLASSIFIER_DEFAULTS,
} from './memguard/defenseClassifier.js';
export type { MembershipClassifierOptions } from './memguard/defenseClassifier.js';

// The engine
export { Mlp, ACTIVATIONS } from './nn/mlp.js';
export type {
  Activation, DpOptions, EpochInfo, FitJob, FitOptions, FitResult, FitTargets, GradientOf, Layer, LayerParameters, LossBatch, Optimizer,
} from './nn/mlp.js';
export { Trainer } from './nn/trainer.js';
export type { StepLoss, TrainerOptions } from './nn/trainer.js';
export { dpEpsilon, noiseMultiplierFor, rdpSampledGaussian, RDP_ORDERS } from './privacy/accountant.js';
export type { DpAccounting } from './privacy/accountant.js';
export { serializeModel, parseModel, loadModel, MODEL_FORMAT, MODEL_VERSION } from './nn/modelFile.js';
export type { ModelFile } from './nn/modelFile.js';
export { setNdarrayFactory } from './nn/matrix.js';
export type {
  MatrixInput, MatrixOutput, NdArrayLike, NdarrayFactory, NdarrayOutput, NdarrayOutputTypes, VectorInput,
} from './nn/matrix.js';
export { loadEngine, initEngine, defaultEngine, setDefaultEngine, simdSupported, relaxedSimdSupported, resolveBuild, Engine } from './wasm/engine.js';
export type { Build, ResolvedBuild, EngineOptions } from './wasm/engine.js';
export { Random } from './random.js';
export { MemGuardInputError, MemGuardFormatError, MemGuardWasmError } from './errors.js';

// Training-time defenses (design §10): one entry point, one registry, one file per recipe
export { trainTarget } from './defenses/train.js';
export type { TrainTargetOptions, TrainedTarget } from './defenses/train.js';
export { DEFENSES, DEFENSE_NAMES } from './defenses/registry.js';
export type { DefenseName } from './defenses/registry.js';
export type {
  DefenseRecipe, DpGuarantee, Knob, LabeledRows, RecipeContext, RecipeDetails, RecipeResult, TargetTraining, TrainProgress,
} from './defenses/recipe.js';
export { StackedModel, serializePredictor, loadPredictor, sideBySide, STACK_FORMAT } from './defenses/predictor.js';
export type { Predictor } from './defenses/predictor.js';
export { hampLabel } from './defenses/hamp.js';
export { selenaExclusions } from './defenses/selena.js';

// Evaluation (attacks, metrics, report): runtime-neutral parts. Node-only helpers (dataset files,
// CSV files, experiment outputs, worker threads) are in 'memguard/node'.
export * from './attacks/confidence.js';
export * from './attacks/metricAttacks.js';
export * from './attacks/metrics.js';
export type { AttackSummary, HistogramData, MembershipHistogram, RocPoints } from './attacks/summary.js';
export * from './experiment/results.js';
export { renderReport } from './report/html.js';
export type { ReportOptions } from './report/html.js';
export { formatConsoleTable } from './report/console.js';
export { trainNnAttack, nnAttack, NN_ATTACK_DEFAULTS } from './attacks/nnAttack.js';
export * from './attacks/nnAdversarial.js';
export * from './attacks/nnRounded.js';
export * from './attacks/noiseRobustness.js';
export { runAttackSuite } from './attacks/suite.js';
export * from './attacks/nearDuplicate.js';
export { timingLeakage } from './attacks/timing.js';
export type { TimingLeakage, TimingLeakageOptions } from './attacks/timing.js';
export type { MoreAttacks, ReleasedSet } from './attacks/suite.js';
export { locationSplits, LOCATION_SPLITS, take, takeRows, membershipRows } from './data/splits.js';
export { computeVerdict, FLOOR_ATTACKS, labelOnlyFloor, VERDICT_METRICS } from './experiment/verdict.js';
export type { LabelOnlyFloor, Verdict, VerdictCell, VerdictFlag, VerdictMetric, VerdictRow, VerdictTable, VerdictValue } from './experiment/verdict.js';
export type { LiraAttack, LiraReference } from './attacks/lira.js';
export type { NearDuplicateCoinResult, NearDuplicateConfig, NearDuplicateResult } from './experiment/nearDuplicates.js';
export { TIMING_SEARCHES } from './experiment/timing.js';
export type { TimingResult, TimingRow, TimingSearch } from './experiment/timing.js';
export { combineRepeats, meanInterval } from './experiment/repeats.js';
export type { MembershipRows, PositionRange, SplitName, Splits } from './data/splits.js';

// Post-hoc rivals of MemGuard (design §10), with MemGuard through the same call shape
export { POSTHOC_NAMES } from './posthoc/defense.js';
export type { PostHocDefense, PostHocName, PostHocOptions, PostHocResult } from './posthoc/defense.js';
export { memGuardDefense } from './posthoc/memguardDefense.js';
export { UniformMixing, UNIFORM_LEAD } from './posthoc/uniform.js';
export type { UniformMixingOptions } from './posthoc/uniform.js';
export { TemperatureScaling, MAX_TEMPERATURE } from './posthoc/temperature.js';
export type { TemperatureOptions, TemperatureResult } from './posthoc/temperature.js';
export { HampOutput } from './posthoc/hampOutput.js';
export type { HampOutputOptions } from './posthoc/hampOutput.js';
export { Rounding } from './posthoc/rounding.js';
export type { RoundingOptions } from './posthoc/rounding.js';
export { TopK } from './posthoc/topK.js';
export type { TopKOptions } from './posthoc/topK.js';
export { LabelOnly } from './posthoc/labelOnly.js';
export type { LabelOnlyOptions } from './posthoc/labelOnly.js';
