"""Renderers: each module turns a command's result object into one kind of output.

They read the same result objects the JSON output is built from, so the two
cannot drift. ``terminal`` holds what every terminal renderer shares: a
colour and symbol per task state, relative times, aligned plain lines.
"""
