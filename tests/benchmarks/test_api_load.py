"""W7's harness (benchmarks/api_load.py): its audit accounting, its server cleanup, and one
short end-to-end run on a small demo. No timings are asserted — benchmarks are never tests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from benchmarks import api_load
from benchmarks.api_load import Outcome, Phase, Settings, audit_check
from demo.scenario import CONFIG_FILE, setup


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("w7-demo")
    setup(directory, scale=2000, seed=11)
    return directory


def _phase(*outcomes: Outcome) -> Phase:
    phase = Phase("api", "c1", 1, "W7-test-api-c1")
    phase.outcomes.extend(outcomes)
    phase.latencies_ms.extend(1.0 for _ in outcomes)
    return phase


def _events(*query_ids: str) -> dict[str, dict[str, object]]:
    return {
        "W7-test-api-c1": {
            "events": len(query_ids),
            "ids": set(query_ids),
            "outcomes": Counter({"ok": len(query_ids)}),
            "ms": dict.fromkeys(query_ids, 1.0),
        }
    }


def test_audit_check_holds_when_every_request_left_its_event() -> None:
    phase = _phase(Outcome("200", "q1", 1), Outcome("200", "q2", 2))
    assert audit_check(phase, _events("q1", "q2"))["equal"]


def test_audit_check_fails_when_an_answered_query_is_missing_from_the_log() -> None:
    phase = _phase(Outcome("200", "q1", 1), Outcome("200", "q2", 2))
    check = audit_check(phase, _events("q1", "other"))
    assert not check["equal"]
    assert check["answered_ids_missing"] == 1


def test_audit_check_fails_when_a_request_left_no_event() -> None:
    phase = _phase(Outcome("200", "q1", 1), Outcome("transport", error="reset"))
    assert not audit_check(phase, _events("q1"))["equal"]


def test_audit_check_fails_when_a_query_is_recorded_twice() -> None:
    # As many events as requests, every answered id present: only the duplicate is wrong.
    phase = _phase(Outcome("200", "q1", 1), Outcome("transport", error="reset"))
    check = audit_check(phase, _events("q1", "q1"))
    assert check["ids_recorded_twice"] == 1
    assert not check["equal"]


def test_an_empty_answer_for_an_existing_person_counts_as_an_error() -> None:
    assert not Outcome("200", "q1", 0).ok
    assert _phase(Outcome("200", "q1", 0)).summary()["errors"] == 1


@pytest.mark.slow
def test_server_is_stopped_when_the_run_fails(small_demo: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        api_load.served(small_demo / CONFIG_FILE, Console(quiet=True)) as (_, server),
    ):
        raise RuntimeError("boom")
    assert server.poll() is not None


@pytest.mark.slow
def test_short_run_answers_every_request_and_audits_each(small_demo: Path, tmp_path: Path) -> None:
    settings = Settings(
        scale=2000, clients=(1, 2), seconds=1.0, other_seconds=0.5, warmup_s=0.3, seed=1
    )
    document = api_load.run(settings, Console(quiet=True), small_demo)
    assert document["passed"], document["failures"]
    assert document["audit"]["query_events"] == document["audit"]["requests"] > 0
    assert document["audit"]["sign_in_events"] == 1 + 1 + 2
    for level in document["levels"]:
        assert level["api"]["codes"] == {"200": level["api"]["requests"]}
    png = api_load.chart(document, tmp_path / "w7.png")
    assert png.stat().st_size > 0
    assert any("PASS" in line for line in api_load.markdown(document, png, "cmd"))
