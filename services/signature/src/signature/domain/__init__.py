"""Pure signature logic: certificate checks and CAdES-BES signatures, no I/O."""
