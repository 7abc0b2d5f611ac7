"""Documents use cases: store, render and store, list, read (checking the bytes), the e-signature onboarding package.

Storing uploads the bytes first and then writes the metadata row and its `DocumentStored` event in the caller's
transaction: a crash in between leaves at most an object no row points to, which is harmless because objects are
named by their content.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, NoReturn

import pydantic
from sqlalchemy.ext.asyncio import AsyncSession

from documents import repository
from documents.domain import onboarding
from documents.domain.documents import Metadata, clean_metadata, content_problems, sha256_hex
from documents.domain.render import fonts
from documents.domain.render.onboarding import ONBOARDING_DOCUMENTS
from documents.domain.render.registry import Template
from documents.metrics import INTEGRITY_FAILURES
from documents.models import Document
from documents.renderer import Renderer
from documents.repository import DocumentFilter, Listed
from documents.settings import DocumentsSettings
from documents.storage import ObjectMissing, ObjectStore
from shared import bus
from shared.auth import Principal, Role
from shared.business_calendar import business_today
from shared.contracts.documents import DocumentStored, EdsOnboardingPackageReady, Party
from shared.contracts.identity import ConsumerAccountCreated
from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Throttled

logger = logging.getLogger(__name__)

ONBOARDING_PACKAGE_TYPE = "eds_onboarding_package"
ONBOARDING_WINDOW = timedelta(hours=1)
#: who stores what other services asked for over the bus
SERVICE_PRINCIPAL = Principal(role=Role.SERVICE, issuer="documents")


class IntegrityFailure(DomainError):
    """Stored bytes are missing or are not the ones the metadata names: never served as if they were."""

    status_code = 500
    default_code = "integrity_failure"


def utcnow() -> datetime:
    return datetime.now(UTC)


def signers_of(document: Document) -> tuple[Literal["consumer", "supplier"], ...] | None:
    """The document's signers as the contracts name them (stored as checked by `clean_metadata`)."""
    if document.signers is None:
        return None
    return tuple(party for party in ("consumer", "supplier") if party in document.signers)


def content_path(document_id: uuid.UUID) -> str:
    """Where the documents API serves a document's bytes."""
    return f"/api/v1/documents/{document_id}/content"


@dataclass
class Runtime:
    """What the use cases need beside a transaction; one per process."""

    settings: DocumentsSettings
    store: ObjectStore
    renderer: Renderer

    @classmethod
    async def start(cls, settings: DocumentsSettings) -> Runtime:
        # here as well as in the workers: missing fonts stop the service at start, not at its first document
        fonts.register(settings.font_dir)
        store = ObjectStore.from_settings(settings)
        await store.ensure_bucket()
        return cls(settings, store, Renderer(settings.render_processes, settings.font_dir))

    def close(self) -> None:
        self.renderer.close()


@dataclass(frozen=True)
class NewDocument:
    consumer_id: uuid.UUID
    metadata: Metadata
    content: bytes
    #: the document this one re-issues
    replaces: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class RenderedDocument:
    consumer_id: uuid.UUID
    document_type: str
    period: str | None
    title: str
    file_name: str
    data: Mapping[str, Any] | pydantic.BaseModel
    replaces: uuid.UUID | None = None
    source_event: str | None = None
    issued_on: date | None = None
    signers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class OnboardingPackage:
    document: Listed
    #: where notify e-mails it
    email: str


@dataclass(frozen=True)
class Page:
    items: Sequence[Listed]
    total: int


class Documents:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    # storing
    async def store(self, principal: Principal, new: NewDocument) -> Listed:
        await self._check_consumer(principal, new.consumer_id)
        metadata = await self._checked(new)
        sha256 = sha256_hex(new.content)
        await self.runtime.store.put(sha256, new.content, metadata.content_type)
        return await self._record(principal, new, metadata, sha256)

    async def _checked(self, new: NewDocument) -> Metadata:
        metadata, problems = clean_metadata(new.metadata)
        problems |= content_problems(new.content, metadata.content_type)
        if problems:
            raise Invalid("the document cannot be stored", fields=problems)
        if new.replaces is not None:
            await self._check_replaceable(new.replaces, new.consumer_id, metadata.document_type)
        return metadata

    async def _record(self, principal: Principal, new: NewDocument, metadata: Metadata, sha256: str) -> Listed:
        [listed] = await self._record_all(principal, [(new, metadata, sha256)])
        return listed

    async def _record_all(self, principal: Principal,
                          stored: Sequence[tuple[NewDocument, Metadata, str]]) -> list[Listed]:
        """The rows of documents whose bytes are stored, and their `DocumentStored` events: one statement each for a
        batch."""
        today = business_today(utcnow())
        documents = [Document(
            id=new.id, consumer_id=new.consumer_id, document_type=metadata.document_type, period=metadata.period,
            title=metadata.title, file_name=metadata.file_name,
            content_type=metadata.content_type, size=len(new.content), sha256=sha256, replaces_id=new.replaces,
            source_event=metadata.source_event, created_by=principal.user_id,
            issued_on=metadata.issued_on or today,
            signers=list(metadata.signers) if metadata.signers is not None else None,
        ) for new, metadata, sha256 in stored]
        await repository.add_all(self.session, documents)
        await bus.add(self.session, *(DocumentStored(
            document_id=document.id, consumer_id=document.consumer_id, document_type=document.document_type,
            period=document.period, title=document.title, file_name=document.file_name,
            content_type=document.content_type, size=document.size, sha256=document.sha256,
            replaces=document.replaces_id, source_event=document.source_event, issued_on=document.issued_on,
            signers=signers_of(document),
        ) for document in documents))
        return [Listed(document, None) for document in documents]

    async def _check_replaceable(self, replaced_id: uuid.UUID, consumer_id: uuid.UUID, document_type: str) -> None:
        replaced = await repository.lock(self.session, replaced_id)
        if replaced is None:
            raise Invalid("the document to replace does not exist", fields={"replaces": "document_not_found"})
        if replaced.consumer_id != consumer_id:
            raise Invalid("a document can only replace one of the same consumer", fields={"replaces": "other_consumer"})
        if replaced.document_type != document_type:
            raise Invalid("a document can only replace one of its type", fields={"replaces": "other_type"})
        successor = await repository.replaced_by(self.session, replaced_id)
        if successor is not None:
            raise Conflict("that document was re-issued already; replace the newest one", code="already_replaced",
                           extra={"replaced_by": str(successor)})

    async def _check_consumer(self, principal: Principal, consumer_id: uuid.UUID) -> None:
        if not await self._sees(principal, consumer_id):
            # staff store documents of their branch's consumers; another branch's is as unknown as a missing one
            raise NotFound("no such consumer", code="consumer_not_found")

    async def render_and_store(self, principal: Principal, request: RenderedDocument) -> Listed:
        """The document rendered and stored; asked again for a reference (`source_event`) that has its document, that
        document (a PDF rendered on its first download: two first downloads at once get one document)."""
        await self._check_consumer(principal, request.consumer_id)  # before the time rendering takes
        if request.source_event is not None:
            # a second request for the reference waits here until the first's transaction ends, then finds its row
            await repository.lock_references(self.session, [request.source_event])
            stored = await repository.by_reference(self.session, request.source_event)
            if stored is not None:
                if stored.document.consumer_id != request.consumer_id:
                    raise Conflict("that reference names another consumer's document", code="reference_taken")
                return stored
        template, data, metadata = self._prepare(request)
        pdf = await self.runtime.renderer.render(template, data)
        return await self.store(principal, NewDocument(request.consumer_id, metadata, pdf, request.replaces))

    def _prepare(self, request: RenderedDocument) -> tuple[Template[Any], pydantic.BaseModel, Metadata]:
        template, data = self.runtime.renderer.prepare(request.document_type, request.data)
        metadata = Metadata(
            document_type=request.document_type, period=request.period, title=request.title,
            file_name=request.file_name, content_type="application/pdf", source_event=request.source_event,
            issued_on=request.issued_on, signers=request.signers,
        )
        # refuse bad metadata before spending time on rendering
        _, problems = clean_metadata(metadata)
        if problems:
            raise Invalid("the document cannot be stored", fields=problems)
        return template, data, metadata

    async def render_requested(self, requests: Sequence[RenderedDocument]) -> list[Listed]:
        """Render requests from other services (`documents.render_requested.v1`), many at once: rendered side by
        side in the worker processes, uploaded side by side, recorded in the caller's transaction. A reference
        (`source_event`) that has its document already is skipped: the requester was answered before."""
        references = [request.source_event for request in requests if request.source_event]
        await repository.lock_references(self.session, references)
        done = await repository.stored_references(self.session, references)
        fresh: dict[str, RenderedDocument] = {}
        for request in requests:
            if request.source_event not in done:
                fresh.setdefault(request.source_event or str(uuid.uuid4()), request)
        prepared = [(request, *self._prepare(request)) for request in fresh.values()]
        pdfs = await self.runtime.renderer.render_all([(template, data) for _, template, data, _ in prepared])
        news = [
            NewDocument(request.consumer_id, metadata, pdf, request.replaces)
            for (request, _, _, metadata), pdf in zip(prepared, pdfs, strict=True)
        ]
        checked = [await self._checked(new) for new in news]
        hashes = [sha256_hex(new.content) for new in news]
        await asyncio.gather(*(
            self.runtime.store.put(sha256, new.content, "application/pdf")
            for sha256, new in zip(hashes, news, strict=True)
        ))
        return await self._record_all(SERVICE_PRINCIPAL, list(zip(news, checked, hashes, strict=True)))

    # reading
    async def find(self, principal: Principal, found: DocumentFilter, *, limit: int, offset: int) -> Page:
        """A consumer's own documents only; staff their branch's consumers', services and administrators any."""
        if principal.role == Role.CONSUMER and principal.consumer_id is not None:
            if found.consumer_id is not None and found.consumer_id != principal.consumer_id:
                raise Forbidden("a consumer sees only their own documents", code="other_consumer")
            found = replace(found, consumer_id=principal.consumer_id)
        else:
            found = replace(found, branch_id=principal.branch_scope())
        items = await repository.find(self.session, found, limit=limit, offset=offset)
        return Page(items, await repository.count(self.session, found))

    async def _sees(self, principal: Principal, consumer_id: uuid.UUID) -> bool:
        return principal.may_see(consumer_id, await repository.branch_of(self.session, consumer_id))

    async def get(self, principal: Principal, document_id: uuid.UUID) -> Listed:
        listed = await repository.get(self.session, document_id)
        # another consumer's document is answered as missing: its existence is not theirs to learn
        if listed is None or not await self._sees(principal, listed.document.consumer_id):
            raise NotFound("no such document", code="document_not_found")
        if not principal.may_see_document(listed.document.document_type):
            raise Forbidden("the user's role does not see this kind of document", code="capability_forbidden")
        return listed

    async def content(self, principal: Principal, document_id: uuid.UUID) -> tuple[Document, bytes]:
        """The document's bytes, after checking they are the ones stored."""
        document = (await self.get(principal, document_id)).document
        try:
            content = await self.runtime.store.get(document.sha256)
        except ObjectMissing:
            self._integrity_failure(document, "missing", None)
        actual = sha256_hex(content)
        if actual != document.sha256:
            self._integrity_failure(document, "mismatch", actual)
        return document, content

    @staticmethod
    def _integrity_failure(document: Document, reason: str, actual: str | None) -> NoReturn:
        INTEGRITY_FAILURES.labels(reason).inc()
        logger.error(
            "document %s: stored bytes %s (expected SHA-256 %s, found %s)", document.id,
            "are missing" if actual is None else "do not match", document.sha256, actual,
            extra={"document_id": str(document.id), "sha256": document.sha256, "reason": reason},
        )
        raise IntegrityFailure("the stored bytes of this document failed the integrity check")

    # what other services tell
    async def keep_consumer(self, event: ConsumerAccountCreated) -> None:
        await repository.keep_consumer(self.session, event.consumer_id, branch_id=event.branch_id,
                                       as_of=event.occurred_at)

    # the e-signature onboarding package (manual «Оформление ЭЦП»)
    async def request_onboarding_package(self, principal: Principal, form: onboarding.EdsForm) -> OnboardingPackage:
        consumer_id = principal.consumer_id
        if principal.role != Role.CONSUMER or consumer_id is None:
            raise Forbidden("only a consumer requests the package", code="role_forbidden")
        form, problems = onboarding.clean_form(form)
        if problems:
            raise Invalid("the form has mistakes", fields=problems)
        await self._throttle_packages(consumer_id)
        settings = self.runtime.settings
        provider = settings.eds_provider
        package_id = uuid.uuid4()
        issued_on = business_today(utcnow())
        data = onboarding.onboarding_data(
            form, provider=Party(name=provider.name, edrpou=provider.edrpou, address=provider.address,
                                 iban=provider.iban, bank=provider.bank, phone=provider.phone, email=provider.email),
            price=provider.certificate_price, vat_rate=provider.vat_rate,
            number=onboarding.package_number(package_id, issued_on), issued_on=issued_on,
        )
        pdfs = await self.runtime.renderer.render_all([(template, data) for template in ONBOARDING_DOCUMENTS])
        archive = onboarding.build_package(
            [(f"{template.title}.pdf", pdf) for template, pdf in zip(ONBOARDING_DOCUMENTS, pdfs, strict=True)],
            issued_on,
        )
        metadata = Metadata(
            document_type=ONBOARDING_PACKAGE_TYPE, period=None, title=onboarding.PACKAGE_TITLE,
            file_name=onboarding.PACKAGE_FILE_NAME, content_type="application/zip",
        )
        listed = await self.store(principal, NewDocument(consumer_id, metadata, archive, id=package_id))
        await bus.add(self.session, EdsOnboardingPackageReady(
            document_id=package_id, consumer_id=consumer_id, email=form.email, company_name=form.company_name,
            edrpou=form.edrpou, signer_name=form.signer_name, file_name=onboarding.PACKAGE_FILE_NAME,
            content_path=content_path(package_id), download_url=settings.document_download_url(package_id),
        ))
        return OnboardingPackage(listed, form.email)

    async def _throttle_packages(self, consumer_id: uuid.UUID) -> None:
        """Each package is e-mailed, to an address the consumer types in: a few per hour are plenty."""
        now = utcnow()
        limit = self.runtime.settings.onboarding_packages_per_hour
        recent = await repository.created_since(self.session, consumer_id, ONBOARDING_PACKAGE_TYPE,
                                                now - ONBOARDING_WINDOW)
        if len(recent) >= limit:
            # the moment enough of them have left the window
            frees_at = recent[len(recent) - limit] + ONBOARDING_WINDOW
            raise Throttled(max(1, math.ceil((frees_at - now).total_seconds())),
                            "too many onboarding packages; try again later")
