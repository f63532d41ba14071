"""Real PostgreSQL data behind the sandbox's emulated RDS instances (see plane.py for what follows which call)."""
