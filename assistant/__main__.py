"""``python -m assistant`` is the same as the ``reply-assistant`` console script."""

from assistant.cli import main

if __name__ == "__main__":
    main()
