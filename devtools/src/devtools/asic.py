"""Check an ASiC-E container (ETSI EN 319 162-1, CAdES) the way an offline verifier does, with tools we did not
write: each signature file is verified by ``openssl cms -verify`` over the manifest that names it, and each
manifest's SHA-256 of the document is compared with the document in the container.

    python -m devtools.asic signed.asice --ca ca.pem
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from defusedxml import ElementTree

ASIC_E_MIME_TYPE = b"application/vnd.etsi.asic-e+zip"
_NAMESPACES = {"asic": "http://uri.etsi.org/02918/v1.2.1#", "ds": "http://www.w3.org/2000/09/xmldsig#"}
_SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"


class ContainerInvalid(Exception):
    """The container, one of its manifests or one of its signatures does not hold."""


@dataclass(frozen=True)
class VerifiedManifest:
    manifest: str
    signature: str
    #: the data objects the manifest names, each found in the container with the digest it gives
    data_objects: tuple[str, ...]
    #: the signer certificate(s) as openssl printed them
    signers: str


def verify_asic_e(container: bytes, ca_file: Path) -> list[VerifiedManifest]:
    """Every manifest of the container with its signature, verified; raises `ContainerInvalid` at the first fault."""
    if container[30:38] != b"mimetype" or container[38 : 38 + len(ASIC_E_MIME_TYPE)] != ASIC_E_MIME_TYPE:
        raise ContainerInvalid("the container does not begin with its stored mimetype")
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifests = sorted(name for name in files if name.startswith("META-INF/ASiCManifest") and name.endswith(".xml"))
    if not manifests:
        raise ContainerInvalid("no META-INF/ASiCManifest*.xml in the container")
    return [_verify_manifest(name, files, ca_file) for name in manifests]


def _verify_manifest(name: str, files: dict[str, bytes], ca_file: Path) -> VerifiedManifest:
    manifest = ElementTree.fromstring(files[name])
    reference = manifest.find("asic:SigReference", _NAMESPACES)
    if reference is None or reference.get("URI") not in files:
        raise ContainerInvalid(f"{name}: its signature file is not in the container")
    signature_name = str(reference.get("URI"))
    data_objects = []
    for data_object in manifest.findall("asic:DataObjectReference", _NAMESPACES):
        uri = unquote(str(data_object.get("URI")))
        method = data_object.find("ds:DigestMethod", _NAMESPACES)
        value = data_object.findtext("ds:DigestValue", namespaces=_NAMESPACES)
        if method is None or method.get("Algorithm") != _SHA256_URI or value is None:
            raise ContainerInvalid(f"{name}: {uri} has no SHA-256 digest")
        if uri not in files or hashlib.sha256(files[uri]).digest() != base64.b64decode(value):
            raise ContainerInvalid(f"{name}: {uri} is missing or differs from what was signed")
        data_objects.append(uri)
    if not data_objects:
        raise ContainerInvalid(f"{name} names no document")
    signers = _openssl_verify(files[signature_name], files[name], ca_file, f"{signature_name} over {name}")
    return VerifiedManifest(name, signature_name, tuple(data_objects), signers)


def _openssl_verify(signature: bytes, content: bytes, ca_file: Path, what: str) -> str:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ContainerInvalid("openssl is not installed")
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "signature.p7s").write_bytes(signature)
        (Path(directory) / "content").write_bytes(content)
        result = subprocess.run(
            [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", f"{directory}/signature.p7s",
             "-content", f"{directory}/content", "-CAfile", str(ca_file), "-purpose", "any",
             "-out", "/dev/null", "-signer", f"{directory}/signer.pem"],
            capture_output=True, text=True, check=False, timeout=30,
        )
        if result.returncode != 0:
            raise ContainerInvalid(f"{what}: {result.stderr.strip()}")
        return (Path(directory) / "signer.pem").read_text()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.asic", description=__doc__.splitlines()[0])
    parser.add_argument("container", type=Path)
    parser.add_argument("--ca", type=Path, required=True, help="the trusted CA certificates (PEM)")
    arguments = parser.parse_args(argv)
    try:
        verified = verify_asic_e(arguments.container.read_bytes(), arguments.ca)
    except ContainerInvalid as exc:
        print(f"NOT VALID: {exc}", file=sys.stderr)
        return 1
    for item in verified:
        print(f"valid: {item.signature} signs {item.manifest} naming {', '.join(item.data_objects)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
