"""Load tests of the mesh: sweeps over instance counts and concurrency, and their report."""
