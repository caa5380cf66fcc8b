"""`python -m offer_catalog` runs the command line."""

from offer_catalog.cli import main

main()
