"""Load benchmark: `python -m bot.bench` (see __main__)."""
