"""Each party also signs an ASiCManifest of the document, for the ASiC-E container.

A signing in progress (it lives ten minutes) made before has no manifest to sign: it is dropped and the signer
prepares again. Signatures made before keep no manifest; their container stays ASiC-S.

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
    op.execute("DELETE FROM signings")
    op.add_column("signings", sa.Column("manifest", sa.LargeBinary, nullable=False))
    op.add_column("signings", sa.Column("manifest_to_sign", sa.LargeBinary, nullable=False))
    op.add_column("signatures", sa.Column("asic_manifest", sa.LargeBinary, nullable=True))
    op.add_column("signatures", sa.Column("asic_signature", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    op.drop_column("signatures", "asic_signature")
    op.drop_column("signatures", "asic_manifest")
    op.drop_column("signings", "manifest_to_sign")
    op.drop_column("signings", "manifest")
