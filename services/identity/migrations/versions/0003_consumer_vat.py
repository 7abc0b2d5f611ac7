"""A consumer account says whether the consumer is a VAT payer and its ІПН: the buyer on its tax invoices.

Existing accounts become VAT payers whose ІПН is not known yet (their tax invoices name it as missing until staff
enter it).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consumer_accounts",
                  sa.Column("vat_payer", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("consumer_accounts", sa.Column("ipn", sa.String(12), nullable=True))
    op.create_check_constraint(op.f("ck_consumer_accounts_ipn_of_vat_payer"), "consumer_accounts",
                               "vat_payer OR ipn IS NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_consumer_accounts_ipn_of_vat_payer"), "consumer_accounts", type_="check")
    op.drop_column("consumer_accounts", "ipn")
    op.drop_column("consumer_accounts", "vat_payer")
