"""GOST 34.311-95, the hash of Ukrainian qualified signatures (DSTU 4145 signs its value), with the password-based
key derivations Ukrainian key files use: HMAC and PBKDF2 over it (PKCS#12/PBES2 files) and IIT's iterated hash
(``Key-6.dat``).

The compression function follows the standard: four GOST 28147-89 encryptions of the chaining value under keys
made from it and the message block, then the ψ shift register. ψ is linear, so its powers that the step applies
(ψ^61, ψ^62 and ψ^74 after distributing) are tables over the value's 32 bytes, built once.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache

from .gost28147 import DKE_1, SBox, encrypt_words, round_tables

DIGEST_SIZE = 32
BLOCK_SIZE = 32
_MASK64 = (1 << 64) - 1
_MASK256 = (1 << 256) - 1
_WORDS = struct.Struct("<8I")
# the constant C3 the third key is mixed with (its bytes 1, 3, 5, ... of the standard's pattern are 0xFF)
_C3 = sum(0xFF << (8 * index) for index in (1, 3, 5, 7, 8, 10, 12, 14, 17, 18, 20, 23, 24, 28, 29, 31))


def _a(value: int) -> int:
    """The standard's A: drop the lowest 64-bit word, append the XOR of the two lowest at the top."""
    return (value >> 64) | (((value ^ (value >> 64)) & _MASK64) << 192)


def _psi(value: int) -> int:
    mixed = value ^ (value >> 16) ^ (value >> 32) ^ (value >> 48) ^ (value >> 192) ^ (value >> 240)
    return (value >> 16) | ((mixed & 0xFFFF) << 240)


@lru_cache(maxsize=4)
def _psi_power_tables(power: int) -> tuple[tuple[int, ...], ...]:
    """ψ^power as 32 tables, one per byte of the value, of that byte's contribution to the result."""
    basis = []
    for bit in range(256):
        value = 1 << bit
        for _ in range(power):
            value = _psi(value)
        basis.append(value)
    tables = []
    for byte_index in range(32):
        table = [0] * 256
        for byte in range(1, 256):
            lowest = (byte & -byte).bit_length() - 1
            table[byte] = table[byte & (byte - 1)] ^ basis[8 * byte_index + lowest]
        tables.append(tuple(table))
    return tuple(tables)


def _apply(tables: Sequence[Sequence[int]], value: int) -> int:
    result = 0
    for table, byte in zip(tables, value.to_bytes(32, "little"), strict=True):
        result ^= table[byte]
    return result


class Gost34311:
    """An incremental hash: ``update`` as often as needed, then ``digest``."""

    __slots__ = ("_hash", "_length", "_pending", "_sum", "_tables")

    def __init__(self, data: bytes = b"", *, sbox: SBox = DKE_1) -> None:
        self._tables = round_tables(sbox)
        self._hash = 0
        self._sum = 0
        self._length = 0
        self._pending = b""
        if data:
            self.update(data)

    def update(self, data: bytes) -> None:
        data = self._pending + data
        whole = len(data) - len(data) % BLOCK_SIZE
        for offset in range(0, whole, BLOCK_SIZE):
            block = int.from_bytes(data[offset : offset + BLOCK_SIZE], "little")
            self._hash = _step(self._tables, self._hash, block)
            self._sum = (self._sum + block) & _MASK256
        self._length += whole
        self._pending = data[whole:]

    def digest(self) -> bytes:
        hash_value, total, length = self._hash, self._sum, self._length
        if self._pending:
            block = int.from_bytes(self._pending, "little")  # zero-padded at the top, as the standard pads
            hash_value = _step(self._tables, hash_value, block)
            total = (total + block) & _MASK256
            length += len(self._pending)
        hash_value = _step(self._tables, hash_value, (8 * length) & _MASK256)
        hash_value = _step(self._tables, hash_value, total)
        return hash_value.to_bytes(DIGEST_SIZE, "little")


def gost34311(data: bytes, *, sbox: SBox = DKE_1) -> bytes:
    return Gost34311(data, sbox=sbox).digest()


def hmac(key: bytes, message: bytes, *, sbox: SBox = DKE_1) -> bytes:
    """HMAC (RFC 2104) over GOST 34.311, whose block is 32 bytes."""
    if len(key) > BLOCK_SIZE:
        key = gost34311(key, sbox=sbox)
    key = key.ljust(BLOCK_SIZE, b"\0")
    inner = gost34311(bytes(byte ^ 0x36 for byte in key) + message, sbox=sbox)
    return gost34311(bytes(byte ^ 0x5C for byte in key) + inner, sbox=sbox)


def pbkdf2(password: bytes, salt: bytes, iterations: int, *, sbox: SBox = DKE_1) -> bytes:
    """PBKDF2 (RFC 8018) with HMAC-GOST 34.311, one 32-byte block: the key of a PBES2-protected Ukrainian key."""
    if iterations < 1:
        raise ValueError("PBKDF2 needs at least one iteration")
    block = hmac(password, salt + (1).to_bytes(4, "big"), sbox=sbox)
    result = int.from_bytes(block, "big")
    for _ in range(iterations - 1):
        block = hmac(password, block, sbox=sbox)
        result ^= int.from_bytes(block, "big")
    return result.to_bytes(DIGEST_SIZE, "big")


def iterated(password: bytes, iterations: int = 10000) -> bytes:
    """IIT's key of a ``Key-6.dat``: the password hashed, then the hash hashed again, ``iterations`` in all."""
    value = gost34311(password)
    for _ in range(iterations - 1):
        value = gost34311(value)
    return value


def _step(tables: Sequence[Sequence[int]], hash_value: int, block: int) -> int:
    """The compression function: the next chaining value from this one and a 256-bit message block."""
    u, v = hash_value, block
    encrypted = 0
    w = u ^ v
    for index in range(4):
        if index:
            u = _a(u) ^ (_C3 if index == 2 else 0)
            v = _a(_a(v))
            w = u ^ v
        # the transposition P: the key's word j is the block's bytes j, 8 + j, 16 + j and 24 + j
        w_bytes = w.to_bytes(32, "little")
        keys = _WORDS.unpack(b"".join([w_bytes[j::8] for j in range(8)]))
        part = (hash_value >> (64 * index)) & _MASK64
        n1, n2 = encrypt_words(tables, keys * 3 + keys[::-1], part & 0xFFFFFFFF, part >> 32)
        encrypted |= (n1 | (n2 << 32)) << (64 * index)
    return _apply(_PSI_61, hash_value) ^ _apply(_PSI_62, block) ^ _apply(_PSI_74, encrypted)


_PSI_61 = _psi_power_tables(61)
_PSI_62 = _psi_power_tables(62)
_PSI_74 = _psi_power_tables(74)
