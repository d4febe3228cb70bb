"""Capture an inquiry from any channel (form, embed, API, agent entry, import): validate, spam, repeats, references, source sites, API idempotency."""
