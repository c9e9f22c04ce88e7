#!/usr/bin/python3
"""Fits the coefficients of kernels/body/activations.h and finds its tanh clamp.

    tanh(x) ~ x P(x^2) / Q(x^2),  P and Q of degree 4 in x^2 (a [9/8] rational, odd in x)

minimising the largest relative error on [0, 8] (Remez exchange on the equioscillation
equations, solved by scipy's fsolve; start: a linear program on a grid). Then rounds the
coefficients to float and finds the clamp: the smallest float at which the float evaluation
(FMA Horner, x * P, one division) gives exactly 1.

    exp(-u) ~ 1 + c1 u + ... + c6 u^6  on [-ln2/2, ln2/2]

minimising the largest relative error (a linear program on a grid: the polynomial is linear in
its coefficients). Run with Debian's python3 (numpy, scipy).
"""
import numpy as np
from scipy.optimize import fsolve, linprog

C = 8.0   # fit interval [0, C]: tanh(8) = 1 - 2.3e-7, where the clamp lands
N = 5     # coefficients of P and of Q (q0 = 1)
EXP_DEGREE = 6


def rel_error(p, q, x):
    t = x * x
    return x * np.polyval(p[::-1], t) / np.polyval(q[::-1], t) / np.tanh(x) - 1


def start():
    """A near-minimax start: the linear program min e, |x P - tanh Q| <= e tanh on a grid."""
    x = np.linspace(C / 4000, C, 4000)
    T, s = np.tanh(x), (x / C) ** 2  # s scales x^2 to [0, 1] for the solver
    cols = [x * s ** k for k in range(N)] + [-T * s ** k for k in range(1, N)]
    A = np.stack(cols, 1)
    e = -1e-4 * T[:, None]  # e in units of 1e-4, so that the solver's tolerances do not bind
    res = linprog(np.r_[np.zeros(2 * N - 1), 1], A_ub=np.block([[A, e], [-A, e]]),
                  b_ub=np.r_[T, -T], bounds=[(None, None)] * (2 * N - 1) + [(0, None)])
    scale = C ** (-2.0 * np.arange(N))
    return res.x[:N] * scale, np.r_[1, res.x[N:2 * N - 1]] * scale


def extrema(p, q):
    """The 2N alternating extrema of the relative error on [0, C] (0 and C included)."""
    x = np.r_[np.geomspace(1e-6, 1e-2, 2000), np.linspace(1e-2, C, 200000)]
    e = rel_error(p, q, x)
    peaks = [0] + [i for i in range(1, len(x) - 1)
                   if (e[i] - e[i - 1]) * (e[i + 1] - e[i]) <= 0] + [len(x) - 1]
    alt = []
    for i in peaks:  # one point per run of equal sign: the largest
        if alt and np.sign(e[alt[-1]]) == np.sign(e[i]):
            if abs(e[i]) > abs(e[alt[-1]]):
                alt[-1] = i
        else:
            alt.append(i)
    while len(alt) > 2 * N:
        alt.pop(0 if abs(e[alt[0]]) < abs(e[alt[-1]]) else -1)
    return x[alt], np.max(np.abs(e))


def remez():
    p, q = start()
    E, k = 0.0, np.arange(2 * N)
    xs = C * (1 - np.cos(np.pi * (k + 0.5) / (2 * N))) / 2  # first reference: Chebyshev nodes
    for _ in range(30):
        sign, t, T = (-1.0) ** k, xs * xs, np.tanh(xs)

        def equations(v):
            pv, qv = v[:N], np.r_[1, v[N:2 * N - 1]]
            return xs * np.polyval(pv[::-1], t) / np.polyval(qv[::-1], t) / T - 1 - sign * v[-1]

        v = fsolve(equations, np.r_[p, q[1:], E], xtol=1e-12, full_output=True)[0]
        p, q, E = v[:N], np.r_[1, v[N:2 * N - 1]], v[-1]
        found, worst = extrema(p, q)
        if len(found) < 2 * N or worst <= abs(E) * (1 + 1e-6):
            break
        xs = found
    return p, q, worst


def fit_exp():
    """exp(-u) on [-ln2/2, ln2/2] (0.01% wider: u's rounding), constant term 1."""
    u = np.linspace(-1.0001, 1.0001, 20001) * np.log(2) / 2
    f = np.exp(-u)
    A = np.stack([u ** k / f for k in range(1, EXP_DEGREE + 1)], 1)
    b = (f - 1) / f
    e = -1e-6 * np.ones((len(u), 1))  # the error in units of 1e-6, as in start()
    res = linprog(np.r_[np.zeros(EXP_DEGREE), 1], A_ub=np.block([[A, e], [-A, e]]),
                  b_ub=np.r_[b, -b], bounds=[(None, None)] * EXP_DEGREE + [(0, None)])
    c = np.r_[1, res.x[:EXP_DEGREE]]
    return c, np.max(np.abs(np.polyval(c[::-1], u) / f - 1))


def fma(a, b, c):
    """float32 fused multiply-add (a*b is exact in float64)."""
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


def tanh_float(x, p, q):
    t = np.float32(x * x)
    P, Q = p[-1], q[-1]
    for k in range(N - 2, -1, -1):
        P, Q = fma(P, t, p[k]), fma(Q, t, q[k])
    return np.float32(np.float32(x * P) / Q)


def main():
    p, q, worst = remez()
    pf, qf = p.astype(np.float32), q.astype(np.float32)
    print(f"relative error of the fit on [0, {C}]: {worst:.3g}")
    print("P:", ", ".join(f"{v:.9e}f" for v in pf))
    print("Q:", ", ".join(f"{v:.9e}f" for v in qf))
    x = np.float32(7.9)
    while tanh_float(x, pf, qf) != 1:
        x = np.nextafter(x, np.float32(9), dtype=np.float32)
    print(f"clamp: {x:.9g}f (tanh there: 1 - {1 - np.tanh(np.float64(x)):.3g})")
    c, worst = fit_exp()
    print(f"relative error of the exp(-u) fit: {worst:.3g}")
    print("exp(-u):", ", ".join(f"{v:.9e}f" for v in c.astype(np.float32)))


if __name__ == "__main__":
    main()
