"""Scheduled work's plumbing: named locks with an expiry (job_lock), the shared
Celery task options, progress output. Below every app; imports only core."""
