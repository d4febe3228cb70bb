"""Request ids, log formats and Prometheus metrics."""
