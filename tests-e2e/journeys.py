"""Steps of the user journeys, as a person does them in the browser, shared by the end-to-end tests."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect

from devtools import testca
from devtools.processes import System
from shared.testing import until


class Mailbox:
    """The mail catcher's API: letters as they arrived."""

    def __init__(self, url: str) -> None:
        self.url = url

    def letters(self, to: str | None = None) -> list[dict[str, Any]]:
        letters = httpx.get(f"{self.url}/api/letters", timeout=5).json()
        return [letter for letter in letters if to is None or to in letter["to"]]

    def wait_for(
        self, to: str, subject_contains: str = "", count: int = 1, timeout: float = 20
    ) -> list[dict[str, Any]]:
        def arrived() -> list[dict[str, Any]] | None:
            found = [letter for letter in self.letters(to) if subject_contains in letter["subject"]]
            return found if len(found) >= count else None

        return until(arrived, f"{count} letter(s) to {to} with {subject_contains!r}", within=timeout, interval=0.2)

    def refuse(self, code: int = 451) -> None:
        httpx.post(f"{self.url}/api/refuse", json={"code": code}, timeout=5).raise_for_status()

    def accept(self) -> None:
        httpx.delete(f"{self.url}/api/refuse", timeout=5).raise_for_status()

    @staticmethod
    def link(letter: dict[str, Any], path_part: str) -> str:
        links = re.findall(r"https?://[^\s\"'<>]+", letter["text"])
        for link in links:
            if path_part in link:
                return link
        raise AssertionError(f"no link with {path_part!r} in the letter: {links}")


@contextmanager
def page_on(browser: Browser, system: System) -> Iterator[Page]:
    """A page of a browser context of its own, on the system's gateway, in Ukrainian."""
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


DEMO_STAFF_PASSWORD = "correct horse battery staple 42"


def load_demo(system: System, password: str = DEMO_STAFF_PASSWORD) -> dict[str, Any]:
    """The demo supplier branch, its staff (`staff_login`, `staff_password`) and the demo consumer, made in the
    system by the local run's own command."""
    result = subprocess.run(
        [sys.executable, "-m", "identity.demo", "--json", "--staff-password", password],
        env={**os.environ, **system.service("identity").env}, capture_output=True, text=True, check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    data["staff_password"] = password
    return data


def sign_in(page: Page, login: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Логін").fill(login)
    page.get_by_label("Пароль").fill(password)
    page.locator("main form button[type=submit]").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Вихід").click()


def create_consumer(page: Page, *, account_number: str, name: str, agreement_email: str,
                    edrpou: str = "32855961", billing_day: int = 25) -> str:
    """Supplier staff (signed in) create a consumer account; returns the activation code shown once."""
    page.goto("/console/consumers/new")
    page.locator("#account_number").fill(account_number)
    page.locator("#name").fill(name)
    page.locator("#edrpou").fill(edrpou)
    page.locator("#agreement_email").fill(agreement_email)
    page.locator("#billing_day").fill(str(billing_day))
    page.locator("main form button[type=submit]").click()
    return page.locator(".activation-code__value code").inner_text().strip()


# --- documents and electronic signatures -------------------------------------------------------------------

def create_signing_consumer(page: Page, *, account_number: str, name: str, agreement_email: str,
                            edrpou: str, self_calculation: bool = False, e_signature: bool = True,
                            ipn: str | None = None) -> tuple[str, str]:
    """Supplier staff (signed in) create a consumer, by default one whose agreement provides for electronic
    signatures and who does not calculate invoices themselves; a VAT payer, with its ІПН when given.

    Returns the activation code shown once and the consumer's id (from the link to the consumer's page).
    """
    page.goto("/console/consumers/new")
    page.locator("#account_number").fill(account_number)
    page.locator("#name").fill(name)
    page.locator("#edrpou").fill(edrpou)
    page.locator("#agreement_email").fill(agreement_email)
    page.locator("#billing_day").fill("25")
    page.locator("#self_calculation").set_checked(self_calculation)
    page.locator("#e_signature").set_checked(e_signature)
    if ipn is not None:
        page.locator("#ipn").fill(ipn)
    page.locator("main form button[type=submit]").click()
    code = page.locator(".activation-code__value code").inner_text().strip()
    href = page.locator("main a[href^='/console/consumers/']").first.get_attribute("href") or ""
    return code, href.rsplit("/", 1)[-1]


def add_metering_point(page: Page, consumer_id: str, *, meter_serial: str, zones: int = 2,
                       tariff_class: str = "class2_general", consumer_reads: bool = True) -> None:
    """Supplier staff (signed in) register a meter of the consumer in the console (once metering has learnt of
    the new consumer from identity's event)."""
    def form_shown() -> int:
        page.goto(f"/console/consumers/{consumer_id}/points")
        return page.locator("#meter_serial").count()

    until(form_shown, "the meter form (metering knows the consumer)", within=30, interval=0.5)
    page.locator("#meter_serial").fill(meter_serial)
    page.locator("#zones").select_option(str(zones))
    page.locator("#digits").fill("6")
    page.locator("#ct_ratio").fill("1")
    page.locator("#vt_ratio").fill("1")
    page.locator("#consumer_reads").set_checked(consumer_reads)
    page.locator("#tariff_class").select_option(tariff_class)
    for zone in range(1, zones + 1):  # a new meter that showed zeros when it was installed
        page.locator(f"#installation_active_{zone}").fill("0")
    page.get_by_role("button", name="Додати точку обліку").click()
    expect(page.get_by_role("table", name="Точки обліку")).to_contain_text(meter_serial)


def complete_registration(page: Page, registration_link: str, *, code: str, login: str, password: str) -> None:
    """The consumer follows the letter's link and completes the registration."""
    page.goto(registration_link)
    page.get_by_label("Код активації").fill(code)
    page.get_by_label("Логін").fill(login)
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_label("Підтвердження пароля").fill(password)
    page.get_by_role("button", name="Зареєструватися").click()
    page.wait_for_url(re.compile(r"/login"))


def register_certificate(page: Page, certificate_file: str) -> None:
    """Uploads a certificate on «Сертифікати ЕЦП»; the page then shows the result beside the form."""
    page.goto("/signature/certificates")
    page.set_input_files("#certificate_file", certificate_file)
    page.get_by_role("button", name="Зареєструвати сертифікат").click()


def consumer_certificate(trust: dict[str, str], directory: Path, *, common_name: str, organization: str,
                         edrpou: str) -> Path:
    """A certificate of its own (a binary .cer) issued by the test CA the cabinet trusts: a certificate is
    registered by one signer at a time, so journeys that register one do not share the demo signers'."""
    ca = testca.load_ca(Path(trust["CABINET_TRUST_CA_FILES"]).parent)
    issued = testca.issue_certificate(ca, common_name=common_name, organization=organization, edrpou=edrpou)
    certificate_file = directory / f"{common_name.split()[0]}-{secrets.token_hex(3)}.cer"
    certificate_file.write_bytes(issued.certificate.public_bytes(serialization.Encoding.DER))
    return certificate_file


def reload_until(page: Page, selector: str, what: str, timeout: float = 60.0) -> None:
    """Events travel through the bus: the page is reloaded until it shows what the other services did."""

    def shown() -> bool:
        if page.locator(selector).count():
            return True
        page.reload()
        return False

    until(shown, what, within=timeout, interval=0.5)


def identity_admin(system: System, *arguments: str) -> str:
    """`python -m identity.admin …` as the operator runs it, against this system's identity database."""
    result = subprocess.run([sys.executable, "-m", "identity.admin", *arguments],
                            env={**os.environ, **system.service("identity").env}, capture_output=True, text=True,
                            check=True, timeout=120)
    return result.stdout


def sign_in_browser(page: Page, key_file: str, password: str) -> None:
    """On a document's page: the key file and its password into the signing form, then «Підписати»."""
    form = page.locator("#sign-form")
    form.locator("#key_file").set_input_files(key_file)
    form.locator("#key_password").fill(password)
    form.get_by_role("button", name="Підписати").click()
    # the key is opened and the document signed in the page, then the cabinet asked twice: on a loaded machine this
    # takes longer than an expectation waits, so the page's own answer (a result or a field's error) is waited for
    page.wait_for_function(
        """() => document.querySelector("#sign-result:not(.sign-result--progress)")?.textContent.trim()
                 || document.querySelector("#sign-form .field--invalid")""",
        timeout=120_000,
    )


# --- the cabinet's sections (test_cabinet_sections.py) ------------------------------------------------------

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)  # evaluated over DevTools: the page's Content-Security-Policy allows no inline script
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))""")
    return [violation for violation in violations if violation["impact"] in ("serious", "critical")]


def accessible(page: Page) -> None:
    """No serious or critical violation that axe-core finds on the page as it is now."""
    serious = serious_violations(page)
    assert not serious, f"{page.url}: {serious}"


def send_form(page: Page, path: str, fields: dict[str, str]) -> Any:
    """A form of the cabinet sent as the page would send it (the browser's cookies and its csrf token), without
    drawing the page: for preparing what a journey needs. Redirects are not followed; returns the answer."""
    csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"].endswith("csrf"))
    return page.request.post(path, form={**fields, "csrf_token": csrf}, max_redirects=0)


def reading_fields(html: str) -> dict[int, str]:
    """Zone → the name of its active-energy input on a readings page."""
    return {int(zone): name for name, zone in re.findall(r'name="(reading\.[0-9a-f-]{36}\.active\.(\d))"', html)}
