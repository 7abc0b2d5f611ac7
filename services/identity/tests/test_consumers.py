"""The supplier's side: branches, consumer accounts and activation codes; who may see and do what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.auth import Principal, Role


async def test_branches(api: Any, world: Any) -> None:
    branches = await api.ok("GET", "/branches", world.staff_b)
    assert [branch["name"] for branch in branches] == ["ПАТ «ДТЕК ПЕМ-Енерговугілля»", "ТОВ «Інша РЕС»"]
    assert branches[0] == {**world.branch_a, "edrpou": "31793056", "iban": "UA213052990000000026001234567"}
    assert set(branches[0]) == {"id", "name", "edrpou", "iban", "address", "phone", "email"}


async def test_consumer_details_and_search(api: Any, world: Any) -> None:
    user = await api.register(world)
    details = await api.ok("GET", f"/consumers/{world.consumer['id']}", world.staff_a)
    assert details["consumer"] == world.consumer
    [listed] = details["users"]
    assert {key: listed[key] for key in ("id", "login", "email", "consumer_role")} == {
        "id": user["id"], "login": "avtomobilist", "email": "demo@cabinet.local", "consumer_role": "director"}
    assert world.consumer["branch"] == {"id": world.branch_a["id"], "name": world.branch_a["name"]}
    assert (world.consumer["billing_day"], world.consumer["self_calculation"], world.consumer["e_signature"]) == (
        25, True, True)
    for query in ("0789", "автомобіліст", "2345", ""):
        found = await api.ok("GET", "/consumers", world.staff_a, params={"query": query})
        assert [consumer["id"] for consumer in found] == [world.consumer["id"]], query
    assert await api.ok("GET", "/consumers", world.staff_a, params={"query": "%"}) == []
    assert await api.ok("GET", "/consumers", world.staff_a, params={"query": "nothing like it"}) == []


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"edrpou": "12345679"}, {"edrpou": "invalid"}),
        ({"edrpou": "1234"}, {"edrpou": "invalid"}),
        ({"billing_day": 0}, {"billing_day": "out_of_range"}),
        ({"billing_day": 29}, {"billing_day": "out_of_range"}),
        ({"agreement_email": "nobody"}, {"agreement_email": "invalid"}),
        ({"account_number": ""}, {"account_number": "invalid"}),
        ({"name": "   "}, {"name": "invalid"}),
        ({"branch_id": str(uuid.uuid4())}, {"branch_id": "unknown"}),
        ({"billing_day": "twenty"}, {"billing_day": "int_parsing"}),
        # the buyer on tax invoices: a VAT payer's ІПН is 12 digits starting with the EDRPOU's first seven
        ({"ipn": "12345672659"}, {"ipn": "invalid"}),
        ({"ipn": "1234567265901"}, {"ipn": "invalid"}),
        ({"ipn": "12345672659O"}, {"ipn": "invalid"}),
        ({"ipn": "765432126590"}, {"ipn": "edrpou_mismatch"}),
        ({"ipn": "123456726590", "vat_payer": False}, {"ipn": "not_vat_payer"}),
        ({"ipn": "123456726590", "edrpou": "1234"}, {"edrpou": "invalid"}),
    ],
)
async def test_refused_consumer_accounts_change_nothing(
    api: Any, world: Any, changes: dict[str, Any], fields: dict[str, str]
) -> None:
    before = await api.snapshot()
    body = {**api.new_consumer_body(world.branch_a["id"], account_number="0790"), **changes}
    response = await api.call("POST", "/consumers", world.staff_a, json=body)
    assert (response.status_code, response.json()["detail"]["fields"]) == (422, fields)
    assert await api.snapshot() == before


async def test_an_account_number_is_taken_once(api: Any, world: Any) -> None:
    before = await api.snapshot()
    response = await api.call("POST", "/consumers", world.admin, json=api.new_consumer_body(world.branch_a["id"]))
    assert (response.status_code, response.json()["detail"]["code"]) == (409, "account_number_taken")
    assert await api.snapshot() == before


async def test_several_users_register_with_several_codes(api: Any, world: Any) -> None:
    second = await api.ok("POST", f"/consumers/{world.consumer['id']}/activation-codes", world.staff_a)
    assert second["activation_code"] != world.activation_code
    links = [api.link_token(event["link_url"]) for event in await api.outbox("identity.registration_link_issued.v1")]
    assert len(links) == 2
    await api.register(world, login="first.user")
    await api.register(world, login="second.user", token=links[1], code=second["activation_code"])
    details = await api.ok("GET", f"/consumers/{world.consumer['id']}", world.admin)
    assert [user["login"] for user in details["users"]] == ["first.user", "second.user"]
    registered = await api.outbox("identity.user_registered.v1")
    assert [event["login"] for event in registered] == ["first.user", "second.user"]


async def test_staff_see_their_own_branch_only(api: Any, world: Any) -> None:
    consumer_id = world.consumer["id"]
    for method, path in (("GET", f"/consumers/{consumer_id}"), ("POST", f"/consumers/{consumer_id}/activation-codes")):
        response = await api.call(method, path, world.staff_b)
        assert (response.status_code, response.json()["detail"]["code"]) == (404, "consumer_not_found")
    assert await api.ok("GET", "/consumers", world.staff_b, params={"query": "0789"}) == []
    before = await api.snapshot()
    response = await api.call("POST", "/consumers", world.staff_b,
                              json=api.new_consumer_body(world.branch_a["id"], account_number="0790"))
    assert (response.status_code, response.json()["detail"]["code"]) == (403, "branch_forbidden")
    assert await api.snapshot() == before

    # the administrator sees every branch's consumers, and so do other services
    service = Principal(role=Role.SERVICE)
    for principal in (world.admin, service):
        assert (await api.ok("GET", f"/consumers/{consumer_id}", principal))["consumer"]["id"] == consumer_id
    assert len(await api.ok("GET", "/consumers", world.admin)) == 1
    # services read; they do not create consumers or codes
    assert (await api.call("POST", f"/consumers/{consumer_id}/activation-codes", service)).status_code == 403


async def test_a_consumer_user_reaches_no_other_consumers_data(api: Any, world: Any) -> None:
    other = await api.ok("POST", "/consumers", world.staff_a, json=api.new_consumer_body(
        world.branch_a["id"], account_number="0790", edrpou="12345684", agreement_email="other@cabinet.local"))
    user = api.principal_of(await api.register(world))
    other_id = other["consumer"]["id"]
    before = await api.snapshot()
    supplier_routes = [
        ("GET", "/branches", None), ("GET", "/consumers", None), ("GET", f"/consumers/{other_id}", None),
        ("GET", f"/consumers/{world.consumer['id']}", None),
        ("POST", f"/consumers/{other_id}/activation-codes", None),
        ("POST", "/consumers", api.new_consumer_body(world.branch_a["id"], account_number="0791")),
    ]
    for method, path, body in supplier_routes:
        response = await api.call(method, path, user, json=body)
        assert (response.status_code, response.json()["detail"]["code"]) == (403, "role_forbidden"), path

    # a token claiming the other consumer for this user is refused on every route of the signed-in user
    forged = user.model_copy(update={"consumer_id": uuid.UUID(other_id)})
    user_routes = [
        ("GET", "/me", None), ("DELETE", "/me/email/pending", None),
        ("POST", "/me/email", {"new_email": "x@cabinet.local", "current_password": api.STRONG_PASSWORD}),
        ("POST", "/me/login", {"new_login": "hijacked", "current_password": api.STRONG_PASSWORD}),
        ("POST", "/me/password", {"current_password": api.STRONG_PASSWORD, "new_password": api.OTHER_STRONG_PASSWORD,
                                  "new_password_confirmation": api.OTHER_STRONG_PASSWORD}),
    ]
    for method, path, body in user_routes:
        response = await api.call(method, path, forged, json=body)
        assert (response.status_code, response.json()["detail"]["code"]) == (403, "principal_mismatch"), path
    # so is one claiming a staff role for a consumer's user, or naming no user
    response = await api.call("GET", "/consumers", user.model_copy(update={"role": Role.ADMIN, "consumer_id": None}))
    assert (response.status_code, response.json()["detail"]["code"]) == (403, "principal_mismatch")
    response = await api.call("GET", "/me", api.anonymous())
    assert (response.status_code, response.json()["detail"]["code"]) == (403, "role_forbidden")
    assert await api.snapshot() == before
    me = await api.ok("GET", "/me", user)
    assert me["consumer"]["id"] == world.consumer["id"]


async def test_staff_change_a_consumers_details_and_rights_and_the_others_learn_the_whole_state(
    api: Any, world: Any
) -> None:
    path = f"/consumers/{world.consumer['id']}"
    changed = await api.ok("PATCH", path, world.staff_a, json={
        "name": "Кооператив «Автомобіліст-3»", "billing_day": 20, "self_calculation": False, "e_signature": False,
    })
    assert (changed["name"], changed["billing_day"], changed["self_calculation"], changed["e_signature"]) == (
        "Кооператив «Автомобіліст-3»", 20, False, False)
    assert (changed["account_number"], changed["edrpou"]) == (
        world.consumer["account_number"], world.consumer["edrpou"])
    [updated] = await api.outbox("identity.consumer_account_updated.v1")
    assert (updated["billing_day"], updated["self_calculation"], updated["account_number"]) == (20, False, "0789")

    before = await api.snapshot()
    response = await api.call("PATCH", path, world.staff_a, json={"billing_day": 31, "edrpou": "1234"})
    assert (response.status_code, response.json()["detail"]["fields"]) == (
        422, {"billing_day": "out_of_range", "edrpou": "invalid"})
    assert await api.snapshot() == before
    # another branch's staff and the consumer's own users may not
    assert (await api.call("PATCH", path, world.staff_b, json={"billing_day": 5})).status_code == 404
    assert (await api.call("PATCH", path, world.staff_b, json={"ipn": "123456726590"})).status_code == 404
    user = api.principal_of(await api.register(world))
    assert (await api.call("PATCH", path, user, json={"self_calculation": True})).status_code == 403


async def test_the_consumers_vat_details_are_validated_kept_and_published(api: Any, world: Any) -> None:
    """The buyer on tax invoices: whether the consumer is a VAT payer, and its ІПН; the other services learn them
    with the whole account."""
    created = await api.ok("POST", "/consumers", world.staff_a, json=api.new_consumer_body(
        world.branch_a["id"], account_number="0795", ipn=" 1234 5672 6590 "))
    consumer = created["consumer"]
    assert (consumer["vat_payer"], consumer["ipn"]) == (True, "123456726590")
    [announced] = [event for event in await api.outbox("identity.consumer_account_created.v1")
                   if event["consumer_id"] == consumer["id"]]
    assert (announced["vat_payer"], announced["ipn"]) == (True, "123456726590")
    # a VAT payer whose ІПН is not known yet (its tax invoices name it as missing); the default of the API
    assert world.consumer["vat_payer"] is True and world.consumer["ipn"] is None

    path = f"/consumers/{consumer['id']}"
    before = await api.snapshot()
    for changes, fields in (
        ({"ipn": "123456726"}, {"ipn": "invalid"}),
        ({"ipn": "765432126590"}, {"ipn": "edrpou_mismatch"}),
        # another EDRPOU code, and the ІПН no longer starts with it
        ({"edrpou": "32855961"}, {"ipn": "edrpou_mismatch"}),
        ({"vat_payer": False, "ipn": "123456726590"}, {"ipn": "not_vat_payer"}),
    ):
        response = await api.call("PATCH", path, world.staff_a, json=changes)
        assert (response.status_code, response.json()["detail"]["fields"]) == (422, fields), changes
    assert await api.snapshot() == before

    # a consumer who stops being a VAT payer loses its ІПН; one who becomes one again gets a new ІПН
    changed = await api.ok("PATCH", path, world.staff_a, json={"vat_payer": False})
    assert (changed["vat_payer"], changed["ipn"]) == (False, None)
    changed = await api.ok("PATCH", path, world.staff_a, json={"vat_payer": True, "edrpou": "32855961",
                                                                "ipn": "328559626597"})
    assert (changed["vat_payer"], changed["ipn"], changed["edrpou"]) == (True, "328559626597", "32855961")
    updates = [event for event in await api.outbox("identity.consumer_account_updated.v1")
               if event["consumer_id"] == consumer["id"]]
    assert [(event["vat_payer"], event["ipn"]) for event in updates] == [(False, None), (True, "328559626597")]
    # "" takes the ІПН away and leaves a VAT payer whose ІПН is to be entered
    changed = await api.ok("PATCH", path, world.staff_a, json={"ipn": ""})
    assert (changed["vat_payer"], changed["ipn"]) == (True, None)
