"""The page's monitoring: charts and alerts read from Prometheus' query API, through the gateway."""
