"""`python -m vizff` runs the CLI."""

from vizff.cli import main

main()
