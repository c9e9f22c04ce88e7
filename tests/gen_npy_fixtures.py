#!/usr/bin/python3
"""Writes the small .npy fixtures read by tests/test_npy.c into tests/data/npy/.

Run with a Python that has numpy (Debian: /usr/bin/python3 tests/gen_npy_fixtures.py).
The values are restated in test_npy.c; change both together.
"""
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "npy")

F4_2X3 = (np.arange(6) * 0.25 - 0.5).reshape(2, 3)  # -0.5 -0.25 0 0.25 0.5 0.75
I4 = [3, -1, 4, 2**31 - 1, -(2**31)]
I8 = [1, -2, 2**40, 2**63 - 1, -(2**63)]


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


if __name__ == "__main__":
    main()
