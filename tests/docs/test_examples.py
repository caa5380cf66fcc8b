"""Every curl and Python example of README.md and docs/*.md runs against a live server, as documented.

One bash session runs the `sh` blocks that mention curl and the `python` blocks, in page order:
README.md, docs/offer-library.md (its set-up makes the container and the instances), then
docs/decisioning.md (which uses them), then the other pages, docs/security.md last (its API key turns
authentication on). A page's Python blocks continue each
other (each runs after the page's earlier ones). The server is `offer-catalog serve` in an empty
folder with its default database (./data/offer-catalog.db); the documented port 8080 is rewritten
to a free one. curl fails on an HTTP error unless the example prints the status itself (-w).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from support.server import command, free_port, wait_healthy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIRST = ("README.md", "docs/offer-library.md", "docs/decisioning.md")
# Its example creates an API key, which turns authentication on for the rest of the session.
LAST = ("docs/security.md",)
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.S | re.M)

PRELUDE = """set -euo pipefail
curl() {
  case " $* " in
    *" -w "*) command curl -sS "$@" ;;
    *) command curl -sS --fail-with-body "$@" ;;
  esac
}
"""


def pages() -> list[Path]:
    rest = sorted(p for p in (ROOT / "docs").glob("*.md") if f"docs/{p.name}" not in FIRST + LAST)
    return [ROOT / name for name in FIRST] + rest + [ROOT / name for name in LAST]


def examples(page: Path) -> list[tuple[str, str]]:
    """(language, code) of the page's runnable blocks: sh blocks that call curl, and python blocks."""
    found = BLOCK.findall(page.read_text(encoding="utf-8"))
    return [(lang, code) for lang, code in found if lang == "python" or "curl " in code]


def script(port: int) -> tuple[str, int]:
    """The bash script running every example, and how many examples it holds."""
    parts = [PRELUDE]
    count = 0
    for page in pages():
        earlier_python: list[str] = []
        for index, (lang, code) in enumerate(examples(page), 1):
            code = code.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
            label = f"{page.relative_to(ROOT)} example {index} ({lang})"
            parts.append(f"echo '=== {label}' >&2\n")
            if lang == "python":
                earlier_python.append(code)
                body = "\n".join(earlier_python)
                parts.append(f"python3 - <<'PYTHON_EXAMPLE'\n{body}\nPYTHON_EXAMPLE\n")
            else:
                parts.append(code + "\n")
            count += 1
    parts.append("echo '=== all examples ran' >&2\n")
    return "".join(parts), count


def test_the_pages_hold_examples() -> None:
    counted = {page.name: len(examples(page)) for page in pages()}
    assert counted["README.md"] >= 1 and counted["offer-library.md"] >= 3 and counted["decisioning.md"] >= 3


def test_every_example_runs(tmp_path: Path) -> None:
    port = free_port()
    bin_dir = Path(command()[0]).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "OFFER_CATALOG_ACCESS_LOG": "false",
    }
    for name in list(env):
        if name.startswith("OFFER_CATALOG_") and name != "OFFER_CATALOG_ACCESS_LOG":
            del env[name]
    server = subprocess.Popen(
        [*command(), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server)
        text, count = script(port)
        (tmp_path / "examples.sh").write_text(text, encoding="utf-8")
        result = subprocess.run(
            ["bash", "examples.sh"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
    finally:
        server.terminate()
        server.wait(timeout=15)
        if server.stderr:
            server.stderr.close()
    ran = result.stderr.count("=== ") - 1
    assert result.returncode == 0, f"an example failed:\n{result.stderr[-4000:]}\n{result.stdout[-2000:]}"
    assert "=== all examples ran" in result.stderr and ran == count
