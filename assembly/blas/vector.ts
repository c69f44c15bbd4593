// Row/column helpers around gemm: broadcasting a bias, summing columns, gathering rows.

/** Every row of y (rows x cols) = bias (cols): the start value a gemm with beta = 1 adds onto. */
export function broadcastRow(rows: i32, cols: i32, bias: usize, y: usize): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) memory.copy(y + <usize>r * bytes, bias, bytes);
}

/** out[j] = sum over rows of x[r][j] (the bias gradient). */
export function columnSum(rows: i32, cols: i32, x: usize, out: usize): void {
  memory.fill(out, 0, <usize>cols << 2);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * cols) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(xr + o)));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(xr + o));
    }
  }
}

/** dst row i = src row index[i] (int32 indices), each row `cols` floats. */
export function gatherRows(cols: i32, src: usize, index: usize, count: i32, dst: usize): void {
  const bytes = <usize>cols << 2;
  for (let i = 0; i < count; i++) {
    const r = <usize>load<i32>(index + (<usize>i << 2));
    memory.copy(dst + <usize>i * bytes, src + r * bytes, bytes);
  }
}

/** dst[i] = src[index[i]] for int32 values (labels follow their rows). */
export function gatherInts(src: usize, index: usize, count: i32, dst: usize): void {
  for (let i = 0; i < count; i++) {
    const r = <usize>load<i32>(index + (<usize>i << 2));
    store<i32>(dst + (<usize>i << 2), load<i32>(src + (r << 2)));
  }
}
