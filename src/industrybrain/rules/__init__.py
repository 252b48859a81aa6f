"""The platform's rules engine: a small safe expression language compiled to SQL (sqlglot)."""
