"""«Налаштування → Журнал дій»: a consumer's audit trail, newest first — the readings entered and accepted, the
documents signed or refused, the settings changed, every call its accounting program made with an access key —
with who did it and where; filtered by kind, a page at a time. Supplier staff read the same trail on the consumer's
console page (identity keeps them to their branch's consumers).

Who may read it is one check, `may_read_audit`: the pages and the Settings link ask it alone.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from gateway.audit_view import AUDIT_FILTERS, FILTER_LABELS, audit_rows
from gateway.i18n import language_of
from gateway.pages.common import AccountPages, console_account, identity_of, own_account
from gateway.rendering import pages_of
from gateway.sessions import ConsumerOnly, NotAllowed, SignedIn, Staff, Visitor
from shared.auth import STAFF_ROLES, Capability, Principal, Role
from shared.inputs import Offset

router = APIRouter()

PAGE = "/settings/audit"
PAGE_SIZE = 50
#: the roles `may_read_audit` may let through
AUDIT_READERS = frozenset({Role.CONSUMER, *STAFF_ROLES})


def may_read_audit(principal: Principal) -> bool:
    """Who reads a consumer's audit trail: the consumer's administrators (its directors, who manage its users), and
    the supplier's staff (of the consumer's branch: identity answers another branch's consumer as missing)."""
    if principal.role == Role.CONSUMER:
        return principal.consumer_id is not None and principal.may(Capability.MANAGE_USERS)
    return principal.role in STAFF_ROLES


def reads_own_audit_trail(principal: Principal) -> bool:
    """Whether Settings offer the visitor their consumer's trail (staff read consumers' trails in the console)."""
    return principal.consumer_id is not None and may_read_audit(principal)


async def audit_reader(visitor: SignedIn) -> Visitor:
    if not may_read_audit(visitor.principal):
        raise NotAllowed()
    return visitor


audit_reader.serves = AUDIT_READERS  # type: ignore[attr-defined]
#: the pages of the trail ask `may_read_audit` first
READS_AUDIT = Depends(audit_reader)


async def render_trail(request: Request, principal: Principal, target: AccountPages, kind: str, offset: int
                       ) -> Response:
    # a filter the page does not offer (a stale bookmark) shows every kind
    chosen = kind if kind in AUDIT_FILTERS else ""
    trail = await identity_of(request).audit_trail(
        principal, target.consumer_id, kinds=list(AUDIT_FILTERS.get(chosen, ())), offset=offset, limit=PAGE_SIZE)
    pages = pages_of(request)
    translations = pages.translations(request)
    context = {
        "target": target,
        "rows": audit_rows(trail.items, translations, language_of(request)),
        "trail": trail,
        "kind": chosen,
        "filters": [(name, translations.gettext(label)) for name, label in FILTER_LABELS.items()],
        "address": f"{target.base}/audit" if target.staff else PAGE,
    }
    return pages.render(request, "audit.html", context)


@router.get(PAGE, dependencies=[READS_AUDIT])
async def audit_page(request: Request, visitor: ConsumerOnly, kind: str = "", offset: Offset = 0) -> Response:
    return await render_trail(request, visitor.principal, own_account(visitor.principal), kind, offset)


@router.get("/console/consumers/{consumer_id}/audit", dependencies=[READS_AUDIT])
async def console_audit_page(
    request: Request, visitor: Staff, consumer_id: UUID, kind: str = "", offset: Offset = 0
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await render_trail(request, visitor.principal, target, kind, offset)
