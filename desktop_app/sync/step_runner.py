"""Running a pass's steps (desktop_app.sync.steps) one after the other.

A step's `AuthError`, `NetworkError` or `ServerError` ends the pass (raised to the engine: sign
in again, or back off). Anything else that goes wrong in a step -- the server refusing that one
request (another 4xx), or a bug or a malformed answer (any other exception) -- is logged and the
next step still runs: one broken step must not stop the others on every pass.

Nothing about the data is logged: the step's name, the HTTP status or the exception's type and
where it was raised, never its message (which may quote an answer).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence

from desktop_app.sync.api_errors import ApiError, AuthError, NetworkError, ServerError
from desktop_app.sync.steps import Step, StepContext

log = logging.getLogger(__name__)


def run_steps(
    steps: Sequence[Step], context: StepContext, stopping: Callable[[], bool]
) -> list[str]:
    """Run `steps` in order until `stopping()`; returns the names of the steps that failed
    (and were skipped over). AuthError, NetworkError and ServerError are raised."""
    failed = []
    for step in steps:
        if stopping():
            break
        try:
            step(context)
        except (AuthError, NetworkError, ServerError):
            raise
        except ApiError as exc:
            # The server answered, but refused this one step: the others still run.
            log.warning("Sync step %s refused (HTTP %s)", step_name(step), exc.status)
            failed.append(step_name(step))
        except Exception as exc:
            log.error(
                "Sync step %s failed (%s at %s); the other steps still run",
                step_name(step),
                type(exc).__name__,
                _where(exc),
            )
            failed.append(step_name(step))
    return failed


def step_name(step: Step) -> str:
    return getattr(step, "__name__", type(step).__name__)


def _where(exc: BaseException) -> str:
    """file:line (function) of the innermost frame: enough to find the bug, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} ({last.name})"
