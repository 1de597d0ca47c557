"""The catalogs: SRM layers and models, AWS services, frameworks; names, search."""
