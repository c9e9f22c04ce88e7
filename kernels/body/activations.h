/* tanh and sigmoid for the cell epilogues, written once over the vector vocabulary of simd.h
 * (part of the body: tiles.h includes it). Only correctly rounded operations (min, max, mul,
 * FMA, div), so every table computes the same bits, and each lane is a pure function of its
 * input: no thread count or tiling can change a result.
 *
 * tanh(x) = x P(x^2) / Q(x^2), P and Q of degree 4: the [9/8] rational with the smallest
 * relative error on [0, 8] (6.4e-9 before rounding; kernels/body/fit_tanh.py fits it and finds
 * the clamp). x is clamped to +-TANH_CLAMP first, the first float where the float evaluation
 * gives exactly 1: beyond it tanh is +-1 exactly (it is within 2.2e-7 of 1 there), P and Q
 * cannot overflow, and +-Inf give +-1. The clamp keeps NaN (vmax, vmin), so NaN gives NaN.
 * sigmoid(x) = 0.5 tanh(x/2) + 0.5: exactly 0 for x <= -2 TANH_CLAMP and -Inf, exactly 1 for
 * x >= 2 TANH_CLAMP and +Inf.
 *
 * Error budget, for every finite x (tests/test_activations.c sweeps every table):
 *   tanh     |error| <= 3e-7 |tanh(x)|  (relative, so also 3e-7 absolute)
 *   sigmoid  |error| <= 2e-7            (absolute)
 * Measured over every float in [-20, 20], the same bits on AVX-512, AVX2 and NEON: 2.88e-7 and
 * 1.74e-7 (rounding in P, Q and the division; the fit itself is 6.4e-9). SLEEF's tanhf u35 and
 * 1 / (1 + expf u10(-x)), which this replaces, took 2.3x and 1.4x as long with AVX-512 on
 * Zen 4, 3.8x and 2.4x with AVX2 (bench/RESULTS.md). Division beat a reciprocal estimate with
 * a Newton step there. */

#define TANH_CLAMP 8.01309967f

/* c0 + c1 t + c2 t^2 + c3 t^3 + c4 t^4 */
ALWAYS_INLINE vf horner4(vf t, float c0, float c1, float c2, float c3, float c4) {
  return vfma(vfma(vfma(vfma(vset1(c4), t, vset1(c3)), t, vset1(c2)), t, vset1(c1)), t, vset1(c0));
}

ALWAYS_INLINE vf vtanh(vf x) {
  x = vmin(vmax(x, vset1(-TANH_CLAMP)), vset1(TANH_CLAMP));
  vf t = vmul(x, x);
  vf p = horner4(t, 1.0f, 1.344449520e-01f, 3.571595531e-03f, 2.189462248e-05f, 1.523036097e-08f);
  vf q = horner4(t, 1.0f, 4.677782357e-01f, 2.616443299e-02f, 3.411287908e-04f, 8.522423514e-07f);
  return vdiv(vmul(x, p), q);
}

ALWAYS_INLINE vf vsigmoid(vf x) {
  vf half = vset1(0.5f);
  return vfma(half, vtanh(vmul(half, x)), half);
}
