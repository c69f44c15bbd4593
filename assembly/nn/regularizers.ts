// Weight decay and dropout over an MLP's descriptor table (assembly/nn/mlp.ts), once per batch.
import { nextUniform } from './random';

const DESC_INTS: i32 = 8;

@inline function field(desc: usize, layer: i32, i: i32): i32 {
  return load<i32>(desc + (<usize>(layer * DESC_INTS + i) << 2));
}

/**
 * L2 on the weights only (biases are not decayed, as in the usual "weight decay" of the papers
 * design §10 follows): adds lambda * W into every layer's weight gradient and returns the loss term
 * lambda / 2 * sum W^2. Call after mlpBackward has written the gradients.
 */
export function weightDecay(desc: usize, nLayers: i32, lambda: f32): f64 {
  let squares: f64 = 0;
  for (let l = 0; l < nLayers; l++) {
    const n = field(desc, l, 0) * field(desc, l, 1);
    const w = <usize>field(desc, l, 3), g = <usize>field(desc, l, 5);
    let layerSquares: f32 = 0;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      const wi = load<f32>(w + o);
      layerSquares += wi * wi;
      store<f32>(g + o, load<f32>(g + o) + lambda * wi);
    }
    squares += <f64>layerSquares;
  }
  return 0.5 * <f64>lambda * squares;
}

/**
 * Inverted-dropout masks for n activations: each entry is 0 with probability `rate`, else
 * 1 / (1 - rate), so the expected activation is unchanged. Uniforms from the sfc32 state at `rng`.
 */
export function dropoutMasks(n: i32, rate: f32, rng: usize, mask: usize): void {
  const keep: f32 = 1 / (1 - rate);
  for (let i = 0; i < n; i++) store<f32>(mask + (<usize>i << 2), nextUniform(rng) < <f64>rate ? 0 : keep);
}
