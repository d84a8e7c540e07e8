"""Workflow runs: what listener routes hand their matches to (SPEC §3.4)."""
