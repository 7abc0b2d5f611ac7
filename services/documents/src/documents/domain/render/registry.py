"""Document type → template. A type plugs in with one function that draws its data model as a PDF:

    @TEMPLATES.template("act_of_readings", title="Акт приймання-передачі показань", data=ActOfReadings)
    def act_of_readings(data: ActOfReadings) -> bytes:
        return render_invoice_like(InvoiceLikePage(...))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from documents.domain.render import fonts

D = TypeVar("D", bound=BaseModel)


class UnknownTemplate(LookupError):
    pass


@dataclass(frozen=True)
class Template(Generic[D]):
    document_type: str
    #: the document's name in Ukrainian, e.g. for file names
    title: str
    data_model: type[D]
    draw: Callable[[D], bytes]

    def render(self, data: D | Mapping[str, Any]) -> bytes:
        """The PDF for `data`; raises pydantic's ValidationError when a mapping does not fit the data model."""
        model = data if isinstance(data, self.data_model) else self.data_model.model_validate(data)
        fonts.register()
        return self.draw(model)


class TemplateRegistry:
    def __init__(self) -> None:
        self._templates: dict[str, Template[Any]] = {}

    def template(self, document_type: str, *, title: str, data: type[D]) -> Callable[[Callable[[D], bytes]],
                                                                                    Template[D]]:
        def register(draw: Callable[[D], bytes]) -> Template[D]:
            if document_type in self._templates:
                raise ValueError(f"a template for {document_type} exists already")
            template = Template(document_type, title, data, draw)
            self._templates[document_type] = template
            return template

        return register

    def get(self, document_type: str) -> Template[Any]:
        try:
            return self._templates[document_type]
        except KeyError:
            raise UnknownTemplate(document_type) from None

    def types(self) -> list[str]:
        return sorted(self._templates)


TEMPLATES = TemplateRegistry()
