"""Asynchronous OCR jobs: a durable store with a leased page queue, workers, and the /api/jobs routes."""
