"""The command-line signer, for users who automate signing: `python -m signature.cli sign ...`.

It does what the browser does, through the cabinet's own web address (the gateway): signs in with the user's
login and password, asks for the data to sign with the chosen registered certificate, signs it here with the
user's key file (the key never leaves this machine), and sends the signature value back. The server assembles
and checks the CMS signature; the answer is the document's new signature status.

    python -m signature.cli sign --api https://cabinet.example --login avtomobilist \\
        --password-file ~/.cabinet-password --key key.pem --key-password-file ~/.key-password \\
        --certificate-id <id from «Мої сертифікати»> --document <document id>

Exit status: 0 signed; 1 refused (the reason code and message are printed); 2 wrong arguments or files.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from signature.domain import keys

#: the gateway's routes for signing (gateway/src/gateway/pages/signing_api.py)
PREPARE_PATH = "/api/signing/{document_id}/prepare"
FINALIZE_PATH = "/api/signing/finalize/{signing_id}"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
CSRF_COOKIES = ("__Host-csrf", "csrf")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class Refused(Exception):
    """The cabinet refused a step; `code` is its reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignRequest:
    api: str
    login: str
    password: str
    key: keys.SigningKey
    certificate_id: uuid.UUID
    document_id: uuid.UUID


class Cabinet:
    """The cabinet's web address as a signed-in browser uses it: session cookie, and the csrf token of its
    cookie repeated in a header (or form field) of every state-changing request."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def log_in(self, login: str, password: str) -> None:
        await self._client.get(LOGIN_PATH)  # hands this client its csrf cookie
        response = await self._client.post(
            LOGIN_PATH, data={"login": login, "password": password, CSRF_FIELD: self._csrf()}
        )
        # a successful sign-in redirects; a refused one shows the login page again (401, 429...)
        if response.status_code != 303:
            code = "throttled" if response.status_code == 429 else "invalid_credentials"
            raise Refused(code, f"signing in as {login!r} failed (HTTP {response.status_code})")

    async def log_out(self) -> None:
        await self._client.post(LOGOUT_PATH, data={CSRF_FIELD: self._csrf()})

    async def prepare(self, document_id: uuid.UUID, certificate_id: uuid.UUID) -> dict[str, Any]:
        return await self._post(PREPARE_PATH.format(document_id=document_id), {"certificate_id": str(certificate_id)})

    async def finalize(
        self, signing_id: str, signature_value: bytes, manifest_signature_value: bytes
    ) -> dict[str, Any]:
        return await self._post(FINALIZE_PATH.format(signing_id=signing_id), {
            "signature_value_base64": base64.b64encode(signature_value).decode(),
            "manifest_signature_value_base64": base64.b64encode(manifest_signature_value).decode(),
        })

    async def _post(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        response = await self._client.post(path, json=body, headers={CSRF_HEADER: self._csrf()})
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400 or not isinstance(answer, dict):
            detail = answer.get("detail", answer) if isinstance(answer, dict) else None
            if isinstance(detail, dict) and "code" in detail:
                raise Refused(str(detail["code"]), str(detail.get("message", "")))
            raise Refused("error", f"HTTP {response.status_code} from {path}")
        return answer

    def _csrf(self) -> str:
        for name in CSRF_COOKIES:
            value = self._client.cookies.get(name)
            if value:
                return value
        raise Refused("csrf_missing", "the cabinet gave no csrf cookie: is --api the cabinet's address?")


async def sign_document(request: SignRequest, *, transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """The three steps; the finalize answer (the document's new status)."""
    async with httpx.AsyncClient(base_url=request.api, transport=transport, timeout=30.0) as client:
        cabinet = Cabinet(client)
        await cabinet.log_in(request.login, request.password)
        try:
            prepared = await cabinet.prepare(request.document_id, request.certificate_id)
            # the document, and the ASiCManifest naming it (the signature in the ASiC-E container)
            document, manifest = (
                keys.sign(request.key, base64.b64decode(prepared[field]))
                for field in ("data_to_sign_base64", "manifest_to_sign_base64")
            )
            return await cabinet.finalize(prepared["signing_id"], document, manifest)
        finally:
            await cabinet.log_out()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signature.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sign = commands.add_parser("sign", help="sign a document of the cabinet with your key")
    sign.add_argument("--api", required=True, help="the cabinet's address, e.g. https://cabinet.example")
    sign.add_argument("--login", required=True)
    sign.add_argument("--password-file", type=Path, required=True, help="a file holding your cabinet password")
    sign.add_argument("--key", type=Path, required=True, help="your private key (encrypted PKCS#8 PEM)")
    sign.add_argument("--key-password-file", type=Path, required=True, help="a file holding the key's password")
    sign.add_argument("--certificate-id", type=uuid.UUID, required=True, help="your registered certificate's id")
    sign.add_argument("--document", type=uuid.UUID, required=True, help="the id of the document to sign")
    arguments = parser.parse_args(argv)
    try:
        request = SignRequest(
            api=arguments.api,
            login=arguments.login,
            password=keys.read_password_file(arguments.password_file.read_bytes()).decode(),
            key=keys.load_signing_key(
                arguments.key.read_bytes(), keys.read_password_file(arguments.key_password_file.read_bytes())
            ),
            certificate_id=arguments.certificate_id,
            document_id=arguments.document,
        )
    except (OSError, UnicodeError, keys.UnusableKey) as exc:
        print(f"cannot sign: {exc}", file=sys.stderr)
        return 2
    try:
        answer = asyncio.run(sign_document(request))
    except Refused as refusal:
        print(f"refused: {refusal.code}: {refusal.message}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"the cabinet cannot be reached at {request.api}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
