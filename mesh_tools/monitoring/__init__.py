"""Monitoring: a Prometheus server that finds every instance through Nacos, with the mesh's rules."""
