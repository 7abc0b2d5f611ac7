"""Signature verification throughput: `cades.verify` of real detached CAdES-BES signatures — CMS parsing, signed
attributes, the signature check and the signer's certificate against the trusted CA and its CRL — on one core, as
a signature service replica does it. Two kinds: ECDSA P-256 (as WebCrypto makes them) and DSTU 4145 with GOST
34.311 (Ukrainian qualified keys, as the browser's DSTU signer makes them).

For DSTU the CA's signature on a signer's certificate and the certificate's GOST hash are computed once per
certificate (they cannot change for the same bytes); the "first sight" figure is of signers seen for the first time,
each signature by a new certificate.

    python bench/signatures.py [--signatures 200] [--seconds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/ goes last: the service packages must win the import over any script name here
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR] + [str(BENCH_DIR)]
from common import machine

from devtools.testca import create_ca, issue_certificate
from devtools.testca_dstu import create_dstu_ca, issue_dstu_certificate
from signature.domain import cades, keys
from signature.domain.certificates import TrustStore
from signature.domain.gost34311 import gost34311

Signed = list[tuple[bytes, bytes]]


def dstu_signed_documents(count: int, signer_count: int = 10) -> tuple[TrustStore, Signed]:
    """`count` different documents signed with DSTU 4145 keys: (document GOST 34.311, signature)."""
    ca = create_dstu_ca()
    trust = TrustStore([ca.certificate], [ca.crl])
    signers = [
        issue_dstu_certificate(ca, common_name=f"Підписувач {number}", organization="Кооператив", edrpou="12345678")
        for number in range(signer_count)
    ]
    signed = []
    for number in range(count):
        signer = signers[number % len(signers)]
        digest = cades.document_digest(signer.certificate, f"Рахунок № {number}".encode() * 200)
        prepared = cades.prepare(digest, signer.certificate, datetime.now(UTC))
        value = signer.key.sign(gost34311(prepared.data_to_sign))
        signed.append((digest, cades.assemble(prepared, value, signer.certificate, [ca.certificate])))
    return trust, signed


def signed_documents(count: int) -> tuple[TrustStore, list[tuple[bytes, bytes]]]:
    """`count` different documents, each signed by one of a few signers: (document SHA-256, signature)."""
    ca = create_ca()
    trust = TrustStore([ca.certificate], [ca.crl])
    signers = [
        issue_certificate(ca, common_name=f"Підписувач {number}", organization="Кооператив", edrpou="12345678")
        for number in range(10)
    ]
    signed = []
    for number in range(count):
        digest = hashlib.sha256(f"Рахунок № {number}".encode() * 200).digest()
        signer = signers[number % len(signers)]
        prepared = cades.prepare(digest, signer.certificate, datetime.now(UTC))
        signature = cades.assemble(
            prepared, keys.sign(signer.key, prepared.data_to_sign), signer.certificate, [ca.certificate]
        )
        signed.append((digest, signature))
    return trust, signed


def verifications_per_second(
    trust: TrustStore, signed: Signed, seconds: float, *, gost: bool = False
) -> tuple[float, float]:
    """Per second of wall-clock time, and per second of this process's CPU time (which other load on a shared
    machine does not disturb)."""
    done = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while True:  # every signature once at least
        for digest, signature in signed:
            verified = cades.verify(
                signature, trust=trust, at=datetime.now(UTC), document_sha256=None if gost else digest,
                document_gost34311=digest if gost else None,
            )
            assert verified.certificate_check.ok
        done += len(signed)
        if time.perf_counter() - started >= seconds:
            break
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu_started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=200, help="distinct signatures verified in turn")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--first-sight", type=int, default=50, help="DSTU signatures by as many new certificates")
    args = parser.parse_args()
    print(machine())
    trust, signed = signed_documents(args.signatures)
    wall, cpu = verifications_per_second(trust, signed, args.seconds)
    print(f"cades.verify (ECDSA P-256, chain + CRL check, one process): {wall:.0f} signatures/s "
          f"({cpu:.0f} per CPU-second)")
    trust, signed = dstu_signed_documents(args.signatures)
    wall, cpu = verifications_per_second(trust, signed, args.seconds, gost=True)
    print(f"cades.verify (DSTU 4145 M257 + GOST 34.311, chain + CRL check, one process): {wall:.0f} signatures/s "
          f"({cpu:.0f} per CPU-second)")
    trust, signed = dstu_signed_documents(args.first_sight, signer_count=args.first_sight)
    wall, cpu = verifications_per_second(trust, signed, 0.0, gost=True)
    print(f"  the same, each signature by a certificate seen for the first time: {wall:.0f} signatures/s "
          f"({cpu:.0f} per CPU-second)")


if __name__ == "__main__":
    main()
