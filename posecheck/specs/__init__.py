"""Stretch specs: the typed model, the TOML parser, the tuned-copy writer."""
