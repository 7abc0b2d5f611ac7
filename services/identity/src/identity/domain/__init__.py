"""Pure identity logic: no I/O."""
