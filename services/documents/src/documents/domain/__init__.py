"""Pure documents logic: no I/O."""
