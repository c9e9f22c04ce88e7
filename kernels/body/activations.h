/* tanh and sigmoid for the cell epilogues, written once over the vector vocabulary of simd.h
 * (part of the body: tiles.h includes it). Only correctly rounded operations and exact bit
 * moves, so every table computes the same bits, and each lane is a pure function of its input:
 * no thread count or tiling can change a result. kernels/body/fit_activations.py fits the
 * coefficients and finds the tanh clamp.
 *
 * tanh(x) = x P(x^2) / Q(x^2), P and Q of degree 4: the [9/8] rational with the smallest
 * relative error on [0, 8] (6.4e-9 before rounding). x is clamped to +-TANH_CLAMP first, the
 * first float where the float evaluation gives exactly 1: beyond it tanh is +-1 exactly (it is
 * within 2.2e-7 of 1 there), P and Q cannot overflow, and +-Inf give +-1.
 *
 * sigmoid(x) = 1 / (1 + exp(-x)), exp(-x) = 2^n exp(-u) with n = round(-x / ln 2) and
 * u = x + n ln 2 in [-ln2/2, ln2/2] (ln 2 in two parts, so u is exact to 3e-8), exp(-u) by the
 * degree-6 polynomial with the smallest relative error there (7.6e-9 before rounding). Unlike
 * 0.5 tanh(x/2) + 0.5 it is accurate relative to sigmoid(x) itself, also where that is tiny:
 * an LSTM forget gate near 0 scales a large c. x is clamped to [-89, 88], where 2^n is Inf
 * (sigmoid exactly 0) and 0 (exactly 1); -+Inf give 0 and 1.
 *
 * The clamps keep NaN (vmax, vmin), so NaN gives NaN. Error budget, for every finite x
 * (tests/test_activations.c sweeps every table):
 *   tanh     |error| <= 3e-7 |tanh(x)|
 *   sigmoid  |error| <= 2e-7 sigmoid(x), where sigmoid(x) is a normal float (x >= -87.3)
 * Measured over every float in [-100, 100], the same bits on AVX-512, AVX2 and NEON: 2.88e-7
 * and 1.55e-7. SLEEF's tanhf u35 and 1 / (1 + expf u10(-x)), which these replace, took 2.3x
 * and 1.6x as long with AVX-512 on Zen 4, 3.9x and 2.4x with AVX2 (bench/RESULTS.md); there,
 * division beat a reciprocal estimate with a Newton step. */

#define TANH_CLAMP 8.01309967f
#define SIGMOID_LO -89.0f       /* -x / ln 2 rounds to 128: 2^n = Inf */
#define SIGMOID_HI 88.0f        /* -x / ln 2 rounds to -127: 2^n = 0 */
#define LOG2E 1.44269504f
#define LN2_HI 6.93147182e-01f  /* ln 2 rounded to float */
#define LN2_LO -1.90465430e-09f /* ln 2 - LN2_HI */
#define ROUND_INT 12582912.0f   /* 1.5 * 2^23: adding it rounds a float to an integer */

static const float tanh_p[] = {1.0f, 1.344449520e-01f, 3.571595531e-03f, 2.189462248e-05f,
                               1.523036097e-08f};
static const float tanh_q[] = {1.0f, 4.677782357e-01f, 2.616443299e-02f, 3.411287908e-04f,
                               8.522423514e-07f};
static const float exp_neg[] = {1.0f, -1.0f, 4.999996424e-01f, -1.666647345e-01f,
                                4.167443141e-02f, -8.373061195e-03f, 1.351657906e-03f};

/* c[0] + c[1] t + ... + c[n-1] t^(n-1) */
ALWAYS_INLINE vf horner(vf t, const float *c, int n) {
  vf p = vset1(c[n - 1]);
  for (int i = n - 2; i >= 0; i--) p = vfma(p, t, vset1(c[i]));
  return p;
}
#define HORNER(t, c) horner(t, c, (int)(sizeof c / sizeof *c))

ALWAYS_INLINE vf vtanh(vf x) {
  x = vmin(vmax(x, vset1(-TANH_CLAMP)), vset1(TANH_CLAMP));
  vf t = vmul(x, x);
  return vdiv(vmul(x, HORNER(t, tanh_p)), HORNER(t, tanh_q));
}

ALWAYS_INLINE vf vsigmoid(vf x) {
  x = vmin(vmax(x, vset1(SIGMOID_LO)), vset1(SIGMOID_HI));
  vf k = vfma(x, vset1(-LOG2E), vset1(ROUND_INT)); /* 1.5 * 2^23 + n */
  vf n = vsub(k, vset1(ROUND_INT));
  vf u = vfma(n, vset1(LN2_LO), vfma(n, vset1(LN2_HI), x));
  return vdiv(vset1(1.0f), vfma(HORNER(u, exp_neg), vpow2i(k), vset1(1.0f)));
}
