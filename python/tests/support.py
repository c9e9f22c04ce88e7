"""What the Python tests share: the golden cases (tests/data/golden, as tests/golden.c reads
them) and PyTorch's tolerance."""
import os
import threading

import numpy as np

GOLDEN = os.path.join(os.environ.get("RECUR_TEST_DATA", os.path.join(
    os.path.dirname(__file__), "..", "..", "tests", "data")), "golden")
FP32_TOL = (1e-5, 1e-5)  # tests/golden.h GOLDEN_FP32_TOL: |got - want| <= abs + rel |want|
BF16_TOL = (3e-2, 1e-2)  # GOLDEN_BF16_TOL
INT8_TOL = (1e-1, 5e-2)  # GOLDEN_INT8_TOL
# tests/poison.h's OUT_POISON: what output buffers hold before a call, so that an element recur
# fails to write shows (np.empty's leftovers are often zeros, which PyTorch writes past a row's
# end, and a NaN would pass where a NaN is wanted).
POISON = np.float32(float.fromhex("-0x1.2345p100"))


def golden_cases():
    """The manifest's cases: dicts of its key=value fields, with 'name'."""
    cases = []
    with open(os.path.join(GOLDEN, "manifest.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, *fields = line.split()
            case = {"name": name}
            case.update(field.split("=", 1) for field in fields if "=" in field)
            cases.append(case)
    return cases


def golden_file(case, suffix):
    return os.path.join(GOLDEN, case["name"] + suffix)


def golden_array(case, suffix):
    """NAME<suffix> as an array, or None if the case has no such file."""
    path = golden_file(case, suffix)
    return np.load(path) if os.path.exists(path) else None


def poisoned(shape):
    """An output buffer of this shape filled with POISON."""
    return np.full(shape, POISON, np.float32)


def assert_close(got, want, what="", tol=FP32_TOL):
    """As tests/golden.c: a NaN wants a NaN, an Inf the same Inf, anything else
    |got - want| <= abs + rel |want|."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == np.float32, f"{what}: dtype {got.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    want64, got64 = want.astype(np.float64), got.astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.where(np.isnan(want64), np.isnan(got64),
                      np.where(np.isinf(want64), got64 == want64,
                               np.isfinite(got64) &
                               (np.abs(got64 - want64) <= tol[0] + tol[1] * np.abs(want64))))
    if not ok.all():
        i = np.unravel_index(np.argmin(ok), ok.shape)
        raise AssertionError(f"{what}: {np.count_nonzero(~ok)} of {ok.size} elements off; "
                             f"at {i}: got {got[i]!r}, want {want[i]!r}")


def assert_same_bits(got, want, what=""):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, \
        f"{what}: {got.dtype}{got.shape} vs {want.dtype}{want.shape}"
    assert got.tobytes() == want.tobytes(), f"{what}: the bits differ"


def flat_outputs(result):
    """(y, h_n) or (y, (h_n, c_n)) as [y, h_n] or [y, h_n, c_n]."""
    y, state = result
    return [y, *state] if isinstance(state, tuple) else [y, state]


def seen_mid_call(call, y, tries=5):
    """Whether this thread saw the output y half written while call() wrote it on another
    thread: its first element written and its last not yet. recur writes y step by step
    (time-first: y[0] first, y[-1] last), so that state exists only while the call is inside
    recur, and this thread can run then only if the call released the GIL (with the GIL held,
    it sees y before the call or after it, whole). A number of loop turns would not tell: a
    thread blocked for the whole call still turns thousands of times around it. The call is
    tried again a few times, in case the machine, busy, never ran this thread during one."""
    for _ in range(tries):
        y.fill(np.nan)
        worker = threading.Thread(target=call)
        worker.start()
        seen = False
        while worker.is_alive() and not seen:
            seen = not np.isnan(y.flat[0]) and np.isnan(y.flat[-1])
        worker.join()
        assert not np.isnan(y).any(), "the call did not write all of y"
        if seen:
            return True
    return False
