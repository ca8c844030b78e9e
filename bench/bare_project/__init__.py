"""The baseline of bench/ingest.py: a separate, bare Django project.

Nothing here imports Robeing Console (bench/ingest.py serves it from bench/
with only bench/ on the path, so it could not): its own settings with one
middleware, one unmanaged model on the same `conversation_log` table, and one
view that stores a turn the plain Django way.
"""
