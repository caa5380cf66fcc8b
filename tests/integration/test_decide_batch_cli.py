"""`offer-catalog decide-batch` as a user runs it: NDJSON in, NDJSON out, counters frozen for the job."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from integration.test_decide_cli import catalog, quiet_cli, run, target

__all__ = ["catalog"]


def batch(ids: dict[str, str], source: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return quiet_cli(["decide-batch", str(source), "--out", str(out), *target(ids), *extra], timeout=120)


def _profile(ident: str) -> str:
    return json.dumps({"xdm:identityMap": {"Email": [{"xdm:id": ident}]}})


def _first(line: dict[str, object]) -> str:
    proposition = line["xdm:propositions"][0]  # type: ignore[index]
    return str((proposition.get("xdm:options") or [proposition.get("xdm:fallback")])[0]["xdm:id"])


def test_a_batch_decides_every_line_with_frozen_counters(catalog: dict[str, str], tmp_path: Path) -> None:
    capped = tmp_path / "capped.json"
    capped.write_text(_profile("capped@x.y"))
    assert run(catalog, profile=str(capped)).returncode == 0  # its profile cap of 1 is now reached
    source = tmp_path / "profiles.ndjson"
    lines = [
        _profile("b1@x.y"),
        _profile("b1@x.y"),
        "",
        '{"xdm:profileData": {}}',
        "{broken",
        _profile("capped@x.y"),
    ]
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.ndjson"
    result = batch(catalog, source, out)
    assert result.returncode == 1, result.stderr  # two lines could not be decided
    assert "3 decided, 2 failed" in result.stdout
    answers = [json.loads(line) for line in out.read_text().splitlines()]
    assert [_first(a) for a in answers[:2]] == [
        catalog["offer"],
        catalog["offer"],
    ]  # the batch counts nothing
    assert answers[2] == {
        "line": 4,
        "error": {"code": "missing_identity", "message": answers[2]["error"]["message"]},
    }
    assert answers[3]["line"] == 5 and answers[3]["error"]["code"] == "invalid_json"
    assert _first(answers[4]) == catalog["fallback"]  # the cap read when the job started
    fresh = tmp_path / "b1.json"
    fresh.write_text(_profile("b1@x.y"))
    decided = run(catalog, profile=str(fresh))
    assert decided.returncode == 0 and catalog["offer"] in decided.stdout  # its cap was never drawn down


def test_a_batch_refuses_bad_requests(catalog: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "one.ndjson"
    source.write_text(_profile("x@x.y") + "\n")
    out = tmp_path / "out.ndjson"
    unknown = batch({**catalog, "activity": "xcore:offer-activity:nope"}, source, out)
    assert unknown.returncode == 1 and "unknown_activity" in unknown.stderr
    assert out.read_text() == ""
    unpaired = batch(catalog, source, out, "--activity", catalog["activity"])
    assert unpaired.returncode == 2 and "one --placement per --activity" in unpaired.stderr
    missing = batch(catalog, tmp_path / "absent.ndjson", out)
    assert missing.returncode == 2 and "cannot read profiles file" in missing.stderr
