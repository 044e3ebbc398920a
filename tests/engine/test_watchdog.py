from __future__ import annotations

import threading

import duckdb
import pytest

from engine.sandbox import Sandbox
from engine.watchdog import Watchdog


def test_armed_action_fires_and_disarmed_does_not() -> None:
    dog = Watchdog()
    fired = threading.Event()
    spared = threading.Event()
    ticket = dog.arm(0.3, spared.set)
    dog.arm(0.05, fired.set)
    dog.disarm(ticket)
    assert fired.wait(2)
    assert not spared.wait(0.5)
    dog.close()


def test_a_long_query_is_interrupted() -> None:
    sandbox = Sandbox("512MB", 1)
    cursor = sandbox.cursor()
    dog = Watchdog()
    dog.arm(0.2, cursor.interrupt)
    with pytest.raises(duckdb.InterruptException):
        cursor.execute("SELECT count(*) FROM range(10000000000) a").fetchall()
    dog.close()
    sandbox.close()
