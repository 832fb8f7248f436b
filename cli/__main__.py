"""`python -m cli`: the same as the `reportbuilder` command."""

from cli import main

main()
