"""`python -m clawgate` runs the CLI."""

from clawgate.cli.main import main

if __name__ == "__main__":
    main()
