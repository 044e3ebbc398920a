"""Golden plans: each tests/plans/*.sql names its user and purpose in header comments; the
expected EXPLAIN (rewritten query and per-source statements) sits beside it as *.plan.

Regenerate after an intended change with ``pytest tests/plans --regen-plans`` and review the
diff like code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import Federation, Purpose

HERE = Path(__file__).parent
CASES = sorted(HERE.glob("*.sql"))


def parse_case(path: Path) -> tuple[str, Purpose, str]:
    header: dict[str, str] = {}
    body = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- ") and ":" in line and not body:
            key, _, value = line[3:].partition(":")
            header[key.strip()] = value.strip()
        else:
            body.append(line)
    purpose = Purpose(case_name="golden plan", purpose=header["purpose"], case_no="G-1")
    return header["user"], purpose, "\n".join(body).strip()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_plan_matches_golden_file(
    case: Path, golden_fed: Federation, golden_dir: Path, request: pytest.FixtureRequest
) -> None:
    user, purpose, sql = parse_case(case)
    text = str(golden_fed.explain(sql, user, purpose)).replace(str(golden_dir), "<demo>")
    text = re.sub(r"__scan_[0-9a-f]{16}_", "__scan_<random>_", text)  # unguessable per plan
    expected_path = case.with_suffix(".plan")
    if request.config.getoption("--regen-plans"):
        expected_path.write_text(text + "\n", encoding="utf-8")
    assert expected_path.exists(), f"no golden file; run pytest {case.parent} --regen-plans"
    assert text + "\n" == expected_path.read_text(encoding="utf-8")
