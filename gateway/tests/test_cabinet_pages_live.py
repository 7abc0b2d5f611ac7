"""The correspondence, the messages to the developers, the supplier's page, the home page and the console's
consumer editing against the real identity and notify services (`start_live_system` in conftest.py).

Billing, metering and signature are not started: the home page meets them down and says so panel by panel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(600)

PASSWORD = "zelenyi-tramvai-cherez-sim-mostiv"


@dataclass
class Cabinet:
    live: Any
    staff: Any
    #: the demo consumer № 0789 and another consumer of the same branch
    a: Any
    b: Any
    b_id: str


@pytest.fixture(scope="module")
def cabinet(start_live_system: Any, run_id: str) -> Iterator[Cabinet]:
    with start_live_system(("notify", "identity"), f"gwc{run_id}") as live:
        staff = live.staff()
        consumer, code = live.new_consumer(staff, "0791", "ТОВ «Листування»", "lysty@cabinet.local", billing_day=5)
        a = live.register("0789", live.demo["activation_code"], "avto2lysty", PASSWORD)
        b = live.register("0791", code, "inshyilysty", PASSWORD)
        yield Cabinet(live, staff, a, b, consumer)


def _error_of(page: str, name: str) -> str:
    match = re.search(rf'<p class="field__error" id="{re.escape(name)}-error">([^<]+)</p>', page)
    assert match, f"no error beside {name}"
    return match.group(1)


def _letter(subject: str, text: str) -> dict[str, str]:
    return {"addressee_type": "settlements", "letter_type": "question", "subject": subject, "text": text}


def test_the_server_refuses_a_letter_of_1001_characters_beside_the_field(cabinet: Cabinet) -> None:
    form = cabinet.a.get("/letters/new").text
    # no maxlength: a browser would cut a longer pasted text without a word; the counter says it is too long
    assert 'data-limit="1000"' in form and 'data-counter="text-counter"' in form and "maxlength" not in form
    assert "Показати опис, кому в яких випадках писати" in form and "<details" in form

    # sent directly, past the browser's limit: notify counts code points and refuses; the page says why
    refused = cabinet.a.post("/letters/new", _letter("Занадто довгий", "ї" * 1001))
    assert refused.status_code == 422
    assert _error_of(refused.text, "text") == "Лист довший за 1000 символів. Скоротіть його, будь ласка."
    assert re.search(r'<textarea[^>]*aria-describedby="[^"]*text-error[^"]*"[^>]*aria-invalid="true"', refused.text)
    assert "ї" * 1001 in refused.text  # what was typed stays to be shortened

    missing = cabinet.a.post("/letters/new", _letter("", "") | {"addressee_type": ""})
    assert missing.status_code == 422
    assert _error_of(missing.text, "addressee_type") == "Оберіть, кому адресовано лист."
    assert _error_of(missing.text, "subject") == "Напишіть тему листа."

    # 999 letters and a line break typed in a browser (CRLF): 1000 characters, as the counter shows them
    sent = cabinet.a.post("/letters/new", _letter("Рівно тисяча", "ї" * 998 + "\r\n" + "ї"))
    assert sent.status_code == 303 and re.fullmatch(r"/letters/[0-9a-f-]{36}\?notice=letter_sent",
                                                    sent.headers["location"])

    cabinet.a.language("ru")
    in_russian = cabinet.a.post("/letters/new", _letter("x", "я" * 1001))
    cabinet.a.language("uk")
    assert _error_of(in_russian.text, "text") == "Письмо длиннее 1000 символов. Сократите его, пожалуйста."


def test_a_letter_is_answered_in_the_console_and_the_consumer_reads_the_reply(cabinet: Cabinet) -> None:
    sent = cabinet.a.post("/letters/new", _letter("Рахунок за серпень", "Прошу перевірити рахунок."))
    letter_path = sent.headers["location"].split("?")[0]
    letter_id = letter_path.rsplit("/", 1)[1]
    page = cabinet.a.get(sent.headers["location"]).text
    assert "Лист надіслано постачальнику." in page and "Очікує відповіді" in page
    history = cabinet.a.get("/letters").text
    assert f'data-letter="{letter_id}"' in history and "Рахунок за серпень" in history

    # the supplier's inbox, filtered by addressee type and state
    inbox = cabinet.staff.get("/console/letters?addressee_type=settlements&state=new").text
    assert f'data-letter="{letter_id}"' in inbox
    assert f'data-letter="{letter_id}"' not in cabinet.staff.get("/console/letters?state=handled").text
    # staff following the reply e-mail's link land in the console
    assert cabinet.staff.get(letter_path, follow_redirects=False).headers["location"] == f"/console{letter_path}"

    too_long = cabinet.staff.post(f"/console/letters/{letter_id}/replies", {"reply": "ж" * 4001})
    assert too_long.status_code == 422
    assert _error_of(too_long.text, "reply") == "Відповідь довша за 4000 символів. Скоротіть її, будь ласка."
    replied = cabinet.staff.post(f"/console/letters/{letter_id}/replies", {"reply": "Рахунок перевірено.\nВсе гаразд."})
    assert replied.status_code == 303
    handled = cabinet.staff.post(f"/console/letters/{letter_id}/handled")
    assert "Лист позначено як опрацьований." in cabinet.staff.get(handled.headers["location"]).text

    thread = cabinet.a.get(letter_path).text
    assert "Рахунок перевірено.\nВсе гаразд." in thread and 'data-letter-state="handled"' in thread

    # another consumer's letter is not found, and not in their history
    assert cabinet.b.get(letter_path).status_code == 404
    assert letter_id not in cabinet.b.get("/letters").text
    assert cabinet.b.get(f"/console/letters/{letter_id}").status_code == 403


def test_a_message_to_the_developers_is_read_in_the_console(cabinet: Cabinet) -> None:
    page = cabinet.b.get("/readings?period=2024-05").text
    assert 'href="/feedback?page=/readings%3Fperiod%3D2024-05"' in page
    form = cabinet.b.get("/feedback?page=%2Freadings%3Fperiod%3D2024-05").text
    assert 'name="page" value="/readings?period=2024-05"' in form and 'data-limit="2000"' in form
    empty = cabinet.b.post("/feedback", {"message": "  ", "page": "/readings?period=2024-05"})
    assert empty.status_code == 422 and _error_of(empty.text, "message") == "Напишіть ваше повідомлення."
    # a page elsewhere is not one of ours: the message is about the home page
    sent = cabinet.b.post("/feedback", {"message": "Графік не видно на телефоні", "page": "//evil.example"})
    assert sent.status_code == 303 and sent.headers["location"] == "/feedback?page=%2F&notice=feedback_sent"
    assert "Дякуємо! Ваше повідомлення передано розробникам." in cabinet.b.get(sent.headers["location"]).text

    listed = cabinet.staff.get("/console/feedback?unread=true").text
    found = re.search(r'data-feedback="([0-9a-f-]{36})"', listed)
    assert found and "Графік не видно на телефоні" in listed
    read = cabinet.staff.post(f"/console/feedback/{found.group(1)}/read")
    assert read.status_code == 303
    assert found.group(1) not in cabinet.staff.get("/console/feedback?unread=true").text
    # consumers do not read the developers' mail
    assert cabinet.b.get("/console/feedback").status_code == 403


def test_a_refused_form_says_why_on_its_own_page(cabinet: Cabinet) -> None:
    """A 4xx of a service to a form is that page's own message, never a generic error page."""
    unknown = "00000000-0000-4000-8000-000000000000"
    # the message list: marking a message that is not there
    read = cabinet.staff.post(f"/console/feedback/{unknown}/read")
    assert read.status_code == 404
    assert "Повідомлення не знайдено. Оновіть перелік повідомлень." in read.text
    assert "<h1>Повідомлення розробникам</h1>" in read.text
    # a form whose page cannot be shown itself: the refusal's own sentence, and the way back to where it was sent
    handled = cabinet.staff.post(f"/console/letters/{unknown}/handled",
                                 headers={"Referer": f"{cabinet.live.gateway}/console/letters?state=new"})
    assert handled.status_code == 404
    assert "<h1>Не вдалося виконати</h1>" in handled.text
    assert "Лист не знайдено. Оновіть перелік листів." in handled.text
    assert 'href="/console/letters?state=new">Повернутися на сторінку</a>' in handled.text
    assert "Спробуйте пізніше" not in handled.text and "Сторінку не знайдено" not in handled.text
    # another site as the referrer is no way back
    elsewhere = cabinet.staff.post(f"/console/letters/{unknown}/handled",
                                   headers={"Referer": "https://evil.example/console/letters"})
    assert "Повернутися на сторінку" not in elsewhere.text


def test_the_supplier_page_shows_the_branch_and_how_to_pay(cabinet: Cabinet) -> None:
    page = cabinet.a.get("/supplier").text
    assert "Платіжні реквізити" in page and "Контакти" in page
    assert re.search(r"UA\d{27}", page), "the branch's IBAN"
    assert "рахунок № 0789/8/1" in page


def test_the_home_page_keeps_working_when_services_are_down(cabinet: Cabinet) -> None:
    home = cabinet.a.get("/")
    assert home.status_code == 200
    text = home.text
    assert "Занести показання" in text and 'href="/invoices"' in text
    assert "Сальдо зараз не вдається показати." in text
    assert "Зараз не вдається показати, чи приймаються показання." in text
    assert "Статуси підпису зараз не вдається показати." in text


def test_staff_change_a_consumers_details_and_rights(cabinet: Cabinet) -> None:
    edit = f"/console/consumers/{cabinet.b_id}/edit"
    form = cabinet.staff.get(edit).text
    assert 'value="ТОВ «Листування»"' in form.replace("&#34;", '"') or "ТОВ «Листування»" in form
    refused = cabinet.staff.post(edit, {"name": "ТОВ «Листування»", "edrpou": "12345670",
                                        "agreement_email": "not-an-address", "billing_day": "5"})
    assert refused.status_code == 422
    assert _error_of(refused.text, "agreement_email") == "Це некоректна адреса електронної пошти."
    out_of_range = cabinet.staff.post(edit, {"name": "x", "edrpou": "32855961", "agreement_email": "a@b.ua",
                                             "billing_day": "31"})
    assert out_of_range.status_code == 422
    assert _error_of(out_of_range.text, "billing_day") == "Розрахунковий день має бути від 1 до 28."

    changed = cabinet.staff.post(edit, {
        "name": "ТОВ «Листування і Ко»", "edrpou": "32855961", "agreement_email": "nova@cabinet.local",
        "billing_day": "7", "self_calculation": "1", "e_signature": "1",
    })
    assert changed.status_code == 303 and changed.headers["location"].endswith("?notice=consumer_changed")
    page = cabinet.staff.get(changed.headers["location"]).text
    assert "Дані споживача збережено." in page and "ТОВ «Листування і Ко»" in page and "nova@cabinet.local" in page
    # consumers change nothing of the kind
    assert cabinet.b.post(edit, {"name": "Хакер", "billing_day": "1"}).status_code == 403
