"""A consumer signs with a Ukrainian qualified key (DSTU 4145 in an IIT Key-6.dat), through the service's API: the
service hashes the document with GOST 34.311, refuses a value by the file's other key, and keeps a CAdES
signature that verifies against the trusted DSTU CA."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from signature.domain import cades, dstu4145, key_containers, keys
from signature.domain.gost34311 import gost34311


def demo_dstu_signer(cabinet, who: str) -> tuple[x509.Certificate, tuple[keys.SigningKey, ...]]:  # type: ignore[no-untyped-def]
    """The demo signer's DSTU certificate and the keys of its Key-6.dat: the certificate's first."""
    environment = cabinet.trust.environment
    certificate = x509.load_der_x509_certificate(Path(environment[f"demo_{who}_dstu_cert_file"]).read_bytes())
    key_file = Path(environment[f"demo_{who}_dstu_key_file"]).read_bytes()
    password = Path(environment[f"demo_{who}_dstu_key_password_file"]).read_bytes()
    key = keys.load_signing_key(key_file, password, certificate)
    others = tuple(other for other in key_containers.read_key_file(key_file, password).keys if other != key)
    return certificate, (key, *others)


async def test_a_consumer_signs_with_a_key_6_dat(cabinet) -> None:  # type: ignore[no-untyped-def]
    certificate, (key, agreement_key) = demo_dstu_signer(cabinet, "consumer")
    assert isinstance(key, dstu4145.PrivateKey)
    registered = await cabinet.api(cabinet.consumer_a).post(
        "/api/v1/certificates", json={"certificate_pem": certificate.public_bytes(Encoding.PEM).decode()}
    )
    assert registered.status_code == 201, registered.text
    document = await cabinet.store_document(cabinet.consumer_a.consumer_id)

    prepared = await cabinet.prepare(cabinet.consumer_a, document["id"], registered.json()["id"])
    assert prepared.status_code == 201, prepared.text
    answer = prepared.json()
    assert answer["signature_algorithm"] == "DSTU4145_GOST34311" and answer["digest_algorithm"] == "GOST34311"
    public = dstu4145.compress(key.domain.curve, key.public_key().point)[::-1].hex().lstrip("0")
    assert answer["public_key_hex"] == public
    values = [
        key.sign(gost34311(base64.b64decode(answer[field])))
        for field in ("data_to_sign_base64", "manifest_to_sign_base64")
    ]
    # a wrong value first: by the key-agreement key of the same file
    wrong = keys.sign(agreement_key, base64.b64decode(answer["data_to_sign_base64"]))
    refused = await cabinet.finalize(cabinet.consumer_a, answer["signing_id"], wrong, values[1])
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "signature_invalid"

    signed = await cabinet.finalize(cabinet.consumer_a, answer["signing_id"], *values)
    assert signed.status_code == 201, signed.text
    signature = signed.json()["signature"]
    assert signature["signer"] == "Петренко Аліса Іванівна"
    p7s = await cabinet.api(cabinet.consumer_a).get(f"/api/v1/signatures/{signature['id']}/p7s")
    assert p7s.status_code == 200
    trust = cabinet.signature.state.signature.trust.store
    verified = cades.verify(
        p7s.content, document_gost34311=gost34311(document["content"]), trust=trust,
        at=cades.PreparedSignature.from_data_to_sign(base64.b64decode(answer["data_to_sign_base64"])).signing_time,
        expected_edrpou="12345678",
    )  # fmt: skip
    assert verified.certificate_check.ok
