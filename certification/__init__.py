"""The certification domain: ID numbers, the yearly cycle, who may certify whom. Pure; no Flask, no I/O."""
