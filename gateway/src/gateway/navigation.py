"""The cabinet's sections: the one list the top navigation and the site map are drawn from.

The manual's top bar is ТОВАР · ГРОШІ · ДОГОВОРИ ТА ДОКУМЕНТИ · ОПИС · ПОСТАЧАЛЬНИК · КАРТА САЙТУ; each section
has its pages (shown under the bar while one of them is open, and in the site map). Supplier staff see the
console's sections in the same bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from gateway.i18n import N_
from shared.auth import STAFF_ROLES, Capability, ConsumerRole, Principal, Role

SIGNED_IN = frozenset({Role.CONSUMER, Role.STAFF, Role.ADMIN})
CONSUMERS = frozenset({Role.CONSUMER})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Section:
    #: an English message id, translated where it is shown
    label: str
    path: str
    roles: frozenset[Role]
    children: tuple[Section, ...] = field(default=())
    #: what a consumer's user's role inside the consumer must allow to see the page in the menus
    capability: Capability | None = None

    def visible_to(self, role: Role, consumer_role: ConsumerRole) -> bool:
        if role not in self.roles:
            return False
        return self.capability is None or Principal(role=role, consumer_role=consumer_role).may(self.capability)


_SIGNATURE_STATUSES = N_("Signature statuses")
_CERTIFICATES = N_("Signature certificates")
_READINGS = N_("Readings")
_TARIFFS = N_("Tariffs")
_INVOICES = N_("Invoices")
_IMPORT_FORMAT = N_("Readings import format")
_OBTAIN_SIGNATURE = N_("How to obtain an electronic signature")
_DESCRIPTION = N_("Description")
_LETTERS = N_("Letters")

#: «Опис»: the help pages, for consumers and staff alike
_HELP_PAGES = (
    Section(N_("How the cabinet works"), "/help", SIGNED_IN),
    Section(N_("Definitions of terms"), "/help/terms", SIGNED_IN),
    Section(N_("Related laws"), "/help/laws", SIGNED_IN),
    Section(_IMPORT_FORMAT, "/help/readings-import", SIGNED_IN),
    Section(N_("Submitting a report"), "/help/report", SIGNED_IN),
    Section(_SIGNATURE_STATUSES, "/help/signature-statuses", SIGNED_IN),
    Section(N_("Using the electronic signature"), "/help/e-signature", SIGNED_IN),
)

#: the top navigation bar, in the manual's order: ТОВАР · ГРОШІ · ДОГОВОРИ ТА ДОКУМЕНТИ · ОПИС · ПОСТАЧАЛЬНИК ·
#: КАРТА САЙТУ for consumers; the console's sections for supplier staff
NAVIGATION: tuple[Section, ...] = (
    Section(
        N_("Goods"),
        "/readings",
        CONSUMERS,
        capability=Capability.SEE_READINGS,
        children=(
            Section(_READINGS, "/readings", CONSUMERS, capability=Capability.SEE_READINGS),
            Section(_TARIFFS, "/tariffs", CONSUMERS),
            Section(_IMPORT_FORMAT, "/help/readings-import", CONSUMERS),
        ),
    ),
    Section(
        N_("Money"),
        "/invoices",
        CONSUMERS,
        capability=Capability.SEE_MONEY,
        children=(
            Section(_INVOICES, "/invoices", CONSUMERS, capability=Capability.SEE_MONEY),
            Section(N_("Payments"), "/payments", CONSUMERS, capability=Capability.SEE_MONEY),
            Section(N_("Reconciliation act"), "/reconciliation", CONSUMERS, capability=Capability.SEE_MONEY),
            Section(N_("Tax invoices"), "/tax-invoices", CONSUMERS, capability=Capability.SEE_MONEY),
        ),
    ),
    Section(
        N_("Contracts and documents"),
        "/documents",
        CONSUMERS,
        children=(
            Section(N_("Documents"), "/documents", CONSUMERS, capability=Capability.SEE_DOCUMENTS),
            Section(_CERTIFICATES, "/signature/certificates", CONSUMERS),
            Section(_OBTAIN_SIGNATURE, "/eds", CONSUMERS),
        ),
    ),
    Section(
        N_("Consumers"),
        "/console",
        STAFF_ROLES,
        children=(
            Section(N_("Find a consumer"), "/console", STAFF_ROLES),
            Section(N_("New consumer"), "/console/consumers/new", STAFF_ROLES),
        ),
    ),
    Section(
        N_("Billing"),
        "/console/billing",
        STAFF_ROLES,
        children=(
            Section(N_("Billing day"), "/console/billing", STAFF_ROLES),
            # a parked payment names no consumer, so no branch: administrators review them
            Section(N_("Payments awaiting review"), "/console/payments", ADMINS),
            Section(_TARIFFS, "/console/tariffs", STAFF_ROLES),
        ),
    ),
    Section(
        N_("Signatures"),
        "/console/signatures",
        STAFF_ROLES,
        children=(
            Section(N_("Awaiting the supplier's signature"), "/console/signatures", STAFF_ROLES),
            Section(_CERTIFICATES, "/signature/certificates", STAFF_ROLES),
        ),
    ),
    Section(
        _LETTERS,
        "/console/letters",
        STAFF_ROLES,
        children=(
            Section(N_("Letters from consumers"), "/console/letters", STAFF_ROLES),
            Section(N_("Messages to the developers"), "/console/feedback", STAFF_ROLES),
        ),
    ),
    Section(_DESCRIPTION, "/help", SIGNED_IN, children=_HELP_PAGES),
    Section(
        N_("Supplier"),
        "/supplier",
        CONSUMERS,
        children=(
            Section(N_("Supplier's details"), "/supplier", CONSUMERS),
            Section(N_("Write a letter"), "/letters/new", CONSUMERS),
            Section(N_("Correspondence"), "/letters", CONSUMERS),
        ),
    ),
    Section(N_("Site map"), "/sitemap", SIGNED_IN),
)

#: pages reached from the header and the frame rather than the bar; the site map lists them too
ACCOUNT_PAGES: tuple[Section, ...] = (
    Section(N_("Settings"), "/settings", SIGNED_IN),
    Section(N_("Access for an accounting program (API)"), "/settings/access-tokens", CONSUMERS),
    Section(N_("Users"), "/settings/users", CONSUMERS, capability=Capability.MANAGE_USERS),
    # the pages ask `gateway.pages.audit.may_read_audit` too
    Section(N_("Activity log"), "/settings/audit", CONSUMERS, capability=Capability.MANAGE_USERS),
    Section(N_("Message to the developers"), "/feedback", SIGNED_IN),
)


def navigation_for(role: Role, consumer_role: ConsumerRole = ConsumerRole.DIRECTOR) -> list[Section]:
    """The bar's sections for the role (a consumer's user's: for their role inside the consumer; the director's,
    unless said, has them all), each with the pages of it the role opens."""
    return list(_visible(NAVIGATION, role, consumer_role))


def site_map_for(role: Role, consumer_role: ConsumerRole = ConsumerRole.DIRECTOR) -> list[Section]:
    """Every page a visitor with this role can open from the menus, nested as in the navigation."""
    return list(_visible(NAVIGATION, role, consumer_role) + _visible(ACCOUNT_PAGES, role, consumer_role))


@cache
def _visible(sections: tuple[Section, ...], role: Role, consumer_role: ConsumerRole) -> tuple[Section, ...]:
    """The sections and pages the role opens. A section whose own page the role does not open leads to the first
    of its pages it does (an engineer's «Договори та документи» to the certificates they sign readings acts with);
    a section of pages none of which the role opens is not shown."""
    shown = []
    for section in sections:
        if not section.visible_to(role, consumer_role):
            continue
        children = _visible(section.children, role, consumer_role)
        if section.children and not children:
            continue
        path = section.path
        if children and not any(child.path == path for child in children):
            path = children[0].path
        shown.append(Section(section.label, path, section.roles, children, section.capability))
    return tuple(shown)


def current_section(sections: list[Section], path: str) -> Section | None:
    """The bar's section a page belongs to: the one whose own or child page's address begins it the longest."""

    def matches(candidate: str) -> int:
        if path == candidate or path.startswith(candidate.rstrip("/") + "/"):
            return len(candidate)
        return -1

    best: Section | None = None
    best_length = -1
    for section in sections:
        length = max(matches(page.path) for page in (section, *section.children))
        if length > best_length:
            best, best_length = section, length
    return best
