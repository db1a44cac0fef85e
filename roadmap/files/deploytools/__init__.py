"""Deployment tooling of the Lucky Gas backend: an API client for smoke tests and the small
checks the release pipeline runs (availability sampling, pipeline and dashboard linting).

Standard library only, except ``pipeline`` (PyYAML), so it runs on any CI image.
"""
