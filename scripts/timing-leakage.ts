// The timing channel (design §7, issue 9 item 5) on the 2,000 Location evaluation queries with the
// paper's defense classifier: AUC of Phase I steps, of passes of g, and of single-query wall time
// as a membership score, for the default search, the paper-literal search and fixed work.
//
//   node --import tsx scripts/timing-leakage.ts [--repeats N] [--budget B]
import { timingLeakage } from '../src/attacks/timing.js';
import { MemGuard } from '../src/memguard/memguard.js';
import { FIXED_WORK_TICKS, type Phase1Options } from '../src/memguard/phase1.js';
import { phase1Workload } from './location-phase1-data.js';

const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const repeats = Number(arg('--repeats') ?? 1);
const budget = Number(arg('--budget') ?? FIXED_WORK_TICKS);
const { defense, logits, isMember } = await phase1Workload(console.log);
const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 131 + 7) & 0xff);
const configs: Array<[string, Phase1Options]> = [
  ['default (early stop)', {}], ['literal', { literal: true }], [`fixedWork ${budget}`, { fixedWork: budget }],
];
console.log('| search | steps AUC | passes AUC | wall-time AUC | ms/query members | ms/query non-members | rows cut by the budget |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, search] of configs) {
  const guard = new MemGuard({ defenseClassifier: defense, epsilon: 0.5, coin: { mode: 'key', key }, search });
  const leak = timingLeakage(guard, logits, isMember, { input: 'logits', repeats });
  const cut = guard.search(logits, 'logits').stop.filter((s) => s === 'budget').length;
  console.log(`| ${name} | ${leak.stepsAuc.toFixed(3)} | ${leak.ticksAuc.toFixed(3)} | ${leak.wallTimeAuc.toFixed(3)} | ` +
    `${leak.meanMs.members.toFixed(2)} | ${leak.meanMs.nonMembers.toFixed(2)} | ${search.fixedWork ? cut : '-'} |`);
}
