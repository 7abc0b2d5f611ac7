"""The command-line signer, end to end: a consumer's user signs a document with their key file through the
cabinet's web address (the real gateway over HTTP, in front of identity, signature and documents)."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from gateway.app import create_app as create_gateway_app
from gateway.settings import GatewaySettings
from shared.auth import ConsumerRole, Principal, Role

PASSWORD = "sonyashnyk i hmara nad stepom"


async def registered_user(cabinet) -> tuple[str, Principal]:
    """Consumer A's user, registered with the demo activation code and the link identity e-mailed."""
    [letter] = [
        letter for letter in await cabinet.identity_outbox("identity.registration_link_issued.v1")
        if letter["consumer_id"] == cabinet.demo.consumer_id
    ]
    token = letter["link_url"].rsplit("/", 1)[1]
    response = await cabinet.client(cabinet.identity, Principal(ip="192.0.2.7")).post(
        "/api/v1/registration/complete", json={
            "token": token, "activation_code": cabinet.demo.activation_code, "login": "avtomobilist",
            "password": PASSWORD, "password_confirmation": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    return user["login"], Principal(
        user_id=uuid.UUID(user["id"]), consumer_id=uuid.UUID(user["consumer"]["id"]), role=Role.CONSUMER,
        consumer_role=ConsumerRole(user["consumer_role"]),
    )


async def run_cli(*arguments: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "signature.cli", *arguments,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_line_signer_signs_through_the_gateway(cabinet, serve, tmp_path: Path) -> None:
    login, principal = await registered_user(cabinet)
    alice = cabinet.trust.key_of("consumer")
    certificate = await cabinet.register(principal, alice)
    document = await cabinet.store_document(principal.consumer_id)
    environment = cabinet.trust.environment
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    wrong_password_file = tmp_path / "wrong-password"
    wrong_password_file.write_text("not the password at all")

    async with (
        serve(cabinet.identity) as identity_url, serve(cabinet.documents) as documents_url,
        serve(cabinet.signature) as signature_url,
    ):
        gateway = create_gateway_app(GatewaySettings(
            service_token_secret=cabinet.settings.service_token_secret, identity_url=identity_url,
            documents_url=documents_url, signature_url=signature_url, log_format="console",
        ))
        async with serve(gateway, lifespan="on") as gateway_url:
            common = [
                "sign", "--api", gateway_url, "--login", login, "--key", environment["demo_consumer_key_file"],
                "--key-password-file", environment["demo_consumer_key_password_file"],
                "--certificate-id", certificate["id"], "--document", document["id"],
            ]
            wrong_login = await run_cli(*common, "--password-file", str(wrong_password_file))
            wrong_key_password = await run_cli(
                *[argument if argument != environment["demo_consumer_key_password_file"] else str(password_file)
                  for argument in common], "--password-file", str(password_file),
            )
            signed = await run_cli(*common, "--password-file", str(password_file))
            again = await run_cli(*common, "--password-file", str(password_file))

    assert wrong_login[0] == 1 and "invalid_credentials" in wrong_login[2], wrong_login
    assert wrong_key_password[0] == 2 and "cannot sign" in wrong_key_password[2], wrong_key_password
    assert signed[0] == 0, signed
    answer = json.loads(signed[1])
    assert answer["document_id"] == document["id"] and answer["status"] == "signed_by_consumer"
    assert again[0] == 1 and "already_signed" in again[2], again
    status = await cabinet.status(document["id"], principal)
    [signature] = status["signatures"]
    assert signature["certificate_id"] == certificate["id"] and signature["party"] == "consumer"
    p7s = await cabinet.api(principal).get(f"/api/v1/signatures/{signature['id']}/p7s")
    assert p7s.status_code == 200, p7s.text
    verified = cabinet.openssl_verify(p7s.content, document["content"])
    assert verified.returncode == 0, verified.stderr
    assert alice.certificate.public_bytes(Encoding.DER) in p7s.content
