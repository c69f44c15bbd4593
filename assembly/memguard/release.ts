// Phase II's release candidates: s + r per row, repaired to a valid confidence vector (design §5).
import { repairRelease } from './simplex';

/**
 * out row = a valid release of s + noise for each of `rows` rows of width k (original order):
 * kept as is, projected keeping the argmax, or s itself when neither is valid. codes (int32 per
 * row): 0 kept, 1 projected, 2 fell back to s. scratch: k floats. One call per batch.
 */
export function releaseCandidates(rows: i32, k: i32, s: usize, noise: usize, scratch: usize, out: usize, codes: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * k) << 2;
    for (let j = 0; j < k; j++) {
      const p = o + (<usize>j << 2);
      store<f32>(out + p, load<f32>(s + p) + load<f32>(noise + p));
    }
    store<i32>(codes + (<usize>r << 2), repairRelease(k, s + o, out + o, scratch, out + o));
  }
}
