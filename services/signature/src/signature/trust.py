"""The trusted CAs and their CRLs, read from the configured files and read again periodically (CAs publish new
CRLs every few hours or days; an operator replaces the files, the service picks them up)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from signature.domain.certificates import CertificateFormatError, TrustConfigurationError, TrustStore
from signature.metrics import TRUST_CA_NOT_AFTER, TRUST_CRL_NEXT_UPDATE

logger = logging.getLogger(__name__)


class Trust:
    """The current trust store. A reload that fails keeps the store in use and is logged as an error."""

    def __init__(self, ca_files: Sequence[Path], crl_files: Sequence[Path], *, service: str) -> None:
        self._ca_files = tuple(ca_files)
        self._crl_files = tuple(crl_files)
        self._service = service
        self.store = self._read()

    def reload(self) -> bool:
        """Read the files again; False (and the old store kept) when they are unusable."""
        try:
            self.store = self._read()
        except (OSError, CertificateFormatError, TrustConfigurationError):
            logger.exception("trusted CA or CRL files unusable; keeping the ones loaded before")
            return False
        return True

    def _read(self) -> TrustStore:
        store = TrustStore.load(
            [path.read_bytes() for path in self._ca_files], [path.read_bytes() for path in self._crl_files]
        )
        self._publish(store)
        return store

    def _publish(self, store: TrustStore) -> None:
        TRUST_CA_NOT_AFTER.clear()
        TRUST_CRL_NEXT_UPDATE.clear()
        for authority in store.authorities():
            ca = authority.certificate.subject.rfc4514_string()
            TRUST_CA_NOT_AFTER.labels(self._service, ca).set(authority.certificate.not_valid_after_utc.timestamp())
            next_update = authority.crl.next_update_utc if authority.crl is not None else None
            if next_update is not None:
                TRUST_CRL_NEXT_UPDATE.labels(self._service, ca).set(next_update.timestamp())
            else:
                logger.warning("no CRL with a nextUpdate for trusted CA %s: its certificates are refused", ca)
