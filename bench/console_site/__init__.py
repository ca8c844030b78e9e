"""Bench-only Django settings and URLs for bench/console.py: the product's own
settings plus a Server-Timing middleware and a stock ModelAdmin at
/stock-admin/ to compare against. Nothing in the product imports this."""
