"""PIPL: a person's copy of their data, erase, retention, and the audit trail."""
