"""Adapters to the outside: the database, Redis and the object store."""
