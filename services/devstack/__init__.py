"""Runs the whole system on one machine: embedded PostgreSQL, embedded Kafka-protocol broker,
migrations, topics, every service process and the demo feed. Used by `make run` and the tests."""
