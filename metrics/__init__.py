"""Prometheus metrics, exposition and the Grafana dashboard builder."""
