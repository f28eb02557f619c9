"""The pure core: domain values, the state machine, money, card numbers, mappings. No I/O."""
