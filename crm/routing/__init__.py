"""Who gets a lead: rules, candidate picking and assignment, working time, SLA, routing settings."""
