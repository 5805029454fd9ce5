"""Thin RQ entry points: take ids, build the app context, call into ``igny8``.

The web process enqueues these by dotted string and never imports them.
"""
