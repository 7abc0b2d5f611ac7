"""GOST 28147-89, the 64-bit block cipher under Ukrainian qualified keys: the hash GOST 34.311-95 is built on it
(:mod:`.gost34311`), and key files (IIT ``Key-6.dat``, PKCS#12 and PBES2 of Ukrainian providers) are encrypted with
it. The S-box is a parameter of the standard; Ukraine uses "ДКЕ №1" (:data:`DKE_1`) unless a key says otherwise.

Pure Python, written for speed rather than beauty: a round is four look-ups in tables that already hold the S-box
output rotated by 11 bits, so the hash can run a few thousand blocks a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_MASK32 = 0xFFFFFFFF
BLOCK_SIZE = 8


@dataclass(frozen=True, slots=True)
class SBox:
    """Eight substitution rows: ``rows[0]`` replaces the lowest four bits of a word (K1), ``rows[7]`` the top."""

    rows: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.rows) != 8 or any(sorted(row) != list(range(16)) for row in self.rows):
            raise ValueError("an S-box is eight permutations of 0..15")

    @classmethod
    def from_rows_k8_first(cls, nibbles: bytes) -> SBox:
        """128 nibbles, one a byte, K8's row first: the unpacked form Ukrainian software prints."""
        if len(nibbles) != 128:
            raise ValueError("an unpacked S-box has 128 nibbles")
        rows = [tuple(nibbles[index * 16 : index * 16 + 16]) for index in range(8)]
        return cls(tuple(reversed(rows)))

    @classmethod
    def from_dke(cls, packed: bytes) -> SBox:
        """The 64-byte "ДКЕ" of DSTU 4145 key parameters: two nibbles a byte (high first), K1's row first."""
        if len(packed) != 64:
            raise ValueError("a packed S-box (ДКЕ) has 64 bytes")
        nibbles = bytes(nibble for byte in packed for nibble in (byte >> 4, byte & 0xF))
        return cls(tuple(tuple(nibbles[index * 16 : index * 16 + 16]) for index in range(8)))

    def dke(self) -> bytes:
        """The packed 64-byte form, as a DSTU 4145 key's parameters carry it."""
        nibbles = [nibble for row in self.rows for nibble in row]
        return bytes((nibbles[index] << 4) | nibbles[index + 1] for index in range(0, 128, 2))


# ДКЕ №1 of the instruction on DSTU GOST 28147 (K8 row first), the S-box of Ukrainian keys and of GOST 34.311 there.
DKE_1 = SBox.from_rows_k8_first(
    bytes.fromhex(
        "0102030E060D0B080F0A0C050709000403080B0506040E0A020C0107090F0D00"
        "02080907050F000B0C010D0E0A0306040F080E090702000D0C0601050B04030A"
        "03080D09060B0F0002050C0A040E01070F0605080E0B0A040C0003070209010D"
        "08000C040906070B0203010F050E0A0D0A090D060E0B04050F01030C07000802"
    )
)


@lru_cache(maxsize=4)
def _round_tables(sbox: SBox) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For each half of the round's word, its sixteen substituted bits already in their place and rotated left by
    11, so that a round is two look-ups XORed together (two tables of 65,536 words, ~4 MB an S-box)."""
    halves = []
    for half in range(2):
        rows = sbox.rows[4 * half : 4 * half + 4]
        # each byte's substitution first, then every pair of bytes
        low_byte = [rows[0][value & 0xF] | (rows[1][value >> 4] << 4) for value in range(256)]
        high_byte = [(rows[2][value & 0xF] | (rows[3][value >> 4] << 4)) << 8 for value in range(256)]
        shift = 16 * half
        table = []
        for high in high_byte:
            for low in low_byte:
                word = (high | low) << shift
                table.append(((word << 11) | (word >> 21)) & _MASK32)
        halves.append(tuple(table))
    return halves[0], halves[1]


class Gost28147:
    """The cipher with one 256-bit key: ECB blocks, CFB and the MAC ("імітовставка")."""

    __slots__ = ("_decrypt_keys", "_encrypt_keys", "_mac_keys", "_tables")

    def __init__(self, key: bytes, sbox: SBox = DKE_1) -> None:
        if len(key) != 32:
            raise ValueError("a GOST 28147-89 key has 32 bytes")
        words = [int.from_bytes(key[index : index + 4], "little") for index in range(0, 32, 4)]
        self._encrypt_keys = tuple(words * 3 + words[::-1])
        self._decrypt_keys = tuple(words + words[::-1] * 3)
        self._mac_keys = tuple(words * 2)
        self._tables = _round_tables(sbox)

    def encrypt_block(self, block: bytes) -> bytes:
        return _crypt(self._tables, self._encrypt_keys, block, final_swap=True)

    def decrypt_block(self, block: bytes) -> bytes:
        return _crypt(self._tables, self._decrypt_keys, block, final_swap=True)

    def encrypt_ecb(self, data: bytes) -> bytes:
        return b"".join(self.encrypt_block(block) for block in _blocks(data, exact=True))

    def decrypt_ecb(self, data: bytes) -> bytes:
        return b"".join(self.decrypt_block(block) for block in _blocks(data, exact=True))

    def encrypt_cfb(self, iv: bytes, data: bytes) -> bytes:
        out = bytearray()
        feedback = _check_iv(iv)
        for block in _blocks(data, exact=False):
            cipher = bytes(a ^ b for a, b in zip(block, self.encrypt_block(feedback), strict=False))
            out += cipher
            feedback = cipher
        return bytes(out)

    def decrypt_cfb(self, iv: bytes, data: bytes) -> bytes:
        out = bytearray()
        feedback = _check_iv(iv)
        for block in _blocks(data, exact=False):
            out += bytes(a ^ b for a, b in zip(block, self.encrypt_block(feedback), strict=False))
            feedback = block
        return bytes(out)

    def mac(self, data: bytes, size: int = 4) -> bytes:
        """The MAC of GOST 28147-89 §5: 16 rounds chained over zero-padded blocks; its first ``size`` bytes."""
        state = bytes(BLOCK_SIZE)
        for block in _blocks(data, exact=False):
            block = block.ljust(BLOCK_SIZE, b"\0")
            mixed = bytes(a ^ b for a, b in zip(state, block, strict=True))
            state = _crypt(self._tables, self._mac_keys, mixed, final_swap=False)
        if len(data) <= BLOCK_SIZE:
            # one block alone is run twice (the standard's MAC takes at least two blocks)
            state = _crypt(self._tables, self._mac_keys, state, final_swap=False)
        return state[:size]


def encrypt_words(tables: Sequence[Sequence[int]], keys: Sequence[int], n1: int, n2: int) -> tuple[int, int]:
    """The 32 rounds on a block given as two little-endian words; returns the ciphertext's two words."""
    low, high = tables
    for key in keys:
        x = (n1 + key) & _MASK32
        n1, n2 = n2 ^ low[x & 0xFFFF] ^ high[x >> 16], n1
    return n2, n1


def round_tables(sbox: SBox) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return _round_tables(sbox)


def _crypt(tables: Sequence[Sequence[int]], keys: Sequence[int], block: bytes, *, final_swap: bool) -> bytes:
    if len(block) != BLOCK_SIZE:
        raise ValueError("a GOST 28147-89 block has 8 bytes")
    n1, n2 = encrypt_words(tables, keys, int.from_bytes(block[:4], "little"), int.from_bytes(block[4:], "little"))
    if not final_swap:
        # the MAC's 16 rounds end without the last exchange of halves
        n1, n2 = n2, n1
    return n1.to_bytes(4, "little") + n2.to_bytes(4, "little")


def _blocks(data: bytes, *, exact: bool) -> list[bytes]:
    if exact and len(data) % BLOCK_SIZE:
        raise ValueError("ECB data must be a whole number of 8-byte blocks")
    return [data[index : index + BLOCK_SIZE] for index in range(0, len(data), BLOCK_SIZE)]


def _check_iv(iv: bytes) -> bytes:
    if len(iv) != BLOCK_SIZE:
        raise ValueError("a GOST 28147-89 IV has 8 bytes")
    return iv
