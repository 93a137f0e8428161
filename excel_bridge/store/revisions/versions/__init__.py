"""Alembic revision files: v<N>_<what>.py, revision "v<N>", each ending with meta.schema_version = N."""
