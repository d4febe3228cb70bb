"""Helpers shared by the integration tests and bench/fault_drills.py."""
