"""Capture an inquiry from any channel (form, embed, API, agent entry, import): its form,
spam, repeats, reference numbers, source sites, API idempotency, the importer."""
