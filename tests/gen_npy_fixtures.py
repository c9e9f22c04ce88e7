#!/usr/bin/python3
"""Writes the small .npy fixtures read by tests/test_npy.c into tests/data/npy/.

Run with a Python that has numpy (Debian: /usr/bin/python3 tests/gen_npy_fixtures.py).
The values of the first ones are restated in test_npy.c; change both together. The converted
ones come with numpy's own conversion of each beside it.
"""
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "npy")

F4_2X3 = (np.arange(6) * 0.25 - 0.5).reshape(2, 3)  # -0.5 -0.25 0 0.25 0.5 0.75
I4 = [3, -1, 4, 2**31 - 1, -(2**31)]
I8 = [1, -2, 2**40, 2**63 - 1, -(2**63)]


RNG = np.random.default_rng(21)
# Arrays test_npy.c reads converted (recur_npy_load_as): each NAME.npy beside what numpy's
# astype makes of it in C order, NAME.as_f4.npy (float32) and, for integers, NAME.as_i8.npy
# (int64). Values at float32's rounding boundaries, past its range, subnormal, NaN, signed zero.
F8_EDGES = [0.1, 1 / 3, 1 + 2**-24, 1 + 3 * 2**-24, 1e-40, 1e-50, 3.5e38, -3.5e38,
            float("nan"), -0.0, float("inf"), 2**-149 * 1.5]
F2_EDGES = [0.0, -0.0, 1.0, 65504.0, -65504.0, 2**-24, 2**-14, float("inf"), float("-inf"),
            float("nan"), 0.1, 1 / 3]
CONVERTED = {
    "conv_f8_3x4": np.array(F8_EDGES, "<f8").reshape(3, 4),
    "conv_f8_be_fortran_2x3x4": np.asfortranarray(RNG.standard_normal((2, 3, 4)).astype(">f8")),
    "conv_f2_3x4": np.array(F2_EDGES, "<f2").reshape(3, 4),
    "conv_f2_be_fortran_4x3": np.asfortranarray(np.array(F2_EDGES, ">f2").reshape(4, 3)),
    "conv_f4_fortran_2x3x4": np.asfortranarray(RNG.standard_normal((2, 3, 4)).astype("<f4")),
    "conv_i1": np.array([-128, 127, 0, 5], "|i1"),
    "conv_u1": np.array([0, 255, 7, 128], "|u1"),
    "conv_i2_be": np.array([-32768, 32767, -1, 300], ">i2"),
    "conv_u2": np.array([0, 65535, 1, 40000], "<u2"),
    "conv_u4": np.array([2**32 - 1, 16777217, 16777219, 3], "<u4"),
    "conv_i8_big": np.array([2**53 + 1, 2**63 - 1, -(2**63), 16777217], "<i8"),
    "conv_u8_be": np.array([2**63 - 1, 16777219, 0, 12345], ">u8"),
    "conv_i4_fortran_2x3": np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], "<i4")),
    "conv_u8_huge": np.array([2**64 - 1, 2**63, 2**63 + 2**40 + 1, 1], "<u8"),  # past int64
    "conv_bool": np.array([True, False, True, True], "|b1"),
}


def write(name, array, version=(1, 0)):
    with open(os.path.join(OUT, name), "wb") as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("f4_2x3_v1.npy", F4_2X3.astype("<f4"))
    write("f4_2x3_v2.npy", F4_2X3.astype("<f4"), (2, 0))
    write("f4_2x3_v3.npy", F4_2X3.astype("<f4"), (3, 0))
    write("f4_2x3_be.npy", F4_2X3.astype(">f4"))
    write("f4_scalar.npy", np.array(-2.5, "<f4"))
    write("f4_vec5.npy", np.array([1.0, -2.0, 1e30, -1e-30, 0.5], "<f4"))
    write("f4_2x2x2.npy", np.arange(8, dtype="<f4").reshape(2, 2, 2))
    write("f4_0x3.npy", np.zeros((0, 3), "<f4"))
    write("i4.npy", np.array(I4, "<i4"))
    write("i4_be.npy", np.array(I4, ">i4"))
    write("i8.npy", np.array(I8, "<i8"))
    write("i8_be.npy", np.array(I8, ">i8"))
    write("f8.npy", np.array([1.0, 2.0], "<f8"))
    write("f4_fortran.npy", np.asfortranarray(F4_2X3.astype("<f4")))
    for name, array in CONVERTED.items():
        write(name + ".npy", array)
        with np.errstate(over="ignore"):  # float64 past float32's range: inf, as recur makes it
            write(name + ".as_f4.npy", np.ascontiguousarray(array).astype("<f4"))
        if array.dtype.kind in "iu" and array.max() <= np.iinfo(np.int64).max:
            write(name + ".as_i8.npy", np.ascontiguousarray(array).astype("<i8"))


if __name__ == "__main__":
    main()
