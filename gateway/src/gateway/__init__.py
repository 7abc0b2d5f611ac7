"""The web gateway: the server-rendered cabinet UI in front of the services."""
