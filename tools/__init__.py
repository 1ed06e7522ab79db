"""Project tooling: README generation."""
