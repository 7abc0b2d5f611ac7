"""Signature verification throughput: `cades.verify` of real detached CAdES-BES signatures (ECDSA P-256, as the
test CA issues and the browser makes them) — CMS parsing, signed attributes, the ECDSA check and the signer's
certificate against the trusted CA and its CRL — on one core, as a signature service replica does it.

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
from signature.domain import cades, keys
from signature.domain.certificates import TrustStore


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
    trust: TrustStore, signed: list[tuple[bytes, bytes]], seconds: float
) -> tuple[float, float]:
    """Per second of wall-clock time, and per second of this process's CPU time (which other load on a shared
    machine does not disturb)."""
    done = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for digest, signature in signed:
            verified = cades.verify(signature, document_sha256=digest, trust=trust, at=datetime.now(UTC))
            assert verified.certificate_check.ok
        done += len(signed)
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu_started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signatures", type=int, default=200, help="distinct signatures verified in turn")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(machine())
    trust, signed = signed_documents(args.signatures)
    wall, cpu = verifications_per_second(trust, signed, args.seconds)
    print(f"cades.verify (ECDSA P-256, chain + CRL check, one process): {wall:.0f} signatures/s "
          f"({cpu:.0f} per CPU-second)")


if __name__ == "__main__":
    main()
