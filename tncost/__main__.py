"""Run the ``tncost`` command with ``python -m tncost``."""

from .cli import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
