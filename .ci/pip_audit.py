"""Audit the installed environment for known vulnerabilities (``make audit``).

Runs pip-audit on this virtualenv (the editable riskreg itself skipped) against PyPI's
vulnerability data, ignoring only the findings triaged in ``pyproject.toml``::

    [tool.riskreg.pip-audit]
    ignore = [{id = "GHSA-xxxx-xxxx-xxxx", reason = "why it cannot reach us, and until when"}]

It fails (non-zero) on any other finding, on a package that could not be audited, and when the
vulnerability service cannot be asked at all: an audit that could not run must never read as a
clean one. Usage: ``python .ci/pip_audit.py [--pyproject PATH] [--json-api URL]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JSON_API = "https://pypi.org/pypi"
# A package every audited environment has, so its own release page proves the service answers.
PROBE_PACKAGE = "pip-audit"
TIMEOUT_SECONDS = 15


class AuditError(Exception):
    """The audit could not run; the message says why, and what to do."""


def triaged(pyproject: Path) -> list[dict[str, str]]:
    """The triaged exceptions, each checked to have an id and a reason."""
    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuditError(f"{pyproject}: cannot be read ({exc})") from None
    section = config.get("tool", {}).get("riskreg", {}).get("pip-audit", {})
    entries = section.get("ignore", [])
    if not isinstance(entries, list):
        raise AuditError(f"{pyproject}: [tool.riskreg.pip-audit] ignore must be a list")
    problems = []
    for number, entry in enumerate(entries, start=1):
        where = f"[tool.riskreg.pip-audit] ignore entry {number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be {{id = ..., reason = ...}}")
            continue
        for key in ("id", "reason"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: {key} is missing or empty")
        unknown = set(entry) - {"id", "reason"}
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if problems:
        raise AuditError(f"{pyproject}:\n  " + "\n  ".join(problems))
    return entries


def check_service(json_api: str = JSON_API, *, package: str = PROBE_PACKAGE) -> None:
    """Ask the vulnerability service about one installed release, as pip-audit will about each.

    pip-audit reports a package the service does not answer for as "not found on PyPI"; this says
    plainly that the service itself is out of reach (a mirror without per-release pages, no
    network), before pip-audit buries it."""
    url = f"{json_api.rstrip('/')}/{package}/{version(package)}/json"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise AuditError(
            f"the vulnerability service did not answer ({url}: {exc}); nothing was audited"
        ) from None
    if status != 200:
        raise AuditError(
            f"the vulnerability service answered HTTP {status} for {url}, so pip-audit cannot "
            "look any package up here; nothing was audited. Run `make audit` where PyPI's JSON "
            "API answers."
        )


def pip_audit_command(ignores: list[dict[str, str]]) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--local",  # this virtualenv's packages, not the system's
        "--skip-editable",  # riskreg itself is not on PyPI
        "--strict",  # a package that cannot be audited fails the audit
        "--vulnerability-service",
        "pypi",
        "--progress-spinner",
        "off",
        "--desc",
        "on",
    ]
    for entry in ignores:
        command += ["--ignore-vuln", entry["id"]]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--json-api", default=JSON_API, help="PyPI's JSON API (for the check)")
    args = parser.parse_args(argv)
    try:
        ignores = triaged(args.pyproject)
        check_service(args.json_api)
    except AuditError as exc:
        print(f"pip-audit: FAILED: {exc}", file=sys.stderr)
        return 2
    for entry in ignores:
        print(f"pip-audit: ignoring {entry['id']} (triaged: {entry['reason']})")
    result = subprocess.run(pip_audit_command(ignores), check=False)  # noqa: S603
    if result.returncode != 0:
        print(
            "pip-audit: FAILED: a vulnerability above is not triaged, or a package could not be "
            "audited. Upgrade it (widen the range in pyproject.toml) or, if it cannot affect "
            "riskreg, add it to [tool.riskreg.pip-audit] ignore with the reason.",
            file=sys.stderr,
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
