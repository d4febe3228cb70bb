"""Manager reports: scope, funnel, speed, ranking, pipeline, sources, dashboard, and their exports."""
