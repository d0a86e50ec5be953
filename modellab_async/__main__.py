"""`python -m modellab_async`: the `modellab` command line (needs the `cli` extra)."""

from .cli import main

if __name__ == "__main__":
    main()
