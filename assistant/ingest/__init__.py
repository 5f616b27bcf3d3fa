"""Ingest: read → chunk → embed → store (the build flow)."""
