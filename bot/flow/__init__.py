"""The triage as data and the pure engine that runs it.

    flow, _ = load_flow(Path("flows/triage.yaml"))
    engine = Engine(flow, load_directory(Path("flows/resources")), locales, crisis_matcher)
    outcome = engine.step(state, TextIn("hello"), Env(channel="telegram", storage=True))

The engine does no I/O: replies are catalog keys for a channel to render, effects are data for
the host to carry out after it has saved `outcome.state`.
"""

from bot.flow.directory import Directory, load_directory
from bot.flow.engine import Engine, Outcome
from bot.flow.loader import FlowError, load_flow
from bot.flow.model import Flow
from bot.flow.screens import Env, LocaleInfo, StaffStatus, Stored
from bot.flow.state import State

__all__ = [
    "Directory",
    "Engine",
    "Env",
    "Flow",
    "FlowError",
    "LocaleInfo",
    "Outcome",
    "StaffStatus",
    "State",
    "Stored",
    "load_directory",
    "load_flow",
]
