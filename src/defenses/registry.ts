// Every training-time defense of design §10 by its name (the `memguard train --defense` names), with
// its knobs, their design §10 grids and defaults, and a one-line description. Each recipe lives in its
// own file; this is the one list of them.
import { advreg } from './advreg.js';
import { confidencePenalty } from './confidencePenalty.js';
import { dmp } from './dmp.js';
import { dpSgd } from './dpSgd.js';
import { dropout } from './dropout.js';
import { earlyStopping } from './earlyStopping.js';
import { hamp } from './hamp.js';
import { l2 } from './l2.js';
import { labelSmoothing } from './labelSmoothing.js';
import { none } from './none.js';
import type { DefenseRecipe } from './recipe.js';
import { relaxloss } from './relaxloss.js';
import { selena } from './selena.js';
import { stacking } from './stacking.js';

/**
 * The names of the training-time defenses, in the order design §10 lists them (`none` first).
 *
 * @example
 * console.log(DEFENSE_NAMES.includes('dp-sgd')); // true
 */
export const DEFENSE_NAMES = [
  'none', 'l2', 'dropout', 'label-smoothing', 'confidence-penalty', 'early-stopping', 'advreg', 'dp-sgd',
  'relaxloss', 'hamp', 'selena', 'dmp', 'stacking',
] as const;

/**
 * A training-time defense's name.
 *
 * @example
 * const defense: DefenseName = 'relaxloss';
 */
export type DefenseName = (typeof DEFENSE_NAMES)[number];

/**
 * Every training-time defense (design §10) by name: its description, knobs (grid and default) and recipe.
 *
 * @example
 * for (const name of DEFENSE_NAMES) console.log(name, DEFENSES[name].knobs.map((k) => `${k.name}=${k.default}`).join(' '));
 */
export const DEFENSES: Readonly<Record<DefenseName, DefenseRecipe>> = Object.freeze({
  none, l2, dropout, 'label-smoothing': labelSmoothing, 'confidence-penalty': confidencePenalty,
  'early-stopping': earlyStopping, advreg, 'dp-sgd': dpSgd, relaxloss, hamp, selena, dmp, stacking,
});
