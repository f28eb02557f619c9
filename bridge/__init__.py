"""storefront-bridge: marketplace orders provisioned in the billing core exactly once."""

__version__ = "0.1.0"
