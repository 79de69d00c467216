"""Background jobs run by rq workers."""
