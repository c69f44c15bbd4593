// A synthetic evaluation-results object (two mixing modes, three budgets, seeded attack summaries)
// for the report and results-file tests.
import { histogram, summarize, toAttackSummary } from '../../src/attacks/metrics.js';
import type { EpsilonResult, EvaluationResults, MixingMode } from '../../src/experiment/results.js';
import { randomArray } from '../helpers.js';

function summaryFor(separation: number, seed: number, sampled?: number) {
  const n = 400;
  const m = Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 : 0));
  const s = Array.from(randomArray(n, seed, 0, 1), (v, i) => v + (m[i] ? separation : 0));
  return toAttackSummary(summarize(s, m, { threshold: 0.5 + separation / 2 }), { sampledAccuracy: sampled, maxRocPoints: 64 });
}

export function makeResults(attackNames: string[]): EvaluationResults {
  const runs: EpsilonResult[] = [];
  const epsilons = [0, 0.5, 1];
  const hist = (shift: number) => ({
    members: histogram(Array.from(randomArray(300, 3, 0.5 + shift, 1)), { bins: 20 }),
    nonMembers: histogram(Array.from(randomArray(300, 4, 0.2, 1)), { bins: 20 }),
  });
  for (const mixing of ['paper', 'exact'] as MixingMode[]) {
    epsilons.forEach((epsilon, e) => {
      const attacks: EpsilonResult['attacks'] = {};
      attackNames.forEach((a, j) => { attacks[a] = summaryFor(0.6 - 0.25 * e, 10 * e + j + (mixing === 'exact' ? 100 : 0), 0.6); });
      runs.push({
        epsilon, mixing, attacks, labelLoss: 0, meanPhase1Distortion: 0.33, meanP: Math.min(1, epsilon / 0.33),
        meanReleasedDistortion: Math.min(epsilon, 0.33), topConfidence: hist(-0.1 * e), seconds: 1.5,
      });
    });
  }
  return {
    version: 1,
    title: 'Location run',
    createdAt: '2025-01-01T00:00:00Z',
    config: { dataset: 'location', epsilons, mixingModes: ['paper', 'exact'], seeds: { target: 1, coin: 2 }, optimizer: 'paper' },
    models: { targetTrain: 1, targetTest: 0.62, shadowTrain: 1, shadowTest: 0.55 },
    runs,
    undefendedTopConfidence: hist(0),
    notes: ['synthetic results for the report test'],
  };
}
