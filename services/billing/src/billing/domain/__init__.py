"""Pure billing logic: no I/O."""
