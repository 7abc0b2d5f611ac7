"""The signature service."""
