"""Operability: Prometheus metrics, structured logs and readiness, shared by the server and the worker."""
