"""Bouncy Castle (Debian's libbcprov-java, libbcpkix-java) as the independent judge of the cabinet's DSTU 4145 /
GOST 34.311 work: :class:`BouncyCastle` compiles ``interop/DstuCheck.java`` once and runs its commands (see the
source: ``hash``, ``verify-cert``, ``verify-crl``, ``verify-cms``, ``sign``) on bytes given as arguments.
The tests of the signature service and the browser journeys use it; ``scripts/bootstrap.sh`` installs the JDK and
the jars."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

JARS = tuple(Path("/usr/share/java") / name for name in ("bcprov.jar", "bcpkix.jar", "bcutil.jar"))
SOURCE = Path(__file__).parent / "interop" / "DstuCheck.java"


class BouncyCastle:
    def __init__(self, work_dir: Path) -> None:
        javac = shutil.which("javac")
        if javac is None or not all(jar.exists() for jar in JARS):
            raise RuntimeError("a JDK and Bouncy Castle are needed: scripts/bootstrap.sh installs them")
        self._directory = work_dir
        classes = work_dir / "classes"
        classes.mkdir(parents=True, exist_ok=True)
        jars = ":".join(map(str, JARS))
        subprocess.run(
            [javac, "-nowarn", "-d", str(classes), "-cp", jars, str(SOURCE)], check=True, capture_output=True,
            timeout=180,
        )  # fmt: skip
        self._classpath = f"{classes}:{jars}"

    def run(self, *arguments: str | bytes) -> subprocess.CompletedProcess[str]:
        """``DstuCheck`` with these arguments; bytes are written to files and given as their paths."""
        paths = []
        for index, argument in enumerate(arguments):
            if isinstance(argument, bytes):
                path = self._directory / f"argument-{index}.bin"
                path.write_bytes(argument)
                paths.append(str(path))
            else:
                paths.append(argument)
        command = ["java", "-cp", self._classpath, "DstuCheck", *paths]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def ok(self, *arguments: str | bytes) -> str:
        """Its output, asserting it succeeded."""
        result = self.run(*arguments)
        if result.returncode != 0:
            raise AssertionError(f"Bouncy Castle refused: {result.stderr.strip()}")
        return result.stdout.strip()
