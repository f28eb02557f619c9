"""The ``bridge`` command line: run, demo, torture, mappings, orders, users and exceptions."""
