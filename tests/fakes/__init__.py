"""Test doubles that run as real local servers (see ``README.md`` in this folder)."""
