"""Benchmark: Photobot against the emulators, a real redis-server and moto's S3 server."""
