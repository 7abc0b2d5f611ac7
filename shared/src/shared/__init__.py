"""The project's common library: what several services need, nothing service-specific."""
