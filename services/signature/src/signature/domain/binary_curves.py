"""Elliptic curves over GF(2^m) in a polynomial basis (y² + xy = x³ + ax² + b), the curves of DSTU 4145, with
their point and field arithmetic done by OpenSSL's libcrypto (its EC_GF2m code: kept, reviewed, constant-time
ladders, carry-less multiplication in assembly) through ctypes.

Python's ``cryptography`` offers only the named NIST/SEC binary curves, so the group is built here from the
curve's parameters; everything DSTU-specific (its point compression, its signature) is in :mod:`.dstu4145`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

_P = ctypes.c_void_p


def _load_libcrypto() -> ctypes.CDLL:
    name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
    lib = ctypes.CDLL(name)
    signatures: dict[str, tuple[list[type], type | None]] = {
        "BN_CTX_new": ([], _P),
        "BN_CTX_free": ([_P], None),
        "BN_new": ([], _P),
        "BN_free": ([_P], None),
        "BN_bin2bn": ([ctypes.c_char_p, ctypes.c_int, _P], _P),
        "BN_bn2binpad": ([_P, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        "BN_num_bits": ([_P], ctypes.c_int),
        "BN_GF2m_mod_mul": ([_P, _P, _P, _P, _P], ctypes.c_int),
        "BN_GF2m_mod_div": ([_P, _P, _P, _P, _P], ctypes.c_int),
        "EC_GROUP_new_curve_GF2m": ([_P, _P, _P, _P], _P),
        "EC_GROUP_set_generator": ([_P, _P, _P, _P], ctypes.c_int),
        "EC_GROUP_check": ([_P, _P], ctypes.c_int),
        "EC_POINT_new": ([_P], _P),
        "EC_POINT_free": ([_P], None),
        "EC_POINT_set_affine_coordinates": ([_P, _P, _P, _P, _P], ctypes.c_int),
        "EC_POINT_get_affine_coordinates": ([_P, _P, _P, _P, _P], ctypes.c_int),
        "EC_POINT_set_compressed_coordinates": ([_P, _P, _P, ctypes.c_int, _P], ctypes.c_int),
        "EC_POINT_is_at_infinity": ([_P, _P], ctypes.c_int),
        "EC_POINT_mul": ([_P, _P, _P, _P, _P, _P], ctypes.c_int),
        "ERR_clear_error": ([], None),
    }
    for symbol, (arguments, result) in signatures.items():
        function = getattr(lib, symbol)
        function.argtypes = arguments
        function.restype = result
    return lib


_lib = _load_libcrypto()


class CurveError(ValueError):
    """Parameters that make no curve, or a point that is not on it."""


Point = tuple[int, int]


@dataclass(frozen=True)
class BinaryCurve:
    """A curve y² + xy = x³ + ax² + b over GF(2^m) mod the trinomial or pentanomial with ``exponents``, a base
    point of prime order ``order``."""

    m: int
    exponents: tuple[int, ...]  # the middle terms of the field polynomial, e.g. (12,) for t^257 + t^12 + 1
    a: int
    b: int
    base: Point
    order: int
    cofactor: int
    _group: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        with _context() as ctx, _bignums(self.polynomial, self.a, self.b, self.order, self.cofactor) as bns:
            polynomial, a, b, order, cofactor = bns
            group = _lib.EC_GROUP_new_curve_GF2m(polynomial, a, b, ctx)
            if not group:
                _lib.ERR_clear_error()
                raise CurveError("the parameters make no binary curve")
            point = _lib.EC_POINT_new(group)
            try:
                _set_affine(group, point, self.base, ctx)
                if _lib.EC_GROUP_set_generator(group, point, order, cofactor) != 1:
                    _lib.ERR_clear_error()
                    raise CurveError("the base point does not fit the curve")
            finally:
                _lib.EC_POINT_free(point)
        # the group lives as long as the process: curves are few and kept in module-level tables
        object.__setattr__(self, "_group", group)

    @cached_property
    def polynomial(self) -> int:
        return (1 << self.m) | sum(1 << exponent for exponent in self.exponents) | 1

    @property
    def field_bytes(self) -> int:
        return (self.m + 7) // 8

    @cached_property
    def trace_mask(self) -> int:
        """The basis elements of trace 1: Tr(x) is the parity of ``x & trace_mask`` (Newton's identities give
        Tr(t^k) from the field polynomial's coefficients)."""
        coefficient = [(self.polynomial >> index) & 1 for index in range(self.m + 1)]
        traces = [self.m & 1]
        for k in range(1, self.m):
            value = (k & 1) * coefficient[self.m - k]
            for j in range(1, k):
                value ^= coefficient[self.m - j] & traces[k - j]
            traces.append(value)
        return sum(bit << index for index, bit in enumerate(traces))

    def trace(self, element: int) -> int:
        return (element & self.trace_mask).bit_count() & 1

    def multiply(self, left: int, right: int) -> int:
        """The product of two field elements."""
        with _context() as ctx, _bignums(0, left, right, self.polynomial) as (result, a, b, polynomial):
            _check(_lib.BN_GF2m_mod_mul(result, a, b, polynomial, ctx))
            return _int(result)

    def divide(self, numerator: int, denominator: int) -> int:
        with _context() as ctx, _bignums(0, numerator, denominator, self.polynomial) as (result, a, b, p):
            _check(_lib.BN_GF2m_mod_div(result, a, b, p, ctx))
            return _int(result)

    def combine(self, base_scalar: int, point: Point | None = None, point_scalar: int = 0) -> Point | None:
        """``base_scalar``·G + ``point_scalar``·``point`` in one pass; None for the point at infinity."""
        with _context() as ctx, _bignums(base_scalar, point_scalar, 0, 0) as (n, m, x, y):
            result = _lib.EC_POINT_new(self._group)
            other = _lib.EC_POINT_new(self._group) if point is not None else None
            try:
                if point is not None:
                    _set_affine(self._group, other, point, ctx)  # type: ignore[arg-type]
                _check(_lib.EC_POINT_mul(self._group, result, n, other, m if point is not None else None, ctx))
                if _lib.EC_POINT_is_at_infinity(self._group, result) == 1:
                    return None
                _check(_lib.EC_POINT_get_affine_coordinates(self._group, result, x, y, ctx))
                return _int(x), _int(y)
            finally:
                _lib.EC_POINT_free(result)
                if other is not None:
                    _lib.EC_POINT_free(other)

    def check_point(self, point: Point) -> None:
        """Raise :class:`CurveError` unless ``point`` is on the curve."""
        with _context() as ctx:
            handle = _lib.EC_POINT_new(self._group)
            try:
                _set_affine(self._group, handle, point, ctx)
            finally:
                _lib.EC_POINT_free(handle)

    def solve_compressed(self, x: int, y_bit: int) -> Point:
        """The point with this x whose y/x has lowest bit ``y_bit`` (SEC 1's compression for binary curves)."""
        with _context() as ctx, _bignums(x, 0, 0) as (bx, ox, oy):
            handle = _lib.EC_POINT_new(self._group)
            try:
                if _lib.EC_POINT_set_compressed_coordinates(self._group, handle, bx, y_bit, ctx) != 1:
                    _lib.ERR_clear_error()
                    raise CurveError("no point of the curve has this x")
                _check(_lib.EC_POINT_get_affine_coordinates(self._group, handle, ox, oy, ctx))
                return _int(ox), _int(oy)
            finally:
                _lib.EC_POINT_free(handle)


def _set_affine(group: int, handle: int, point: Point, ctx: int) -> None:
    with _bignums(*point) as (x, y):
        if _lib.EC_POINT_set_affine_coordinates(group, handle, x, y, ctx) != 1:
            _lib.ERR_clear_error()
            raise CurveError("the point is not on the curve")


@contextmanager
def _context() -> Iterator[int]:
    ctx = _lib.BN_CTX_new()
    if not ctx:
        raise MemoryError("BN_CTX_new")
    try:
        yield ctx
    finally:
        _lib.BN_CTX_free(ctx)


@contextmanager
def _bignums(*values: int) -> Iterator[tuple[int, ...]]:
    handles = []
    try:
        for value in values:
            size = max(1, (value.bit_length() + 7) // 8)
            handle = _lib.BN_bin2bn(value.to_bytes(size, "big"), size, None)
            if not handle:
                raise MemoryError("BN_bin2bn")
            handles.append(handle)
        yield tuple(handles)
    finally:
        for handle in handles:
            _lib.BN_free(handle)


def _int(handle: int) -> int:
    size = (_lib.BN_num_bits(handle) + 7) // 8
    if size == 0:
        return 0
    buffer = ctypes.create_string_buffer(size)
    _lib.BN_bn2binpad(handle, buffer, size)
    return int.from_bytes(buffer.raw, "big")


def _check(result: int) -> None:
    if result != 1:
        _lib.ERR_clear_error()
        raise CurveError("libcrypto refused the operation")
