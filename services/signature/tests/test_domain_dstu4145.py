"""DSTU 4145-2002: the standard's worked example (Annex B, m = 163) and further published vectors, the named
curves, point compression, key parameters and the key files Ukrainian providers issue."""

from typing import Any

import pytest

from signature.domain import dstu4145, key_containers
from signature.domain.binary_curves import BinaryCurve
from signature.domain.dstu4145 import Domain, DstuError, PrivateKey, PublicKey, hash_to_field, sign_values
from signature.domain.gost34311 import gost34311


def h(value: str) -> int:
    return int(value, 16)


# (m, exponents, A, B, base x, base y, n, d, e, hash as the standard prints it, r, s)
VECTORS = [
    # DSTU 4145-2002 Annex B
    (163, (3, 6, 7), 1, "5FF6108462A2DC8210AB403925E638A19C1455D21", "72d867f93a93ac27df9ff01affe74885c8c540420",
     "0224a9c3947852b97c5599d5f4ab81122adc3fd9b", "400000000000000000002BEC12BE2262D39BCF14D",
     "183f60fdf7951ff47d67193f8d073790c1c9b5a3e", "1025e40bd97db012b7a1d79de8e12932d247f61c6",
     "09c9c44277910c9aaee486883a2eb95b7180166ddf73532eeb76edaef52247ff",
     "274ea2c0caa014a0d80a424f59ade7a93068d08a7", "2100d86957331832b8e8c230f5bd6a332b3615aca"),
    (173, (1, 2, 10), 0, "108576C80499DB2FC16EDDF6853BBB278F6B6FB437D9", "BE6628EC3E67A91A4E470894FBA72B52C515F8AEE9",
     "D9DEEDF655CF5412313C11CA566CDC71F4DA57DB45C", "800000000000000000000189B4E67606E3825BB2831",
     "955CD7E344303D1034E66933DC21C8044D42ADB8", "137449348C1249971759D99C252FFE1E14D8B31F",
     "0137187EA862117EF1484289470ECAC802C5A651FDA8",
     "13ae89746386709cdbd237cc5ec20ca30004a82ead8", "3597912cdd093b3e711ccb74a79d3c4ab4c7cccdc60"),
    (431, (1, 3, 5), 1,
     "3CE10490F6A708FC26DFE8C3D27C4F94E690134D5BFF988D8D28AAEAEDE975936C66BAC536B18AE2DC312CA493117DAA469C640CAF3",
     "9548BCDF314CEEEAF099C780FFEFBF93F9FE5B5F55547603C9C8FC1A2774170882B3BE35E892C6D4296B8DEA282EC30FB344272791",
     "4C6CBD7C62A8EEEFDE17A8B5E196E49A22CE6DE128ABD9FBD81FA4411AD5A38E2A810BEDE09A7C6226BCDCB4A4A5DA37B4725E00AA74",
     "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBA3175458009A8C0A724F02F81AA8A1FCBAF80D90C7A95110504CF",
     "D0F97354E314191FD773E2404F478C8AEE0FF5109F39E6F37D1FEEC8B2ED1691D84C9882CC729E716A71CC013F66CAC60E29E22C",
     "C4224DBBD800988DBAA39DE838294C345CDA5F5929D1174AA8D9340A5E79D10ACADE6B53CF873E7301A3871C2073AD75AB530457",
     "0137187EA862117EF1484289470ECAC802C5A651FDA8",
     "1911fefb1f494bebcf8dffdf5276946ff9c9f662192ee18c718db47310a439c784fe07577b16e1edbe16179876e0792a634f1c9c3a2e",
     "3852170ee801c2083c52f1ea77b987a5432acecd9c654f064e87bf179e0a397151edbca430082e43bd38a67b55424b5bbc7f2713f620"),
]  # fmt: skip


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: f"m{vector[0]}")
def test_signature_matches_published_vectors(vector: tuple[Any, ...]) -> None:
    m, exponents, a, b, x, y, n, d, e, digest, r, s = vector
    curve = BinaryCurve(m, exponents, a, h(b), (h(x), h(y)), h(n), 4 if a == 0 else 2)
    # the standard prints the hash as a number; a GOST 34.311 digest's bytes are that number little-endian
    hash_value = hash_to_field(curve, bytes.fromhex(digest)[::-1])
    assert sign_values(curve, h(d), hash_value, h(e)) == (h(r), h(s))
    public = curve.combine(h(n) - h(d))
    assert public is not None
    assert dstu4145._verify_values(curve, public, hash_value, h(r), h(s))
    assert not dstu4145._verify_values(curve, public, hash_value ^ 2, h(r), h(s))


def test_every_named_curve_is_sound() -> None:
    for index in range(10):
        curve = dstu4145.named_curve(f"{dstu4145.DSTU4145_LE}.2.{index}")
        assert curve.combine(0, curve.base, curve.order) is None  # the base point has order n
        assert curve.trace(curve.base[0]) == curve.a  # what point decompression relies on
    with pytest.raises(DstuError):
        dstu4145.named_curve(f"{dstu4145.DSTU4145_LE}.2.10")


def test_signatures_verify_in_both_encodings_and_only_for_their_data() -> None:
    key = PrivateKey.generate(Domain.named())
    public = key.public_key()
    digest = gost34311("Акт приймання-передачі".encode())
    signature = key.sign(digest)
    assert len(signature) == 64
    assert public.verify(digest, signature)
    assert public.verify(digest, b"\x04\x40" + signature)  # as certificates and Bouncy Castle carry it
    assert not public.verify(gost34311(b"another act"), signature)
    assert not public.verify(digest, signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not PrivateKey.generate(Domain.named()).public_key().verify(digest, signature)
    assert not public.verify(digest, b"")


def test_public_keys_travel_compressed_with_their_parameters() -> None:
    domain = Domain.named()
    public = PrivateKey.generate(domain).public_key()
    parameters = domain.parameters().dump()
    assert PublicKey.from_subject_public_key_info(parameters, public.encoded()) == public
    curve = domain.curve
    for _ in range(5):
        point = PrivateKey.generate(domain).public_key().point
        assert dstu4145.decompress(curve, dstu4145.compress(curve, point)) == point
    with pytest.raises(DstuError):
        PublicKey.from_subject_public_key_info(parameters, b"\x04\x01\x00")


def test_explicit_curve_parameters_are_understood() -> None:
    curve = Domain.named().curve
    explicit = dstu4145.DstuParameters(
        {
            "curve": dstu4145._Curve(
                name="explicit",
                value={
                    "f": {"m": 257, "polynomial": dstu4145._Polynomial(name="trinomial", value=12)},
                    "a": 0,
                    "b": curve.b.to_bytes(33, "little"),
                    "n": curve.order,
                    "bp": dstu4145.compress(curve, curve.base),
                },
            )
        }
    ).dump()
    domain = Domain.from_parameters(explicit)
    assert domain.curve.base == curve.base and domain.curve.order == curve.order


def test_key_files_round_trip_and_refuse_wrong_passwords() -> None:
    domain = Domain.named()
    key, agreement = PrivateKey.generate(domain), PrivateKey.generate(domain)
    iit = key_containers.iit_key6(key, agreement, b"secret")
    assert key_containers.read_key_file(iit, b"secret").keys == (key, agreement)
    pbes2 = key_containers.pbes2(key_containers.private_key_info(key), b"secret", iterations=50)
    assert key_containers.read_key_file(pbes2, b"secret").keys == (key,)
    plain = key_containers.private_key_info(key)
    assert key_containers.read_key_file(plain, b"").keys == (key,)
    for wrong in (iit, pbes2):
        with pytest.raises(key_containers.UnreadableKeyFile):
            key_containers.read_key_file(wrong, b"Secret")
    with pytest.raises(key_containers.UnreadableKeyFile):
        key_containers.read_key_file(b"-----BEGIN ENCRYPTED PRIVATE KEY-----", b"secret")
