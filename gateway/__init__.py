"""Gateway: JWT checks, client-side load balancing across Nacos-discovered instances."""
