/* The fp32 format's K loop (part of body/tiles.h): one FMA chain per output element over k
 * ascending, acc += panel[k] * a[r][k]. */
#define FORMAT recur_precision_fp32
#define TABLE_SUFFIX /* the fp32 tables carry the ISA's name alone */
#define INPUT_REGS 1
#define CONVERT_A NULL /* the kernels read the float rows */

#define FP32_BCAST(r) vset1(a[r][k])
#define FP32_WEIGHT(v) vload(p + (v) * VW)
#define FP32_STEP(acc, w, x) vfma(w, x, acc)

ALWAYS_INLINE void dot_k(const int mr, const int gnv, const recur_tile *t,
                         vf acc[RECUR_MR_MAX][RECUR_GNV_MAX]) {
  const float *p = (const float *)t->panel + t->k0 * gnv * VW;
  const float *a[RECUR_MR_MAX];
  for (int r = 0; r < mr; r++) a[r] = (const float *)t->a[r];
  for (int64_t k = t->k0; k < t->k1; k++, p += gnv * VW)
    DOT_STEP(vf, vf, FP32_BCAST, FP32_WEIGHT, FP32_STEP, VPIN);
}
