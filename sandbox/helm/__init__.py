"""`helm` for the sandbox: the helm v4 CLI over the real Helm 4 engine (helm-python-sdk), see README.md."""

from .cli import main
from .wrapper import write_wrapper

__all__ = ["main", "write_wrapper"]
