"""The pure computation: layer owners, duties, provenance, RACI."""
