// Multi-layer perceptron forward and backward over a descriptor table (docs/architecture.md):
// per layer 8 int32 [in, out, activation, wPtr, bPtr, gwPtr, gbPtr, maskPtr], weights [in][out].
// maskPtr (0 = none) is a hidden layer's inverted-dropout mask, batch x out, set only while training.
import { gemm } from '../blas/gemm';
import { broadcastRow, columnSum } from '../blas/vector';
import { activate, activateBackward, LINEAR, RELU, SIGMOID } from './activations';

const DESC_INTS: i32 = 8;

@inline export function field(desc: usize, layer: i32, i: i32): i32 {
  return load<i32>(desc + (<usize>(layer * DESC_INTS + i) << 2));
}

/** Float offset of layer `layer`'s output block inside `acts`. */
@inline export function actsOffset(desc: usize, layer: i32, batch: i32): usize {
  let floats = 0;
  for (let i = 0; i < layer; i++) floats += field(desc, i, 1);
  return <usize>(floats * batch) << 2;
}

/**
 * Forward pass. Hidden layers keep their activated output in `acts`; the last layer keeps its
 * pre-activation logits (apply the head separately), because losses and the defense's logit h
 * are computed from them.
 */
export function mlpForward(desc: usize, nLayers: i32, batch: i32, x: usize, acts: usize): void {
  // The TS side validates shapes; this guards the ABI itself (and shows aborts reach JS as errors).
  assert(nLayers > 0 && batch >= 0, 'mlpForward: needs at least one layer and a non-negative batch');
  let input = x;
  let out = acts;
  for (let l = 0; l < nLayers; l++) {
    const nIn = field(desc, l, 0), nOut = field(desc, l, 1);
    broadcastRow(batch, nOut, <usize>field(desc, l, 4), out);
    gemm(0, 0, batch, nOut, nIn, 1, input, nIn, <usize>field(desc, l, 3), nOut, 1, out, nOut);
    if (l < nLayers - 1) {
      activate(field(desc, l, 2), batch, nOut, out);
      const mask = <usize>field(desc, l, 7);
      if (mask) applyMask(batch * nOut, mask, out);
    }
    input = out;
    out += <usize>(batch * nOut) << 2;
  }
}

/**
 * Backward pass from dLogits (gradient w.r.t. the last layer's logits; not modified). Writes
 * parameter gradients (overwriting) when paramGrads != 0 and the input gradient into dx when
 * dx != 0. scratch: 2 * batch * (widest layer) floats.
 */
export function mlpBackward(
  desc: usize, nLayers: i32, batch: i32, x: usize, acts: usize,
  dLogits: usize, dx: usize, paramGrads: i32, scratch: usize,
): void {
  let width = 0;
  for (let l = 0; l < nLayers; l++) width = max(width, max(field(desc, l, 0), field(desc, l, 1)));
  let d = scratch;
  let next = scratch + (<usize>(batch * width) << 2);
  const last = nLayers - 1;
  memory.copy(d, dLogits, <usize>(batch * field(desc, last, 1)) << 2);
  for (let l = last; l >= 0; l--) {
    const nIn = field(desc, l, 0), nOut = field(desc, l, 1);
    const input = l == 0 ? x : acts + actsOffset(desc, l - 1, batch);
    if (paramGrads) {
      gemm(1, 0, nIn, nOut, batch, 1, input, nIn, d, nOut, 0, <usize>field(desc, l, 5), nOut);
      columnSum(batch, nOut, d, <usize>field(desc, l, 6));
    }
    if (l == 0 && !dx) break;
    const target = l == 0 ? dx : next;
    gemm(0, 1, batch, nIn, nOut, 1, d, nOut, <usize>field(desc, l, 3), nOut, 0, target, nIn);
    if (l > 0) {
      hiddenBackward(desc, l - 1, batch, input, target);
      next = d;
      d = target;
    }
  }
}

/** Applies the head activation to logits (rows x cols) into y; y may alias logits. */
export function applyHead(act: i32, rows: i32, cols: i32, logits: usize, y: usize): void {
  if (y != logits) memory.copy(y, logits, <usize>(rows * cols) << 2);
  activate(act, rows, cols, y);
}

/** x *= mask elementwise (dropout on a hidden layer's activated output). */
function applyMask(n: i32, mask: usize, x: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), v128.load(mask + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * load<f32>(mask + o));
  }
}

/**
 * d(output of hidden layer l) -> d(its pre-activation) in place, given its stored output y (masked
 * when the layer has a dropout mask: then d is masked too and the activation's derivative is taken
 * at the unmasked output y / mask).
 */
export function hiddenBackward(desc: usize, l: i32, batch: i32, y: usize, d: usize): void {
  const act = field(desc, l, 2), nOut = field(desc, l, 1);
  const mask = <usize>field(desc, l, 7);
  if (!mask) { activateBackward(act, batch, nOut, y, d); return; }
  const n = batch * nOut;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m = load<f32>(mask + o);
    let g: f32 = 0;
    if (m != 0) {
      const v = load<f32>(y + o) / m;
      g = load<f32>(d + o) * m;
      if (act == RELU) g = v > 0 ? g : 0;
      else if (act == SIGMOID) g *= v * (1 - v);
      else assert(act == LINEAR, 'dropout on a softmax hidden layer');
    }
    store<f32>(d + o, g);
  }
}
