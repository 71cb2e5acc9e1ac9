/* The kernels and block sizes of each instruction set, as data (the kernels
 * themselves are in gemm_<isa>.c, vmath_<isa>.c, optim_<isa>.c, rng_<isa>.c,
 * finite_<isa>.c).
 * This file only takes addresses, so it is compiled for the baseline; cpu.c
 * chooses the table the CPU can run. A tile (mr × nr) must fit its
 * micro-kernel: mr <= MR and nr <= NVMAX·VL of the file that defines it. */
#include "kernels.h"

static const fm_s8_kernels s8_generic = {
    .name = "generic 4x16",
    .mr = 4,
    .nr = 16,
    .ukr = fm_ukr_s8_generic,
    .quantize_rows = fm_quantize_rows_generic,
};

const fm_isa_table fm_isa_generic = {
    .name = "generic",
    .blocking_f32 = {.mr = 4, .nr = 16, .vl = 16, .kc = 256, .nc = 512},
    .blocking_f64 = {.mr = 4, .nr = 8, .vl = 8, .kc = 256, .nc = 256},
    .ukr_f32 = fm_ukr_generic_f32,
    .ukr_f64 = fm_ukr_generic_f64,
    .skinny = NULL,
    .transpose_f32 = fm_transpose_scalar_f32,
    .transpose_f64 = fm_transpose_scalar_f64,
    .update_f32 = fm_update_range_f32,
    .update_f64 = fm_update_range_f64,
    .all_finite_f32 = fm_all_finite_scan_f32,
    .all_finite_f64 = fm_all_finite_scan_f64,
    .dropout_rows_f32 = fm_dropout_rows_f32,
    .dropout_rows_f64 = fm_dropout_rows_f64,
    .dropout_apply_f32 = fm_dropout_apply_f32,
    .dropout_apply_f64 = fm_dropout_apply_f64,
    .act_rows_f32 = fm_act_rows_scalar_f32,
    .act_rows_f64 = fm_act_rows_scalar_f64,
    .exp_f32 = fm_exp_scalar_f32,
    .wide_f32 = {.rows = 0, .nr = 0, .ukr = NULL},
    .bf16 = NULL,
    .s8 = &s8_generic,
};

#if defined(__x86_64__) || defined(_M_X64)
/* int8 with vpmaddwd on 16-bit operands (exact; no VNNI). */
static const fm_s8_kernels s8_avx2 = {
    .name = "avx2 vpmaddwd 2x16",
    .mr = 2,
    .nr = 16,
    .ukr = fm_ukr_s8_avx2,
    .quantize_rows = fm_quantize_rows_avx2,
};

const fm_isa_table fm_isa_avx2 = {
    .name = "avx2",
    .blocking_f32 = {.mr = 6, .nr = 16, .vl = 8, .kc = 256, .nc = 512},
    .blocking_f64 = {.mr = 6, .nr = 8, .vl = 4, .kc = 256, .nc = 256},
    .ukr_f32 = fm_ukr_avx2_f32,
    .ukr_f64 = fm_ukr_avx2_f64,
    .skinny = NULL,
    .transpose_f32 = fm_transpose_scalar_f32,
    .transpose_f64 = fm_transpose_scalar_f64,
    .update_f32 = fm_update_range_avx2_f32,
    .update_f64 = fm_update_range_avx2_f64,
    .all_finite_f32 = fm_all_finite_scan_avx2_f32,
    .all_finite_f64 = fm_all_finite_scan_avx2_f64,
    .dropout_rows_f32 = fm_dropout_rows_f32,
    .dropout_rows_f64 = fm_dropout_rows_f64,
    .dropout_apply_f32 = fm_dropout_apply_f32,
    .dropout_apply_f64 = fm_dropout_apply_f64,
    .act_rows_f32 = fm_act_rows_avx2_f32,
    .act_rows_f64 = fm_act_rows_scalar_f64,
    .exp_f32 = fm_exp_avx2_f32,
    .wide_f32 = {.rows = 0, .nr = 0, .ukr = NULL},
    .bf16 = NULL,
    .s8 = &s8_avx2,
};

/* The skinny kernels take n <= 16 (one vector of outputs). */
static const fm_skinny_kernels skinny_avx512 = {
    .max_n = 16,
    .nn_f32 = fm_skinny_nn_avx512_f32,
    .tn_f32 = fm_skinny_tn_avx512_f32,
};

/* The float32/float64 kernels of the three AVX-512 tables, which differ in
 * their int8 and bfloat16 kernels. kc 1024 (the seed network's k of 784 in
 * one block) made a training epoch 3 % faster on Zen 5 but a 10k-row predict
 * 7 % slower (pieces of 256 rows, one thread each: B no longer fits L2); the
 * k blocks must depend on k alone (results independent of the split), so
 * 384 stays. */
#define FM_AVX512_FLOAT_KERNELS                                                           \
    .blocking_f32 = {.mr = 6, .nr = 64, .vl = 16, .kc = 384, .nc = 512},                \
    .blocking_f64 = {.mr = 8, .nr = 24, .vl = 8, .kc = 256, .nc = 240},                 \
    .ukr_f32 = fm_ukr_avx512_f32,                                                         \
    .ukr_f64 = fm_ukr_avx512_f64,                                                         \
    .skinny = &skinny_avx512,                                                             \
    .transpose_f32 = fm_transpose_avx512_f32,                                             \
    .transpose_f64 = fm_transpose_scalar_f64,                                             \
    .update_f32 = fm_update_range_avx512_f32,                                             \
    .update_f64 = fm_update_range_avx512_f64,                                             \
    .all_finite_f32 = fm_all_finite_scan_avx512_f32,                                      \
    .all_finite_f64 = fm_all_finite_scan_avx512_f64,                                      \
    .dropout_rows_f32 = fm_dropout_rows_avx512_f32,                                       \
    .dropout_rows_f64 = fm_dropout_rows_avx512_f64,                                       \
    .dropout_apply_f32 = fm_dropout_apply_avx512_f32,                                     \
    .dropout_apply_f64 = fm_dropout_apply_avx512_f64,                                     \
    .act_rows_f32 = fm_act_rows_avx512_f32,                                               \
    .act_rows_f64 = fm_act_rows_scalar_f64,                                               \
    .exp_f32 = fm_exp_avx512_f32,                                                         \
    .wide_f32 = {.rows = 2, .nr = 128, .ukr = fm_ukr_wide_avx512_f32}

const fm_isa_table fm_isa_avx512 = {
    .name = "avx512",
    FM_AVX512_FLOAT_KERNELS,
    .bf16 = NULL,
    .s8 = &s8_avx2,
};

/* int8 with vpdpbusd (four u8×s8 products per int32 lane). */
static const fm_s8_kernels s8_avx512_vnni = {
    .name = "avx512_vnni vpdpbusd 6x64",
    .mr = 6,
    .nr = 64,
    .ukr = fm_ukr_s8_avx512_vnni,
    .quantize_rows = fm_quantize_rows_avx512_vnni,
};

const fm_isa_table fm_isa_avx512_vnni = {
    .name = "avx512_vnni",
    FM_AVX512_FLOAT_KERNELS,
    .bf16 = NULL,
    .s8 = &s8_avx512_vnni,
};

/* bfloat16 with vdpbf16ps; kc counts k, two to a packed word (1024: k = 784
 * in one block, an epoch 2.6 % faster than with 768). */
static const fm_bf16_kernels bf16_avx512 = {
    .name = "avx512_bf16 vdpbf16ps 6x64",
    .blocking = {.mr = 6, .nr = 64, .vl = 16, .kc = 1024, .nc = 512},
    .ukr = fm_ukr_bf16_avx512_bf16,
    .pack_rows = fm_pack_bf16_rows_avx512_bf16,
    .pack_interleave = fm_pack_bf16_interleave_avx512_bf16,
    .pack_transposed = fm_pack_bf16_transposed_avx512_bf16,
};

const fm_isa_table fm_isa_avx512_bf16 = {
    .name = "avx512_bf16",
    FM_AVX512_FLOAT_KERNELS,
    .bf16 = &bf16_avx512,
    .s8 = &s8_avx512_vnni,
};
#endif

const fm_isa_table *const fm_isa_tables[] = {
    &fm_isa_generic,
#if defined(__x86_64__) || defined(_M_X64)
    &fm_isa_avx2,
    &fm_isa_avx512,
    &fm_isa_avx512_vnni,
    &fm_isa_avx512_bf16,
#endif
    NULL,
};

static int blocking_complete(const fm_blocking *b)
{
    return b->mr > 0 && b->nr > 0 && b->vl > 0 && b->kc > 0 && b->nc > 0;
}

#define GAP_IF(missing, field) if (missing) return #field

const char *fm_isa_table_gap(const fm_isa_table *t)
{
    GAP_IF(!t->name, name);
    GAP_IF(!blocking_complete(&t->blocking_f32), blocking_f32);
    GAP_IF(!blocking_complete(&t->blocking_f64), blocking_f64);
    GAP_IF(!t->ukr_f32, ukr_f32);
    GAP_IF(!t->ukr_f64, ukr_f64);
    GAP_IF(t->skinny && t->skinny->max_n <= 0, skinny.max_n);
    GAP_IF(t->skinny && !t->skinny->nn_f32, skinny.nn_f32);
    GAP_IF(t->skinny && !t->skinny->tn_f32, skinny.tn_f32);
    GAP_IF(!t->transpose_f32, transpose_f32);
    GAP_IF(!t->transpose_f64, transpose_f64);
    GAP_IF(!t->update_f32, update_f32);
    GAP_IF(!t->update_f64, update_f64);
    GAP_IF(!t->all_finite_f32, all_finite_f32);
    GAP_IF(!t->all_finite_f64, all_finite_f64);
    GAP_IF(!t->dropout_rows_f32, dropout_rows_f32);
    GAP_IF(!t->dropout_rows_f64, dropout_rows_f64);
    GAP_IF(!t->dropout_apply_f32, dropout_apply_f32);
    GAP_IF(!t->dropout_apply_f64, dropout_apply_f64);
    GAP_IF(!t->act_rows_f32, act_rows_f32);
    GAP_IF(!t->act_rows_f64, act_rows_f64);
    GAP_IF(!t->exp_f32, exp_f32);
    GAP_IF(t->wide_f32.ukr && (t->wide_f32.rows <= 0 || t->wide_f32.nr <= 0), wide_f32);
    GAP_IF(!t->s8, s8);
    GAP_IF(!t->s8->name, s8.name);
    GAP_IF(t->s8->mr <= 0 || t->s8->nr <= 0 || t->s8->nr % 16, s8.mr/nr);
    GAP_IF(!t->s8->ukr, s8.ukr);
    GAP_IF(!t->s8->quantize_rows, s8.quantize_rows);
    GAP_IF(t->bf16 && !t->bf16->name, bf16.name);
    GAP_IF(t->bf16 && (!blocking_complete(&t->bf16->blocking) || t->bf16->blocking.kc % 2 ||
                       t->bf16->blocking.nr % 16), bf16.blocking);
    GAP_IF(t->bf16 && !t->bf16->ukr, bf16.ukr);
    GAP_IF(t->bf16 && !t->bf16->pack_rows, bf16.pack_rows);
    GAP_IF(t->bf16 && !t->bf16->pack_interleave, bf16.pack_interleave);
    GAP_IF(t->bf16 && !t->bf16->pack_transposed, bf16.pack_transposed);
    return NULL;
}
