"""Packs on disk: manifest, atomic write, verify, diff, bundle."""
