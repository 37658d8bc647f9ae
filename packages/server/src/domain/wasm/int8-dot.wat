;; Kernels of the vector index, with WebAssembly SIMD. All pointers are byte offsets into the module's memory.
;;
;; scan(data, rows, dim, query, out): for each row r, out[r] = Σ_i data[r·dim + i] · query[i]  (i32)
;; scan_rows(data, dim, query, list, count, out): the same for the rows listed (i32 row numbers) at list[0..count),
;;   out[k] for list[k]
;;   data holds int8 rows; query holds the same dim values widened to int16 (widened once per query, not once per
;;   row); dim must be a multiple of 32. Per 8 lanes: one load that sign-extends 8 int8 to int16 and one int16 dot
;;   product into 4 int32 lanes; the dimension loop is unrolled 4 times over two accumulators.
;; hamming(codes, rows, bytes, query, out): for each row r, out[r] = number of bits that differ between the sign code
;;   codes[r·bytes ..] and query (bytes a multiple of 8)
(module
  (memory (export "memory") 1)

  (func (export "scan") (param $data i32) (param $rows i32) (param $dim i32) (param $query i32) (param $out i32)
    (local $p i32) (local $end i32) (local $i i32) (local $q i32) (local $acc0 v128) (local $acc1 v128)
    (local.set $p (local.get $data))
    (local.set $end (i32.add (local.get $data) (i32.mul (local.get $rows) (local.get $dim))))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (local.set $q (local.get $query))
        (loop $dim_loop
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (v128.load8x8_s (i32.add (local.get $p) (local.get $i)))
                               (v128.load (local.get $q)))))
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (i32.add (local.get $p) (local.get $i)))
                               (v128.load offset=16 (local.get $q)))))
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=16 (i32.add (local.get $p) (local.get $i)))
                               (v128.load offset=32 (local.get $q)))))
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=24 (i32.add (local.get $p) (local.get $i)))
                               (v128.load offset=48 (local.get $q)))))
          (local.set $q (i32.add (local.get $q) (i32.const 64)))
          (local.set $i (i32.add (local.get $i) (i32.const 32)))
          (br_if $dim_loop (i32.lt_u (local.get $i) (local.get $dim))))
        (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (local.get $dim)))
        (br $rows_loop))))

  (func (export "scan_rows") (param $data i32) (param $dim i32) (param $query i32) (param $list i32) (param $count i32)
    (param $out i32)
    (local $p i32) (local $end i32) (local $i i32) (local $q i32) (local $acc0 v128) (local $acc1 v128)
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (local.set $p (i32.add (local.get $data) (i32.mul (i32.load (local.get $list)) (local.get $dim))))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (local.set $q (local.get $query))
        (loop $dim_loop
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (v128.load8x8_s (i32.add (local.get $p) (local.get $i)))
                               (v128.load (local.get $q)))))
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=8 (i32.add (local.get $p) (local.get $i)))
                               (v128.load offset=16 (local.get $q)))))
          (local.set $acc0 (i32x4.add (local.get $acc0)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=16 (i32.add (local.get $p) (local.get $i)))
                               (v128.load offset=32 (local.get $q)))))
          (local.set $acc1 (i32x4.add (local.get $acc1)
            (i32x4.dot_i16x8_s (v128.load8x8_s offset=24 (i32.add (local.get $p) (local.get $i)))
                               (v128.load offset=48 (local.get $q)))))
          (local.set $q (i32.add (local.get $q) (i32.const 64)))
          (local.set $i (i32.add (local.get $i) (i32.const 32)))
          (br_if $dim_loop (i32.lt_u (local.get $i) (local.get $dim))))
        (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $rows_loop))))

  (func (export "hamming") (param $codes i32) (param $rows i32) (param $bytes i32) (param $query i32) (param $out i32)
    (local $p i32) (local $end i32) (local $i i32) (local $acc i64)
    (local.set $p (local.get $codes))
    (local.set $end (i32.add (local.get $codes) (i32.mul (local.get $rows) (local.get $bytes))))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc (i64.const 0))
        (local.set $i (i32.const 0))
        (loop $word_loop
          (local.set $acc (i64.add (local.get $acc)
            (i64.popcnt (i64.xor (i64.load (i32.add (local.get $p) (local.get $i)))
                                 (i64.load (i32.add (local.get $query) (local.get $i)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br_if $word_loop (i32.lt_u (local.get $i) (local.get $bytes))))
        (i32.store (local.get $out) (i32.wrap_i64 (local.get $acc)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (local.get $bytes)))
        (br $rows_loop)))))
