"""Who must sign each document (`consumer_signs`, `supplier_signs`), its own date (`issued_on`), and the status of
documents nobody is asked to sign (`not_required`).

Documents known before get their type's rule (`domain.statuses.signers_of`): tax invoices the supplier alone, the
e-signature onboarding package nobody, everything else both parties; their date is the Kyiv date they were stored.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STATUSES = ("not_required", "not_signed", "signed_by_consumer", "signed_by_supplier", "signed_by_both", "rejected")
OLD_STATUSES = STATUSES[1:]


def upgrade() -> None:
    op.add_column("documents", sa.Column("issued_on", sa.Date))
    op.add_column("documents", sa.Column("consumer_signs", sa.Boolean))
    op.add_column("documents", sa.Column("supplier_signs", sa.Boolean))
    op.execute("""
        UPDATE documents SET
            issued_on = (created_at AT TIME ZONE 'Europe/Kyiv')::date,
            consumer_signs = document_type NOT IN ('tax_invoice', 'tax_invoice_correction', 'eds_onboarding_package'),
            supplier_signs = document_type <> 'eds_onboarding_package'
    """)
    for column in ("issued_on", "consumer_signs", "supplier_signs"):
        op.alter_column("documents", column, nullable=False)
    op.drop_constraint(op.f("ck_documents_document_status"), "documents")
    op.create_check_constraint(op.f("ck_documents_document_status"), "documents", f"status IN {STATUSES}")
    op.execute("UPDATE documents SET status = 'not_required' "
               "WHERE NOT consumer_signs AND NOT supplier_signs AND status = 'not_signed'")


def downgrade() -> None:
    op.execute("UPDATE documents SET status = 'not_signed' WHERE status = 'not_required'")
    op.drop_constraint(op.f("ck_documents_document_status"), "documents")
    op.create_check_constraint(op.f("ck_documents_document_status"), "documents", f"status IN {OLD_STATUSES}")
    for column in ("supplier_signs", "consumer_signs", "issued_on"):
        op.drop_column("documents", column)
