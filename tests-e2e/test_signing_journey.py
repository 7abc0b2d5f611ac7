"""Signing in real Chromium: the consumer and the supplier each sign a document with their own key file.

The private key is decrypted and used inside the browser (gateway/static/sign.js, WebCrypto); the server only
ever sees the signature value. The resulting CAdES signatures are checked with `openssl cms -verify` against
the test CA the signature service trusts.

Assumes the `trust` fixture of conftest.py: the dict `devtools.testca.ensure_local_trust(directory)` returns
for the CA the running signature service was started with (its upper-case keys are that service's environment;
`demo_staff_*` are the demo staff member's signer files).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import pkcs7
from playwright.sync_api import Browser, Page, Request, expect
from stdnum.ua import edrpou as edrpou_number

from devtools import testca
from devtools.asic import verify_asic_e
from journeys import (
    Mailbox,
    complete_registration,
    create_signing_consumer,
    register_certificate,
    sign_in,
    sign_in_browser,
)
from shared.auth import Principal, Role, ServiceTokens
from shared.testing import until

PASSPHRASE = "зелений трамвай їде через сім мостів"
KEY_PASSWORD = "ключ від сейфа 2024"
#: a document's bytes only have to begin as a PDF does for the documents service to take them as one
PDF = b"%PDF-1.4\n% e2e signing journey\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _random_edrpou() -> str:
    """A valid EDRPOU (check digit included) that no other test's consumer has."""
    body = f"{secrets.randbelow(9_000_000) + 1_000_000}"
    return body + edrpou_number.calc_check_digit(body)


def _store_document(system: Any, service_token_secret: str, consumer_id: str, title: str) -> str:
    """What billing or metering would do: store a document of the consumer in the documents service."""
    tokens = ServiceTokens(service_token_secret, issuer="e2e")
    token = tokens.issue(Principal(role=Role.SERVICE, issuer="e2e"))
    response = httpx.post(
        f"{system.layout.url('documents')}/api/v1/documents",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "consumer_id": consumer_id, "type": "supplementary_agreement", "title": title,
            "file_name": "Додаткова угода.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(PDF).decode(),
        },
        timeout=20,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _openssl_verify(signature: Path, content: Path, ca_file: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature), "-content", str(content),
         "-CAfile", ca_file, "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True, check=False, timeout=30,
    )


class SigningCalls:
    """What the page sends to the gateway's signing routes: it must never carry the key or its password."""

    def __init__(self, page: Page) -> None:
        self.bodies: list[dict[str, Any]] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        if "/api/signing/" in request.url:
            self.bodies.append(json.loads(request.post_data or "{}"))


@pytest.fixture
def consumer_page(browser: Browser, system: Any) -> Any:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_consumer_and_supplier_sign_a_document_in_the_browser(
    page: Page, consumer_page: Page, mailbox: Mailbox, demo: dict[str, Any], system: Any,
    trust: dict[str, str], service_token_secret: str, tmp_path: Path,
) -> None:
    suffix = secrets.token_hex(3)
    edrpou = _random_edrpou()
    organisation = f"ТОВ «Підпис-{suffix}»"
    agreement_email = f"sign-{suffix}@avto.example"
    login = f"pidpys{suffix}"
    ca_file = trust["CABINET_TRUST_CA_FILES"]

    # the supplier creates a consumer whose agreement provides for electronic signatures; the consumer registers
    sign_in(page, demo["staff_login"], demo["staff_password"])
    code, consumer_id = create_signing_consumer(
        page, account_number=str(20000 + int(suffix, 16) % 70000), name=organisation,
        agreement_email=agreement_email, edrpou=edrpou,
    )
    UUID(consumer_id)
    [letter] = mailbox.wait_for(agreement_email)
    complete_registration(consumer_page, mailbox.link(letter, "/registration/complete/"), code=code, login=login,
                          password=PASSPHRASE)
    sign_in(consumer_page, login, PASSPHRASE)

    # «Інструкція з отримання ЕЦП»: the form makes documents.zip for the certification authority
    eds_email = f"eds-{suffix}@avto.example"
    consumer_page.get_by_role("link", name="Договори та документи").first.click()
    consumer_page.get_by_role("link", name="Інструкція з отримання ЕЦП").first.click()
    expect(consumer_page.locator("#company_name")).to_have_value(organisation)
    expect(consumer_page.locator("#edrpou")).to_have_value(edrpou)
    consumer_page.locator("#legal_address").fill("м. Київ, вул. Хрещатик, 1")
    consumer_page.locator("#signer_name").fill("Марія")
    consumer_page.locator("#signer_position").fill("Директор")
    consumer_page.locator("#email").fill(eds_email)
    consumer_page.get_by_role("button", name="Зберегти та відправити").click()
    expect(consumer_page.locator("#signer_name-error")).to_contain_text("щонайменше прізвище та ім’я")
    consumer_page.locator("#signer_name").fill("Шевченко Марія Олегівна")
    consumer_page.get_by_role("button", name="Зберегти та відправити").click()
    expect(consumer_page.locator("main")).to_contain_text(f"буде надіслано на {eds_email}")
    with consumer_page.expect_download() as package_download:
        consumer_page.get_by_role("link", name="Завантажити documents.zip").click()
    package_file = tmp_path / "documents.zip"
    package_download.value.save_as(package_file)
    with zipfile.ZipFile(package_file) as package:
        names = sorted(package.namelist())
    assert len(names) == 6 and names[0].startswith("01 ") and all(name.endswith(".pdf") for name in names)
    mailbox.wait_for(eds_email)

    # the consumer's signer gets a qualified certificate from the (test) CA the cabinet trusts
    ca = testca.load_ca(Path(ca_file).parent)
    issued = testca.issue_certificate(ca, common_name="Шевченко Марія Олегівна", organization=organisation,
                                      edrpou=edrpou, title="Директор")
    certificate_file = tmp_path / "consumer.cer"
    certificate_file.write_bytes(issued.certificate.public_bytes(serialization.Encoding.DER))  # a binary .cer
    key_file = tmp_path / "consumer.key.pem"
    key_file.write_bytes(testca.encrypted_private_key_pem(issued.key, KEY_PASSWORD.encode()))

    title = f"Додаткова угода № {suffix} до договору про постачання"
    document_id = _store_document(system, service_token_secret, consumer_id, title)

    # another company's certificate is refused, with the reason beside the field
    register_certificate(consumer_page, trust["demo_consumer_cert_file"])
    expect(consumer_page.locator("#certificate-error")).to_contain_text("видано для іншої юридичної особи")
    # its own is registered
    register_certificate(consumer_page, str(certificate_file))
    expect(consumer_page.locator("main")).to_contain_text("Сертифікат зареєстровано")
    expect(consumer_page.locator("main table")).to_contain_text("Шевченко Марія Олегівна")

    # «Договори та документи» lists the document, not signed yet, with «Підписати»
    consumer_page.get_by_role("link", name="Договори та документи").first.click()
    row = consumer_page.locator("tr", has_text=title)
    expect(row).to_contain_text("Не підписано")
    row.get_by_role("link", name=re.compile("^Підписати")).click()
    expect(consumer_page).to_have_url(re.compile(rf"/documents/{document_id}#sign$"))

    calls = SigningCalls(consumer_page)
    status = consumer_page.locator("#signature-state")

    # a wrong password is told apart, and nothing is sent: the key is opened before the cabinet is asked
    sign_in_browser(consumer_page, str(key_file), "не той пароль")
    expect(consumer_page.locator("#key_password-error")).to_have_text("Пароль не підходить до цього ключа.")
    assert calls.bodies == []
    expect(status).to_contain_text("Не підписано")

    # the right one signs; the status changes without reloading the page
    sign_in_browser(consumer_page, str(key_file), KEY_PASSWORD)
    expect(consumer_page.locator("#sign-result")).to_have_text("Документ підписано.")
    expect(status).to_contain_text("Підписано споживачем")
    expect(status).to_contain_text("Шевченко Марія Олегівна")
    assert [sorted(body) for body in calls.bodies] == [
        ["certificate_id"], ["manifest_signature_value_base64", "signature_value_base64"]
    ]
    key_text = key_file.read_text()
    for body in calls.bodies:
        assert KEY_PASSWORD not in json.dumps(body, ensure_ascii=False) and key_text[40:80] not in json.dumps(body)
    # ECDSA P-256 as WebCrypto gives it: r‖s, 64 bytes
    assert len(base64.b64decode(calls.bodies[1]["signature_value_base64"])) == 64
    assert len(base64.b64decode(calls.bodies[1]["manifest_signature_value_base64"])) == 64
    consumer_page.reload()
    expect(status).to_contain_text("Підписано споживачем")
    expect(consumer_page.locator("#sign-form")).to_have_count(0)

    # the supplier's settlement manager holds an ECDSA and a DSTU certificate, and signs from the console's queue
    for staff_certificate_file in (trust["demo_staff_cert_file"], trust["demo_staff_dstu_cert_file"]):
        register_certificate(page, staff_certificate_file)
        expect(page.locator("main")).to_contain_text(re.compile("Сертифікат зареєстровано|уже зареєстровано"))
    page.get_by_role("link", name="Підписи", exact=True).click()
    page.locator("tr", has_text=title).get_by_role("link", name=title).click()
    expect(page.locator("#signature-state")).to_contain_text("Підписано споживачем")
    # with the DSTU certificate chosen, the ECDSA key file makes the page take the certificate the key belongs to
    dstu_certificate = x509.load_der_x509_certificate(Path(trust["demo_staff_dstu_cert_file"]).read_bytes())
    ecdsa_certificate = x509.load_pem_x509_certificate(Path(trust["demo_staff_cert_file"]).read_bytes())
    options = page.locator("#certificate_id option")
    dstu_option = options.filter(has_text=format(dstu_certificate.serial_number, "x")).get_attribute("value")
    ecdsa_option = options.filter(has_text=format(ecdsa_certificate.serial_number, "x")).get_attribute("value")
    page.locator("#certificate_id").select_option(dstu_option)
    staff_password = Path(trust["demo_staff_key_password_file"]).read_text().strip()
    sign_in_browser(page, trust["demo_staff_key_file"], staff_password)
    expect(page.locator("#sign-result")).to_have_text("Документ підписано.")
    assert page.locator("#certificate_id").input_value() == ecdsa_option
    expect(page.locator("#signature-state")).to_contain_text("Підписано обома сторонами")
    page.goto("/console/signatures")
    expect(page.locator("main")).not_to_contain_text(title)

    # «Договори та документи» lists it with the same status
    consumer_page.goto("/documents")
    expect(consumer_page.locator("main tr", has_text=title)).to_contain_text("Підписано обома сторонами")

    # the consumer sees both signatures, and downloads the document and the signatures to check them offline
    consumer_page.go_back()
    expect(status).to_contain_text("Підписано обома сторонами")
    with consumer_page.expect_download() as document_download:
        consumer_page.get_by_role("link", name="Завантажити документ", exact=True).click()
    document_file = tmp_path / "document.pdf"
    document_download.value.save_as(document_file)
    assert document_file.read_bytes() == PDF
    with consumer_page.expect_download() as p7s_download:
        consumer_page.get_by_role("link", name=re.compile("Шевченко Марія Олегівна")).click()
    p7s_file = tmp_path / "consumer.p7s"
    p7s_download.value.save_as(p7s_file)
    assert p7s_download.value.suggested_filename.endswith(".p7s")
    verified = _openssl_verify(p7s_file, document_file, ca_file)
    assert verified.returncode == 0 and "Verification successful" in verified.stderr, verified.stderr
    assert issued.certificate in pkcs7.load_der_pkcs7_certificates(p7s_file.read_bytes())

    with consumer_page.expect_download() as container_download:
        consumer_page.get_by_role("link", name=re.compile("ASiC-E")).click()
    assert container_download.value.suggested_filename.endswith(".asice")
    container_file = tmp_path / "signed.asice"
    container_download.value.save_as(container_file)
    # each party signed a manifest naming the document: openssl checks each, the manifests' digests the document
    verified_manifests = verify_asic_e(container_file.read_bytes(), Path(ca_file))
    signers = [x509.load_pem_x509_certificate(item.signers.encode()) for item in verified_manifests]
    staff_certificate = x509.load_pem_x509_certificate(Path(trust["demo_staff_cert_file"]).read_bytes())
    assert signers == [issued.certificate, staff_certificate]
    with zipfile.ZipFile(container_file) as container:
        assert container.read(verified_manifests[0].data_objects[0]) == PDF


    # a document the consumer disagrees with is refused, with the reason, instead of signed
    disputed = _store_document(system, service_token_secret, consumer_id, f"Акт звірки № {suffix}")
    consumer_page.goto(f"/documents/{disputed}")
    refuse = consumer_page.locator("#refuse")
    refuse.get_by_role("button", name="Відмовитися від підписання").click()
    expect(consumer_page.locator("#reason-error")).to_have_text("Напишіть, чому ви відмовляєтеся підписати документ.")
    consumer_page.locator("#reason").fill("Сума не відповідає показанням за серпень")
    refuse.get_by_role("button", name="Відмовитися від підписання").click()
    expect(consumer_page.locator("main")).to_contain_text("Ви відмовилися підписати документ")
    expect(status).to_contain_text("Відмовлено в підписанні")
    expect(status).to_contain_text("Сума не відповідає показанням за серпень")
    expect(consumer_page.locator("#sign")).to_have_count(0)

def test_the_queue_shows_staff_only_the_consumers_identity_shows_them(
    page: Page, demo: dict[str, Any], system: Any, service_token_secret: str,
) -> None:
    """A document of a consumer the staff member may not see (another branch's: identity answers 404, as for an
    unknown one) stays out of their queue, and the queue still opens."""
    suffix = secrets.token_hex(3)
    hidden = _store_document(system, service_token_secret, str(uuid4()), f"Акт іншої філії № {suffix}")
    sign_in(page, demo["staff_login"], demo["staff_password"])
    # the signature service hears of the document from its event
    until(lambda: _awaits_supplier(system, service_token_secret, hidden), "the document awaits the supplier")

    response = page.goto("/console/signatures")

    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text("Документи, що чекають на підпис постачальника")
    expect(page.locator("main")).not_to_contain_text(f"Акт іншої філії № {suffix}")


def _awaits_supplier(system: Any, service_token_secret: str, document_id: str) -> bool:
    token = ServiceTokens(service_token_secret, issuer="e2e").issue(Principal(role=Role.SERVICE, issuer="e2e"))
    response = httpx.get(
        f"{system.layout.url('signature')}/api/v1/documents", params={"document_id": document_id},
        headers={"Authorization": f"Bearer {token}"}, timeout=20,
    )
    return response.status_code == 200 and bool(response.json())


def test_the_browser_opens_key_files_and_its_signatures_verify(browser: Browser, tmp_path: Path) -> None:
    """sign.js on its own, in Chromium: the key opened with its password signs; the wrong password is told apart."""
    issued = testca.issue_certificate(testca.create_ca(), common_name="Тест", organization="Тест", edrpou="12345678")
    assert isinstance(issued.key, ec.EllipticCurvePrivateKey)
    encrypted = testca.encrypted_private_key_pem(issued.key, KEY_PASSWORD.encode())
    unencrypted = issued.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    traditional = issued.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    script = (Path(__file__).resolve().parents[1] / "gateway/src/gateway/static/sign.js").read_text()
    context = browser.new_context()
    page = context.new_page()
    # WebCrypto needs a secure context: a page of http://localhost is one
    page.route("http://localhost/**", lambda route: route.fulfill(body="<!doctype html><title>t</title>",
                                                                  content_type="text/html"))
    page.goto("http://localhost/")
    page.add_script_tag(content=script)
    data = b"signed attributes stand-in"

    def attempt(key: bytes, password: str) -> dict[str, str]:
        answer: dict[str, str] = page.evaluate(
            """async ([key, password, data]) => {
                const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                try {
                    const opened = await window.CabinetSigning.openKey(bytes(key), password);
                    const value = await window.CabinetSigning.sign(opened, bytes(data));
                    return {algorithm: opened.algorithm, signature: btoa(String.fromCharCode(...value))};
                } catch (problem) {
                    return {problem: problem.reason || String(problem)};
                }
            }""",
            [base64.b64encode(key).decode(), password, base64.b64encode(data).decode()],
        )
        return answer

    for key, password in ((encrypted, KEY_PASSWORD), (unencrypted, "")):
        answer = attempt(key, password)
        assert answer.get("algorithm") == "ECDSA_P256_SHA256", answer
        raw = base64.b64decode(answer["signature"])
        der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        issued.key.public_key().verify(der, data, ec.ECDSA(hashes.SHA256()))
    assert attempt(encrypted, "не той пароль") == {"problem": "wrong_password"}
    assert attempt(encrypted, "") == {"problem": "password_required"}
    assert attempt(traditional, "") == {"problem": "unsupported_key"}
    assert attempt(b"not a key at all", "x") == {"problem": "unreadable_key"}
    context.close()
