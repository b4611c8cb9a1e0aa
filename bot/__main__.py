"""`python -m bot` is the same as the `helpline` command."""

from bot.cli import main

main()
