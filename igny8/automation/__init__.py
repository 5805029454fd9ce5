"""The automation engine: stages, runner, locks, lease, credits, run log, schedule, recovery."""
