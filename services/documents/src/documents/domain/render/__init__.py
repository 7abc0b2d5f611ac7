"""Rendering documents to PDF: one registry of templates (`TEMPLATES`), shared fonts, furniture and layouts.

A new document type plugs in with a module of templates imported here.
"""

from documents.domain.render import invoices as invoices
from documents.domain.render import onboarding
from documents.domain.render import readings_act as readings_act
from documents.domain.render import reconciliation_act as reconciliation_act
from documents.domain.render import tax_invoices as tax_invoices
from documents.domain.render.registry import TEMPLATES, Template, TemplateRegistry, UnknownTemplate

__all__ = ["TEMPLATES", "Template", "TemplateRegistry", "UnknownTemplate", "onboarding"]
