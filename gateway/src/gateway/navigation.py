"""The cabinet's sections: the one list the top navigation and the site map are drawn from.

The manual's top bar is ТОВАР · ГРОШІ · ДОГОВОРИ ТА ДОКУМЕНТИ · ОПИС · ПОСТАЧАЛЬНИК · КАРТА САЙТУ. A section
is listed here once its pages exist, in that order, so the bar never leads to an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.i18n import N_
from shared.auth import STAFF_ROLES, Role

SIGNED_IN = frozenset({Role.CONSUMER, Role.STAFF, Role.ADMIN})
CONSUMERS = frozenset({Role.CONSUMER})


@dataclass(frozen=True)
class Section:
    #: an English message id, translated where it is shown
    label: str
    path: str
    roles: frozenset[Role]
    children: tuple[Section, ...] = field(default=())

    def visible_to(self, role: Role) -> bool:
        return role in self.roles


_SIGNATURE_STATUSES = N_("Signature statuses")
_CERTIFICATES = N_("Signature certificates")

#: the top navigation bar, in the manual's order
NAVIGATION: tuple[Section, ...] = (
    Section(N_("Consumers"), "/console", STAFF_ROLES),
    Section(
        N_("Signatures"),
        "/console/signatures",
        STAFF_ROLES,
        children=(
            Section(_CERTIFICATES, "/signature/certificates", STAFF_ROLES),
            Section(_SIGNATURE_STATUSES, "/help/signature-statuses", STAFF_ROLES),
        ),
    ),
    Section(
        N_("Contracts and documents"),
        "/documents",
        CONSUMERS,
        children=(
            Section(_CERTIFICATES, "/signature/certificates", CONSUMERS),
            Section(N_("How to obtain an electronic signature"), "/eds", CONSUMERS),
            Section(_SIGNATURE_STATUSES, "/help/signature-statuses", CONSUMERS),
        ),
    ),
    Section(N_("Site map"), "/sitemap", SIGNED_IN),
)

#: pages reached from the header rather than the bar; the site map lists them too
ACCOUNT_PAGES: tuple[Section, ...] = (Section(N_("Settings"), "/settings", SIGNED_IN),)


def navigation_for(role: Role) -> list[Section]:
    return [section for section in NAVIGATION if section.visible_to(role)]


def site_map_for(role: Role) -> list[Section]:
    """Every page a visitor with this role can open from the menus, nested as in the navigation."""

    def visible(sections: tuple[Section, ...]) -> list[Section]:
        return [
            Section(s.label, s.path, s.roles, tuple(visible(s.children)))
            for s in sections
            if s.visible_to(role)
        ]

    return visible(NAVIGATION) + visible(ACCOUNT_PAGES)


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
