"""The registry's scheduled jobs: reminders it computes and the unit statistics it publishes.

`run_jobs` runs them (the nightly scheduler, `registry-server jobs` and the demo all call it);
each run is recorded in `job_runs`.
"""

from registry_server.jobs.runner import JOBS, run_jobs

__all__ = ["JOBS", "run_jobs"]
