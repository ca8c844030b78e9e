"""Date formats of our own (FORMAT_MODULE_PATH): one format in both languages.

Django's Korean formats write "2026년 12월 1일 2:05 PM" and its English ones
"Dec. 1, 2026, 2:05 p.m."; operators compare times across lists, change pages,
filters and exports, and our own templates and CSV files write ISO dates, so
every page shows "2026-12-01 14:05" whatever the language. Input formats are
not set here and fall through to Django's, which accept ISO dates first.
"""
