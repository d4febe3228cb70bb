"""Working a lead: follow-ups, stages and their history, edits, merge, lost reasons, search,
scoring, the agent's queue and its exports."""
