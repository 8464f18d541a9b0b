"""Devstack supervision with real child processes: a crash is restarted with backoff and said so;
one that keeps dying stops the stack with a line naming it, its exit code and what it last logged."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from services.devstack import main
from services.devstack.main import Child, Supervisor


def crashing(name: str) -> Child:
    return Child(name, [sys.executable, "-c", "import sys; print('cannot reach the broker'); sys.exit(3)"])


def supervise_until_failure(supervisor: Supervisor, running: list[Child], timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        failure = supervisor.check(running)
        if failure:
            return failure
        time.sleep(0.02)
    raise AssertionError("the supervisor never gave up")


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "logs").mkdir()
    monkeypatch.setattr(main, "STATE_DIR", tmp_path)
    return tmp_path


def test_a_child_that_keeps_dying_is_restarted_loudly_then_stops_the_stack(capsys: pytest.CaptureFixture[str]) -> None:
    child = crashing("order-watch-worker")
    supervisor = Supervisor({}, first_delay=0.05, limit=2)
    main._start(child, {})
    failure = supervise_until_failure(supervisor, [child])
    assert failure.startswith("order-watch-worker keeps dying (exit code 3, 3 times in a row): cannot reach the broker")
    said = capsys.readouterr().err.splitlines()
    assert [line.split(";")[0] for line in said] == ["!! order-watch-worker exited with code 3"] * 2
    assert "(1 of 2 in a row)" in said[0] and "(2 of 2 in a row)" in said[1]
    assert child.log_path.read_text().count("cannot reach the broker") == 3


def test_a_child_that_ran_long_enough_starts_a_fresh_count() -> None:
    child = crashing("order-watch-relay")
    supervisor = Supervisor({}, first_delay=0.05, limit=1, stable_seconds=0.0)
    main._start(child, {})
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert supervisor.check([child]) is None  # every death counts as the first after a stable run
        time.sleep(0.02)
    assert child.log_path.read_text().count("cannot reach the broker") >= 3


def test_a_finished_demo_feed_is_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    demo = Child("demo-feed", [sys.executable, "-c", "pass"])
    main._start(demo, {})
    demo.process.wait()
    assert Supervisor({}).check([demo]) is None
    assert capsys.readouterr().err == ""
