"""The hand-written revisions build exactly the tables the models describe, and can be undone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from identity.models import Base
from shared.testing import assert_migrations_match_models


async def test_migrations_match_the_models_and_downgrade_cleanly(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    await assert_migrations_match_models(
        await database_factory("identity_migrations"), "identity", Base.metadata,
        {"ck_consumer_accounts_billing_day", "ck_users_user_role", "ck_users_role_scope",
         "ck_email_changes_email_change_status", "ck_consumer_accounts_ipn_of_vat_payer",
         "ck_users_consumer_role", "ck_users_consumer_role_scope", "ck_colleague_invitations_invitation_consumer_role",
         "ck_audit_entries_audit_kind", "ck_audit_entries_audit_via"},
    )
