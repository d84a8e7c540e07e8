"""Workflow runs: what listener routes hand their matches to."""
