"""Working a lead: follow-ups, stages and their history, edits, merge, search, scoring, the agent's queue, queue exports."""
