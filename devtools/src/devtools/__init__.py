"""Developer tools: local run, mail catcher, test CA, demo data."""
