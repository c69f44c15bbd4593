// Plain-JS twins of assembly/nn/regularizers.ts over reference layers (src/reference/mlp.ts).
import type { ReferenceLayer } from './mlp.js';
import { nextUniform } from './random.js';

/** Adds lambda * W into each layer's weight gradient; returns lambda / 2 * sum W^2. */
export function weightDecay(layers: ReferenceLayer[], weightGrads: Float32Array[], lambda: number): number {
  let squares = 0;
  layers.forEach((layer, l) => {
    const g = weightGrads[l]!;
    for (let i = 0; i < layer.weight.length; i++) {
      squares += layer.weight[i]! * layer.weight[i]!;
      g[i] = g[i]! + lambda * layer.weight[i]!;
    }
  });
  return 0.5 * lambda * squares;
}

export function dropoutMasks(n: number, rate: number, rng: Uint32Array, mask: Float32Array): void {
  const keep = Math.fround(1 / (1 - rate));
  for (let i = 0; i < n; i++) mask[i] = nextUniform(rng) < Math.fround(rate) ? 0 : keep;
}
