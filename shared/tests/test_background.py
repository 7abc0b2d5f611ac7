"""Background loops end when asked, even when a library turns their cancellation into an error of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest

from shared import background


async def test_a_periodic_job_stops_even_when_its_cancellation_comes_back_as_another_error() -> None:
    calls = 0
    running = asyncio.Event()

    async def job() -> None:
        nonlocal calls
        calls += 1
        running.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            # what a driver does when cancelled mid-operation: the connection is gone, and it says so
            raise ConnectionResetError("connection was closed in the middle of operation") from None

    task = asyncio.create_task(background.every(0.01, job, what="the job"))
    await running.wait()
    await background.stop(task, seconds=2)

    assert task.done() and calls == 1


async def test_a_failing_job_is_tried_again_and_the_failure_logged(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0
    third = asyncio.Event()

    async def job() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            third.set()
        raise RuntimeError("database away")

    task = asyncio.create_task(background.every(0.01, job, what="housekeeping"))
    await asyncio.wait_for(third.wait(), 5)
    await background.stop(task)

    assert task.done()
    assert "housekeeping failed; trying again in 0s" in caplog.text


async def test_stopping_gives_up_on_a_task_that_will_not_end_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    released = False

    async def stubborn() -> None:
        while not released:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.05)

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    started = time.monotonic()
    await background.stop(task, seconds=0.3)
    waited = time.monotonic() - started

    assert not task.done() and 0.3 <= waited < 2
    assert "task stubborn did not stop within 0s; leaving it" in caplog.text
    released = True
    await asyncio.wait_for(task, 2)


async def test_a_step_of_stopping_that_hangs_or_fails_does_not_keep_the_next_from_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    steps: list[str] = []

    async def hangs() -> None:
        steps.append("hangs")
        await asyncio.sleep(3600)

    async def fails() -> None:
        steps.append("fails")
        raise OSError("already closed")

    async def closes() -> None:
        steps.append("closes")

    await background.bounded(hangs(), what="closing the clients", seconds=0.2)
    await background.bounded(fails(), what="the sender")
    await background.bounded(closes(), what="the pool")

    assert steps == ["hangs", "fails", "closes"]
    assert "closing the clients did not finish within 0s" in caplog.text
    assert "the sender failed; going on stopping" in caplog.text
