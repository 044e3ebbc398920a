"""``civicfed users|applications|grants|reviews``: the same steps from a terminal, as --as ACTOR,
as tables or JSON; a refusal is one line on stderr and exit code 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from engine import Federation

runner = CliRunner()


@pytest.fixture()
def config(demo: Path) -> Path:
    return demo / "civicfed.toml"


def civicfed(config: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "--config", str(config)])


def as_json(config: Path, *args: str) -> Any:
    result = civicfed(config, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(config: Path, *args: str) -> str:
    result = civicfed(config, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    return result.stderr


def test_users_create_list_suspend_and_depart(config: Path) -> None:
    [made] = as_json(
        config, "users", "create", "clerk_cli", "--as", "admin", "--agency", "DAAN",
        "--district", "大安區",
    )  # fmt: skip
    assert (made["name"], made["roles"], made["status"]) == ("clerk_cli", ["user"], "active")
    names = {a["name"] for a in as_json(config, "users", "list", "--as", "manager_daan")}
    assert names == {"manager_daan", "clerk_daan", "clerk_cli"}
    listed = civicfed(config, "users", "list", "--as", "admin")
    assert listed.exit_code == 0 and "clerk_cli" in listed.stdout
    leaves = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    [departing] = as_json(
        config, "users", "depart", "clerk_cli", "--as", "manager_daan", "--on", leaves
    )
    assert departing["departure_date"] == leaves
    [suspended] = as_json(
        config, "users", "suspend", "clerk_cli", "--as", "admin", "--reason", "停職"
    )
    assert suspended["status"] == "suspended"
    [active] = as_json(
        config, "users", "reactivate", "clerk_cli", "--as", "admin", "--reason", "復職"
    )
    assert active["status"] == "active"
    says = refused(config, "users", "create", "x", "--as", "manager_daan", "--agency", "DAAN")
    assert "only a platform_admin" in says
    assert "give --on" in refused(config, "users", "depart", "clerk_cli", "--as", "admin")


def test_applications_apply_approve_and_grants_delegate_revoke(config: Path) -> None:
    [filed] = as_json(
        config, "applications", "apply", "--as", "manager_daan",
        "--table", "household.persons", "--columns", "national_id,name,district",
        "--purpose", "welfare-eligibility", "--require", "national_id:10",
        "--row-filter", "district = '大安區'", "--document-ref", "北市安社字第1號",
        "--justification", "資格複查",
    )  # fmt: skip
    assert filed["spec"]["require"] == [{"column": "national_id", "max_values": 10}]
    assert filed["spec"]["columns"]["name"] == "read"
    [approved] = as_json(
        config, "applications", "approve", filed["id"], "--as", "owner_cra",
        "--columns", "national_id,district",
    )  # fmt: skip
    assert approved["status"] == "approved"
    assert set(approved["approved_spec"]["columns"]) == {"national_id", "district"}
    listed = civicfed(config, "applications", "list", "--as", "owner_cra")
    assert listed.exit_code == 0 and filed["id"] in listed.stdout
    assert "already approved" in refused(
        config, "applications", "reject", filed["id"], "--as", "owner_cra", "--reason", "x"
    )
    assert "no application" in refused(
        config, "applications", "approve", "app-nope", "--as", "owner_cra"
    )

    [child] = as_json(
        config, "grants", "delegate", approved["grant_id"], "--as", "manager_daan",
        "--to", "clerk_daan", "--columns", "national_id",
    )  # fmt: skip
    assert child["parent"] == approved["grant_id"] and child["user"] == "clerk_daan"
    shown = civicfed(config, "grants", "list", "--as", "manager_daan")
    assert shown.exit_code == 0 and child["id"] in shown.stdout
    assert "agency_manager of DAAN" in refused(
        config, "grants", "delegate", approved["grant_id"], "--as", "owner_cra", "--to", "x"
    )
    revoked = civicfed(
        config, "grants", "revoke", approved["grant_id"], "--as", "owner_cra", "--reason", "結案"
    )
    assert revoked.exit_code == 0 and child["id"] in revoked.stdout
    assert as_json(config, "grants", "list", "--as", "admin") == []
    assert len(as_json(config, "grants", "list", "--as", "admin", "--revoked")) == 2


def test_reviews_start_decide_list_and_sweep(config: Path) -> None:
    campaign = as_json(config, "reviews", "start", "--as", "manager_daan", "--agency", "DAAN")
    assert campaign["agency"] == "DAAN" and campaign["items"]
    item = campaign["items"][0]
    assert item["revocable"] is False  # clerk_daan's grants come from civicfed.toml
    assert "policy as code" in refused(
        config, "reviews", "decide", campaign["id"], item["id"], "revoke", "--as", "manager_daan"
    )
    decided = as_json(
        config, "reviews", "decide", campaign["id"], item["id"], "keep", "--as", "manager_daan"
    )
    assert decided["items"][0]["decision"] == "keep"
    shown = civicfed(
        config, "reviews", "list", "--as", "manager_daan", "--campaign", campaign["id"]
    )
    assert shown.exit_code == 0 and item["id"] in shown.stdout
    [listed] = as_json(config, "reviews", "list", "--as", "manager_daan")
    assert listed["id"] == campaign["id"]
    due = {d["agency"] for d in as_json(config, "reviews", "list", "--as", "admin", "--due")}
    assert "DAAN" not in due and "XINYI" in due
    assert as_json(config, "reviews", "sweep", "--as", "admin") == []
    assert "platform_admin" in refused(config, "reviews", "sweep", "--as", "clerk_daan")


def test_an_aggregate_only_application(config: Path) -> None:
    [filed] = as_json(
        config, "applications", "apply", "--as", "admin", "--agency", "DBAS",
        "--table", "household.persons", "--columns", "district,national_id=join",
        "--aggregate-only", "national_id:10", "--purpose", "statistics",
        "--document-ref", "北市主統字第1號", "--justification", "人口統計",
    )  # fmt: skip
    assert filed["spec"]["aggregate_only"] == {"entity": "national_id", "min_group": 10}
    assert filed["spec"]["columns"] == {"district": "read", "national_id": "join"}
    assert "entity:min_group" in refused(
        config, "applications", "apply", "--as", "admin", "--agency", "DBAS",
        "--table", "household.persons", "--columns", "district", "--aggregate-only", "ten",
        "--purpose", "statistics", "--document-ref", "x", "--justification", "y",
    )  # fmt: skip


def test_a_missing_configuration_is_one_line(tmp_path: Path) -> None:
    says = refused(tmp_path / "none.toml", "users", "list", "--as", "admin")
    assert "configuration file not found" in says


def test_admin_sets_a_password_from_stdin_and_it_signs_in(demo: Path) -> None:
    runner = CliRunner()
    config = str(demo / "civicfed.toml")
    made = runner.invoke(
        app, ["users", "create", "cli_pw", "--as", "admin", "--agency", "DAAN", "-c", config]
    )
    assert made.exit_code == 0, made.output
    done = runner.invoke(
        app,
        ["users", "password", "cli_pw", "--as", "admin", "--password-stdin", "-c", config],
        input="a-long-cli-password\n",
    )
    assert done.exit_code == 0, done.output
    refused = runner.invoke(
        app,
        ["users", "password", "cli_pw", "--as", "manager_daan", "--password-stdin", "-c", config],
        input="another-long-password\n",
    )
    assert refused.exit_code == 2 and "platform_admin" in refused.output
    with Federation.open(demo / "civicfed.toml") as fed:
        assert fed.accounts.authenticate("cli_pw", "a-long-cli-password").name == "cli_pw"
