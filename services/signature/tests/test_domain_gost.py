"""GOST 28147-89 and GOST 34.311-95 against the standard's published vectors (the hash's test S-box, as RFC 5831
§7.3.1 prints them); the Ukrainian S-box ДКЕ №1 is checked against Bouncy Castle in test_dstu_interop.py."""

import pytest

from signature.domain.gost28147 import DKE_1, Gost28147, SBox
from signature.domain.gost34311 import Gost34311, gost34311, pbkdf2

# id-GostR3411-94-TestParamSet, K1 (the lowest nibble) first
TEST_SBOX = SBox(
    (
        (4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3),
        (14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9),
        (5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11),
        (7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3),
        (6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2),
        (4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14),
        (13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12),
        (1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12),
    )
)


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"", "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"),
        (b"a", "d42c539e367c66e9c88a801f6649349c21871b4344c6a573f849fdce62f314dd"),
        (b"abc", "f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d"),
        (b"message digest", "ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d"),
        (b"This is message, length=32 bytes", "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa"),
        (
            b"Suppose the original message has length = 50 bytes",
            "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208",
        ),
        (b"U" * 128, "53a3a3ed25180cef0c1d85a074273e551c25660a87062a52d926a9e8fe5733a4"),
        (b"a" * 1_000_000, "5c00ccc2734cdd3332d3d4749576e3c1a7dbaf0e7ea74e9fa602413c90a129fa"),
    ],
)
def test_hash_matches_the_standard_vectors(message: bytes, digest: str) -> None:
    assert gost34311(message, sbox=TEST_SBOX).hex() == digest


def test_incremental_hashing_equals_hashing_at_once() -> None:
    message = bytes(range(256)) * 5
    hashing = Gost34311()
    for start in range(0, len(message), 37):
        hashing.update(message[start : start + 37])
    assert hashing.digest() == gost34311(message)
    assert gost34311(message) != gost34311(message[:-1] + b"\x00")


def test_sbox_packs_and_unpacks_as_key_parameters_carry_it() -> None:
    assert SBox.from_dke(DKE_1.dke()) == DKE_1
    # the packed form starts with K1, as the standard's default ДКЕ (and Bouncy Castle's) does
    assert DKE_1.dke()[:8].hex() == "a9d6eb45f13c7082"
    assert DKE_1.rows[0] == (10, 9, 13, 6, 14, 11, 4, 5, 15, 1, 3, 12, 7, 0, 8, 2)  # K1 of ДКЕ №1
    with pytest.raises(ValueError, match="permutations"):
        SBox(((0,) * 16,) * 8)


def test_cipher_modes_round_trip_and_differ() -> None:
    cipher = Gost28147(bytes(range(32)))
    block = b"8 bytes!"
    assert cipher.decrypt_block(cipher.encrypt_block(block)) == block
    data = "Ключ підписувача".encode() * 3  # not a whole number of blocks
    encrypted = cipher.encrypt_cfb(b"\x01" * 8, data)
    assert encrypted != data and len(encrypted) == len(data)
    assert cipher.decrypt_cfb(b"\x01" * 8, encrypted) == data
    assert cipher.decrypt_ecb(cipher.encrypt_ecb(data[:40])) == data[:40]
    assert cipher.mac(data) != cipher.mac(data[:-1] + b"?")
    assert Gost28147(bytes(range(32)), TEST_SBOX).encrypt_block(block) != cipher.encrypt_block(block)


def test_pbkdf2_depends_on_every_input() -> None:
    key = pbkdf2(b"password", b"s" * 32, 3)
    assert len(key) == 32
    assert key != pbkdf2(b"password", b"s" * 32, 2)
    assert key != pbkdf2(b"passwore", b"s" * 32, 3)
    assert key != pbkdf2(b"password", b"t" * 32, 3)
