"""The `helpline` command: demo, run, and the tools NGO staff and operators use."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from pydantic import ValidationError

from bot import __version__
from bot.channels.console import ConsoleDemo, stdin_lines, wants_color
from bot.config import Settings
from bot.flow.check import check_all
from bot.runtime import DataError, Runtime, flow_path, load_runtime


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="helpline")
def main() -> None:
    """A trauma-informed helpline bot for survivors of image-based sexual abuse."""


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr and a non-zero exit: never a traceback for the operator."""
    click.echo(f"helpline: {message}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"HELPLINE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"configuration error: {problems}")
        raise AssertionError from exc  # fail() exits; this keeps type checkers honest


def _runtime(settings: Settings) -> Runtime:
    try:
        return load_runtime(settings)
    except DataError as exc:
        for problem in exc.report.problems:
            click.echo(str(problem), err=True)
        fail(f"refusing to start: {len(exc.report.problems)} problem(s) in flows/ or locales/ "
             "(run `helpline flows check`)")  # fmt: skip
        raise AssertionError from exc


def _converse(lang: str | None, script: Path | None) -> None:
    settings = _settings()
    runtime = _runtime(settings)
    chosen = None
    if lang:
        chosen = runtime.catalogs.match(lang)
        if chosen is None:
            fail(f"no locale for '{lang}'; shipped: {', '.join(runtime.catalogs.codes)}")
    detector = _detector(runtime.catalogs.codes)
    demo = ConsoleDemo(runtime.engine, runtime.renderer, sys.stdout, lang=chosen,
                       color=wants_color(sys.stdout) and script is None, detector=detector)  # fmt: skip
    if script is not None:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read script {script}: {exc}")
        sys.exit(demo.run(lines, echo=True))
    sys.exit(demo.run(stdin_lines(sys.stdout)))


def _detector(codes: list[str]) -> Callable[[str], str | None] | None:
    try:
        from bot.i18n.detect import LanguageDetector
    except ImportError:
        return None
    return LanguageDetector(codes).detect


@main.command()
@click.option("--lang", help="Start in this language (e.g. en, zh-TW) instead of asking.")
def demo(lang: str | None) -> None:
    """Walk the triage in the terminal: no token, no network, nothing stored."""
    _converse(lang, None)


@main.group()
def flows() -> None:
    """Check, simulate and draw the triage flow (flows/)."""


@flows.command("check")
@click.option("--verbose", "-v", is_flag=True, help="Also list resources with unverified details.")
def flows_check(verbose: bool) -> None:
    """Check flows/, the resource directory and locales/ for every problem a survivor could meet."""
    settings = _settings()
    started = time.perf_counter()
    report, _ = check_all(flow_path(settings), settings.flows_dir / "resources",
                          settings.locales_dir)  # fmt: skip
    elapsed = time.perf_counter() - started
    for problem in report.problems:
        click.echo(str(problem))
    summary = (f"{report.nodes} nodes, {report.resources} resources, {report.keys} catalog keys, "
               f"{len(report.locales)} locales ({', '.join(report.locales)}); "
               f"checked in {elapsed:.2f} s")  # fmt: skip
    if report.unverified:
        summary += f"; {len(report.unverified)} resources have details to verify before release"
        if verbose:
            summary += ": " + ", ".join(report.unverified)
    click.echo(summary)
    if not report.ok:
        fail(f"{len(report.problems)} problem(s) found", code=1)


@flows.command("simulate")
@click.option("--lang", help="Language to review (e.g. zh-TW).")
@click.option("--script", type=click.Path(path_type=Path, dir_okay=False),
              help="Replay answers from a file (one per line) and print the transcript.")
def flows_simulate(lang: str | None, script: Path | None) -> None:
    """The terminal demo for reviewers; with --script it replays a saved conversation."""
    _converse(lang, script)
