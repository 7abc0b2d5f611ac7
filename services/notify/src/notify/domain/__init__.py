"""Pure notify logic: no I/O."""
