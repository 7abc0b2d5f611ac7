"""Signing with a Ukrainian qualified key in real Chromium: the consumer picks the IIT ``Key-6.dat`` (or ``.pfx``)
their provider issued, the page opens it and signs with DSTU 4145 over GOST 34.311 (static/vendor/dstu-signer.js,
jkurwa and gost89), the key and its password never leave the page; the supplier's employee signs with their own
DSTU key. The signatures the cabinet keeps verify with Bouncy Castle, an implementation nobody here wrote.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect
from test_signing_journey import PDF, SigningCalls, _random_edrpou, _store_document

from devtools.bouncy_castle import BouncyCastle
from devtools.testca_dstu import (
    DSTU_CA_CERTIFICATE_FILE,
    DSTU_CA_KEY_FILE,
    DSTU_CRL_FILE,
    issue_dstu_certificate,
    load_dstu_ca,
)
from journeys import complete_registration, create_signing_consumer, register_certificate, sign_in, sign_in_browser

PASSPHRASE = "зелений трамвай їде через сім мостів"
# ASCII: Ukrainian key tools do not agree on how other characters of a password become bytes
KEY_PASSWORD = "sejf-2024-zelenyi-tramvai"
#: PrivatBank's .jks passwords are the JDK's: any characters (UTF-16)
JKS_PASSWORD = "Сейф-2024-зелений"


@pytest.fixture
def consumer_page(browser: Browser, system: Any) -> Any:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30000)
    yield page
    context.close()


def test_consumer_and_supplier_sign_with_dstu_keys_in_the_browser(
    page: Page, consumer_page: Page, mailbox: Any, demo: dict[str, Any], system: Any,
    trust: dict[str, str], service_token_secret: str, tmp_path: Path,
) -> None:
    suffix = secrets.token_hex(3)
    edrpou = _random_edrpou()
    organisation = f"ТОВ «Кваліфікований-{suffix}»"
    agreement_email = f"dstu-{suffix}@avto.example"
    login = f"dstu{suffix}"

    sign_in(page, demo["staff_login"], demo["staff_password"])
    code, consumer_id = create_signing_consumer(
        page, account_number=str(20000 + int(suffix, 16) % 70000), name=organisation,
        agreement_email=agreement_email, edrpou=edrpou,
    )
    [letter] = mailbox.wait_for(agreement_email)
    complete_registration(consumer_page, mailbox.link(letter, "/registration/complete/"), code=code, login=login,
                          password=PASSPHRASE)
    sign_in(consumer_page, login, PASSPHRASE)

    # the consumer's director holds a qualified DSTU 4145 key from a provider the cabinet trusts (the test one)
    directory = Path(trust["CABINET_TRUST_CA_FILES"]).parent
    ca = load_dstu_ca(*((directory / name).read_bytes() for name in (DSTU_CA_KEY_FILE, DSTU_CA_CERTIFICATE_FILE,
                                                                        DSTU_CRL_FILE)))
    issued = issue_dstu_certificate(ca, common_name="Ковальчук Олена Петрівна", organization=organisation,
                                    edrpou=edrpou, title="Директор")
    certificate_file = tmp_path / "director.cer"
    certificate_file.write_bytes(issued.certificate.public_bytes(serialization.Encoding.DER))
    key6_file, pfx_file = tmp_path / "Key-6.dat", tmp_path / "director.pfx"
    key6_file.write_bytes(issued.key_file("key6", KEY_PASSWORD.encode()))
    pfx_file.write_bytes(issued.key_file("pfx", KEY_PASSWORD.encode()))

    title = f"Акт приймання-передачі № {suffix}"
    document_id = _store_document(system, service_token_secret, consumer_id, title)
    register_certificate(consumer_page, str(certificate_file))
    expect(consumer_page.locator("main")).to_contain_text("Сертифікат зареєстровано")
    expect(consumer_page.locator("main table")).to_contain_text("Ковальчук Олена Петрівна")

    consumer_page.goto(f"/documents/{document_id}")
    calls = SigningCalls(consumer_page)
    status = consumer_page.locator("#signature-state")

    # a wrong password for the .pfx is told apart before the cabinet is asked anything
    sign_in_browser(consumer_page, str(pfx_file), "ne-toi-parol")
    expect(consumer_page.locator("#key_password-error")).to_have_text("Пароль не підходить до цього ключа.")
    assert calls.bodies == []

    # the Key-6.dat signs (its signing key, not the key-agreement one beside it)
    sign_in_browser(consumer_page, str(key6_file), KEY_PASSWORD)
    expect(consumer_page.locator("#sign-result")).to_have_text("Документ підписано.")
    expect(status).to_contain_text("Підписано споживачем")
    expect(status).to_contain_text("Ковальчук Олена Петрівна")
    assert [sorted(body) for body in calls.bodies] == [
        ["certificate_id"], ["manifest_signature_value_base64", "signature_value_base64"]
    ]
    for body in calls.bodies:
        assert KEY_PASSWORD not in json.dumps(body)
    # DSTU 4145 on M257: r‖s, 32 bytes each, little-endian
    assert len(base64.b64decode(calls.bodies[1]["signature_value_base64"])) == 64

    # the supplier's settlement manager signs with their own DSTU key (the demo staff member's Key-6.dat)
    register_certificate(page, trust["demo_staff_dstu_cert_file"])
    expect(page.locator("main")).to_contain_text(re.compile("Сертифікат зареєстровано|уже зареєстровано"))
    page.goto(f"/documents/{document_id}")
    # the employee may hold an ECDSA certificate too: the DSTU one is chosen by its serial
    staff_certificate = x509.load_der_x509_certificate(Path(trust["demo_staff_dstu_cert_file"]).read_bytes())
    option = page.locator("#certificate_id option", has_text=format(staff_certificate.serial_number, "x"))
    page.locator("#certificate_id").select_option(option.get_attribute("value"))
    staff_password = Path(trust["demo_staff_dstu_key_password_file"]).read_text()
    sign_in_browser(page, trust["demo_staff_dstu_key_file"], staff_password)
    expect(page.locator("#signature-state")).to_contain_text("Підписано обома сторонами")

    # the consumer's .p7s verifies with Bouncy Castle against the DSTU CA, for the document's bytes only
    consumer_page.reload()
    with consumer_page.expect_download() as p7s_download:
        consumer_page.get_by_role("link", name=re.compile("Ковальчук Олена Петрівна")).click()
    p7s = Path(p7s_download.value.path()).read_bytes()
    bouncy_castle = BouncyCastle(tmp_path / "bouncy-castle")
    ca_der = ca.certificate.public_bytes(serialization.Encoding.DER)
    assert bouncy_castle.ok("verify-cms", p7s, PDF, ca_der) == "OK"
    refused = bouncy_castle.run("verify-cms", p7s, PDF + b"\n", ca_der)
    assert refused.returncode == 1 and "message digest" in refused.stderr

    # PrivatBank's .jks opens in the page too: a wrong password told apart, the right one (Cyrillic) signs
    jks_file = tmp_path / "director.jks"
    jks_file.write_bytes(issued.key_file("jks", JKS_PASSWORD.encode()))
    second = _store_document(system, service_token_secret, consumer_id, f"Акт звірки № {suffix}")
    consumer_page.goto(f"/documents/{second}")
    sign_in_browser(consumer_page, str(jks_file), "ne-toi-parol")
    expect(consumer_page.locator("#key_password-error")).to_have_text("Пароль не підходить до цього ключа.")
    sign_in_browser(consumer_page, str(jks_file), JKS_PASSWORD)
    expect(consumer_page.locator("#sign-result")).to_have_text("Документ підписано.")
    expect(status).to_contain_text("Підписано споживачем")
