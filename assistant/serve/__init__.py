"""Serve: the HTTP faces (JSON API, chat API, web pages) and their limits."""
