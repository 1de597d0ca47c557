"""What every stage uses: errors, the clock, YAML, validation, owners, files."""
