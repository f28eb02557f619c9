"""The HTTP side of a channel client's callbacks: one POST, its status or ``Retryable``."""
