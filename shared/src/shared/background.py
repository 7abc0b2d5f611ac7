"""Background tasks of a service process: loops that never swallow their own cancellation, and a bounded stop.

A loop that catches `Exception` to keep going must still end when it is cancelled. Libraries between us and
the network (database drivers, SMTP, AMQP) sometimes turn the `CancelledError` they receive mid-operation into
an error of their own; caught by `except Exception`, that error would make the loop carry on for ever and the
process would never stop. `cancelling()` tells such a handler to re-raise instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

STOP_SECONDS = 10.0


def cancelling() -> bool:
    """True when the running task has been asked to stop (whatever exception the request has become)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def every(seconds: float, job: Callable[[], Awaitable[object]], *, what: str) -> None:
    """Run `job` now and then every `seconds`, for ever; a failure is logged and the job is tried next time."""
    while True:
        try:
            await job()
        except Exception:
            if cancelling():
                raise
            logger.exception("%s failed; trying again in %.0fs", what, seconds)
        await asyncio.sleep(seconds)


async def stop(*tasks: asyncio.Task[object] | None, seconds: float = STOP_SECONDS) -> None:
    """Cancel the tasks and wait at most `seconds` for them to end.

    A task that does not end in time is logged and left behind rather than keeping the process from stopping;
    whatever it was doing is in the database or on the broker and is picked up again by the next process.
    """
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    if not running:
        return
    done, pending = await asyncio.wait(running, timeout=seconds)
    for task in pending:
        logger.warning("task %s did not stop within %.0fs; leaving it", task.get_name(), seconds)
    for task in done:
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.warning("task %s ended with %s: %s", task.get_name(), type(error).__name__, error)


async def bounded(step: Awaitable[object], *, what: str, seconds: float = STOP_SECONDS) -> None:
    """Await one step of stopping the process for at most `seconds`; a step that hangs or fails is logged and
    the process goes on stopping (the next steps still close what they own)."""
    try:
        async with asyncio.timeout(seconds):
            await step
    except TimeoutError:
        logger.warning("%s did not finish within %.0fs; going on stopping", what, seconds)
    except Exception:
        logger.exception("%s failed; going on stopping", what)
