"""Operator commands (``flask --app app --help``): thin wrappers over flows/ use cases."""
