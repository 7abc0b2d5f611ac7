"""Rendering off the event loop: templates draw in worker processes.

Rendering is CPU work. In the service's own process it would hold the GIL that HTTP, S3 and database calls need;
in worker processes a billing run uses as many cores as it is given, and each worker draws one document at a time
(reportlab's fonts keep per-document state and are not safe for drawing two at once).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pydantic

from documents.domain.render import TEMPLATES, Template, TemplateRegistry, UnknownTemplate, fonts
from documents.metrics import RENDER_SECONDS
from shared.errors import Invalid

logger = logging.getLogger(__name__)


def _render(document_type: str, data: pydantic.BaseModel) -> bytes:
    """In a worker: the registry there is the one its imports built (the same modules as the service's)."""
    return TEMPLATES.get(document_type).render(data)


class Renderer:
    def __init__(self, processes: int, font_dir: Path) -> None:
        self.templates: TemplateRegistry = TEMPLATES
        self._processes = processes
        self._font_dir = font_dir
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawned, not forked: a fork would copy the service's threads' locks and its open connections
        return ProcessPoolExecutor(
            max_workers=self._processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=fonts.register, initargs=(self._font_dir,),
        )

    def prepare(
        self, document_type: str, data: Mapping[str, Any] | pydantic.BaseModel
    ) -> tuple[Template[Any], pydantic.BaseModel]:
        """The template and its data model for a request; Invalid when either is wrong."""
        try:
            template = self.templates.get(document_type)
        except UnknownTemplate:
            raise Invalid("no template renders this type", fields={"type": "template_unknown"}) from None
        if isinstance(data, template.data_model):
            return template, data
        try:
            return template, template.data_model.model_validate(data)
        except pydantic.ValidationError as exc:
            fields = {".".join(["data", *map(str, error["loc"])]): error["type"] for error in exc.errors()}
            raise Invalid("the data does not fit the template", fields=fields) from None

    async def render(self, template: Template[Any], data: pydantic.BaseModel) -> bytes:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        pool = self._pool
        try:
            pdf = await loop.run_in_executor(pool, _render, template.document_type, data)
        except BrokenProcessPool:
            # a worker died (killed for memory, say): the pool takes no more work, so the next calls get a new one
            if self._pool is pool:
                logger.error("a render worker died; starting new ones")
                self._pool = self._new_pool()
            raise
        # including any wait for a free worker: what a caller experiences
        RENDER_SECONDS.labels(template.document_type).observe(time.perf_counter() - started)
        return pdf

    async def render_all(self, jobs: Sequence[tuple[Template[Any], pydantic.BaseModel]]) -> list[bytes]:
        return list(await asyncio.gather(*(self.render(template, data) for template, data in jobs)))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
