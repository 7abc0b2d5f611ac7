"""Pure metering logic: no I/O."""
