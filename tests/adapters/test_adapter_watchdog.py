"""The scan watchdog: one thread calls each alarm once its deadline passes, in deadline order,
and never calls a cancelled one, however many scans come and go."""

from __future__ import annotations

import threading
import time

from adapters.watchdog import Watchdog


def test_alarms_fire_in_deadline_order_and_cancelled_ones_never() -> None:
    watchdog = Watchdog()
    fired: list[str] = []
    done = threading.Event()
    watchdog.after(0.15, lambda: (fired.append("late"), done.set()))
    watchdog.after(0.05, lambda: fired.append("early"))
    watchdog.after(0.10, lambda: fired.append("cancelled")).cancel()
    assert done.wait(2)
    assert fired == ["early", "late"]


def test_many_cancelled_alarms_do_not_pile_up() -> None:
    watchdog = Watchdog()
    for _ in range(1000):
        watchdog.after(900, lambda: None).cancel()  # a scan that finished in time
    assert len(watchdog._heap) <= 130


def test_a_failing_callback_does_not_stop_the_watchdog() -> None:
    watchdog = Watchdog()
    done = threading.Event()

    def fail() -> None:
        raise RuntimeError("the cursor is already closed")

    watchdog.after(0.01, fail)
    watchdog.after(0.05, done.set)
    started = time.monotonic()
    assert done.wait(2)
    assert time.monotonic() - started < 1
