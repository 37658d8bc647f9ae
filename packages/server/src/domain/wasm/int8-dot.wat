;; Int8 dot products with WebAssembly SIMD.
;; scan(data, rows, dim, query, out): for each row r, out[r] = Σ_i data[r·dim + i] · query[i]  (i32)
;; dim must be a multiple of 16; all pointers are byte offsets into the module's memory.
(module
  (memory (export "memory") 1)
  (func (export "scan") (param $data i32) (param $rows i32) (param $dim i32) (param $query i32) (param $out i32)
    (local $r i32) (local $i i32) (local $p i32) (local $acc v128) (local $a v128) (local $b v128)
    (local.set $p (local.get $data))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $row_done
          (loop $dim_loop
            (br_if $row_done (i32.ge_u (local.get $i) (local.get $dim)))
            (local.set $a (v128.load (i32.add (local.get $p) (local.get $i))))
            (local.set $b (v128.load (i32.add (local.get $query) (local.get $i))))
            (local.set $acc
              (i32x4.add (local.get $acc)
                (i32x4.add
                  (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_low_i8x16_s (local.get $a) (local.get $b)))
                  (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_high_i8x16_s (local.get $a) (local.get $b))))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $dim_loop)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $p (i32.add (local.get $p) (local.get $dim)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop)))))
