#!/usr/bin/python3
"""Write the .npy files that tests/check_npy.c reads, with NumPy's own writer.

Run it from the repository root with the Debian system Python (python3-numpy):

    tools/make_npy_fixtures.py

Output goes to tests/fixtures/npy/. It is deterministic (np.save writes no timestamps), so running
it again gives byte-identical files. Every file stays under 1 KiB.

The values come from k = np.arange(12) (or np.arange(24) for the 3-d file), with formulas chosen so
that every value survives conversion to float32 exactly (small integers, or few significant bits
times a power of two). tests/check_npy.c hard-wires the same formulas (its `expected` function);
change both together:

    file          dtype  shape      values
    f4.npy        <f4    (3, 4)     k * 0.5 - 2.75
    f8.npy        <f8    (3, 4)     k * 0.125 - 0.5
    i1.npy        |i1    (3, 4)     k * 23 - 128             (-128 .. 125)
    i2.npy        <i2    (3, 4)     k * 5000 - 32768         (-32768 .. 22232)
    i4.npy        <i4    (3, 4)     (k - 6) * 2**28          (uses the high bytes and the sign)
    i8.npy        <i8    (3, 4)     (k - 6) * 2**40 + 2**33  (beyond 32 bits)
    u1.npy        |u1    (3, 4)     k * 20 + 35              (35 .. 255)
    b1.npy        |b1    (3, 4)     k % 3 == 0
    v2.npy        <f4    (3, 4)     as f4.npy, format version 2.0
    v3.npy        <f4    (3, 4)     as f4.npy, format version 3.0
    f8_3d.npy     <f8    (2, 3, 4)  np.arange(24) * 0.25 - 3
    scalar.npy    <f8    ()         7.5
    empty.npy     <f4    (0, 3)     no values

Files shapelab must refuse:

    big_endian.npy  >f4   (3, 4)  as f4.npy, big-endian
    fortran.npy     <f4   (3, 4)  as f4.npy, Fortran order (fortran_order: True)
    complex64.npy   <c8   (3, 4)  k + 1j * k
"""

from pathlib import Path

import numpy as np

OUT = Path("tests/fixtures/npy")


def k12():
    return np.arange(12).reshape(3, 4)


def f4():
    return (k12() * 0.5 - 2.75).astype("<f4")


ACCEPTED = {
    "f4": f4(),
    "f8": (k12() * 0.125 - 0.5).astype("<f8"),
    "i1": (k12() * 23 - 128).astype("i1"),
    "i2": (k12() * 5000 - 32768).astype("<i2"),
    "i4": ((k12() - 6) * 2**28).astype("<i4"),
    "i8": ((k12().astype(np.int64) - 6) * 2**40 + 2**33).astype("<i8"),
    "u1": (k12() * 20 + 35).astype("u1"),
    "b1": (k12() % 3 == 0),
    "f8_3d": (np.arange(24).reshape(2, 3, 4) * 0.25 - 3).astype("<f8"),
    "scalar": np.array(7.5, dtype="<f8"),
    "empty": np.zeros((0, 3), dtype="<f4"),
}

REFUSED = {
    "big_endian": f4().astype(">f4"),
    "fortran": np.asfortranarray(f4()),
    "complex64": (k12() + 1j * k12()).astype(np.complex64),
}


def save(name, arr, version=None):
    path = OUT / (name + ".npy")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)
    size = path.stat().st_size
    assert size < 1024, f"{path} is {size} bytes"
    print(f"{path}: {arr.dtype.str} {arr.shape}, {size} bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, arr in {**ACCEPTED, **REFUSED}.items():
        save(name, arr)
    save("v2", f4(), version=(2, 0))
    save("v3", f4(), version=(3, 0))
    assert REFUSED["fortran"].flags.f_contiguous and not REFUSED["fortran"].flags.c_contiguous


if __name__ == "__main__":
    main()
