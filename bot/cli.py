"""The `helpline` command: demo, run, and the tools NGO staff and operators use."""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import click
from pydantic import ValidationError

from bot import __version__
from bot.channels.console import ConsoleDemo, stdin_lines, wants_color
from bot.config import Settings
from bot.failure import fail
from bot.flow import graph
from bot.flow.check import check_all, used_keys
from bot.flow.replies import Text
from bot.i18n import toolkit
from bot.i18n.catalog import CatalogError, Catalogs
from bot.logs import configure as configure_logging
from bot.runtime import DataError, Runtime, flow_path, load_runtime, save_cache
from bot.store.commands import db, keys, purge


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="helpline")
def main() -> None:
    """A trauma-informed helpline bot for survivors of image-based sexual abuse."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"HELPLINE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        fail(f"configuration error: {problems}")
        raise AssertionError from exc  # fail() exits; this keeps type checkers honest


def _runtime(settings: Settings) -> Runtime:
    try:
        return load_runtime(settings)
    except DataError as exc:
        for problem in exc.report.problems:
            click.echo(str(problem), err=True)
        fail(
            f"refusing to start: {len(exc.report.problems)} problem(s) in flows/ or locales/ "
            "(run `helpline flows check`)"
        )
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
    demo = ConsoleDemo(
        runtime.engine,
        runtime.renderer,
        sys.stdout,
        lang=chosen,
        color=wants_color(sys.stdout) and script is None,
        detector=detector,
    )
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
    """Check flows/, resources and locales/ for every problem a survivor could meet."""
    settings = _settings()
    started = time.perf_counter()
    report, _ = check_all(
        flow_path(settings), settings.flows_dir / "resources", settings.locales_dir
    )
    elapsed = time.perf_counter() - started
    for problem in report.problems:
        click.echo(str(problem))
    for note in report.notes:
        click.echo(f"note: {note}")
    summary = (
        f"{report.nodes} nodes, {report.resources} resources, {report.keys} catalog keys, "
        f"{len(report.locales)} locales ({', '.join(report.locales)}); "
        f"checked in {elapsed:.2f} s"
    )
    if report.unverified:
        summary += f"; {len(report.unverified)} resources have details to verify before release"
        if verbose:
            summary += ": " + ", ".join(report.unverified)
    click.echo(summary)
    if not report.ok:
        fail(f"{len(report.problems)} problem(s) found", code=1)


@flows.command("simulate")
@click.option("--lang", help="Language to review (e.g. zh-TW).")
@click.option(
    "--script",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Replay answers from a file (one per line) and print the transcript.",
)
def flows_simulate(lang: str | None, script: Path | None) -> None:
    """The terminal demo for reviewers; with --script it replays a saved conversation."""
    _converse(lang, script)


@flows.command("graph")
@click.option("--lang", default="en", show_default=True, help="Language of the node texts.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "svg"]),
    default="mermaid",
    show_default=True,
    help="Mermaid (renders on GitHub/GitLab), Graphviz DOT, or SVG.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
def flows_graph(lang: str, fmt: str, output: Path | None) -> None:
    """Draw the flow for reviewers: every node with its text, every branch with its buttons."""
    runtime = _runtime(_settings())
    code = runtime.catalogs.match(lang)
    if code is None:
        fail(f"no locale for '{lang}'; shipped: {', '.join(runtime.catalogs.codes)}")

    def describe(key: str) -> str:
        return runtime.renderer.plain(Text.of(key, days=30, hours=24), code)

    picture = graph.build(runtime.flow, describe)
    text = {"mermaid": graph.to_mermaid, "dot": graph.to_dot, "svg": graph.to_svg}[fmt](picture)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.group()
def locales() -> None:
    """Translations (locales/*.po): coverage, new languages, and round trips with translators."""


@locales.command("coverage")
@click.option("--lang", help="Only this locale, with the list of keys to work on.")
def locales_coverage(lang: str | None) -> None:
    """Per locale: translated, missing, fuzzy, outdated and placeholder errors."""
    settings = _settings()
    try:
        catalogs = Catalogs.load(settings.locales_dir)
    except CatalogError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        fail("cannot read the catalogs", code=1)
    rows = toolkit.coverage(catalogs)
    if lang:
        code = catalogs.match(lang)
        rows = [r for r in rows if r.code == code]
        if not rows:
            fail(f"no locale for '{lang}'")
    click.echo(
        f"{'locale':<8} {'translated':>12} {'missing':>8} {'fuzzy':>6} {'outdated':>9} "
        f"{'placeholders':>13}  native review"
    )
    for r in rows:
        click.echo(
            f"{r.code:<8} {r.translated:>5}/{r.total:<6} {len(r.missing):>8} "
            f"{len(r.fuzzy):>6} {len(r.outdated):>9} {len(r.placeholder_errors):>13}  "
            f"{r.reviewed}"
        )
        if lang:
            for title, keys in (
                ("missing", r.missing),
                ("fuzzy", r.fuzzy),
                ("outdated", r.outdated),
                ("placeholders", r.placeholder_errors),
            ):
                for key in keys:
                    click.echo(f"  {title}: {key}")
    incomplete = [r.code for r in rows if not r.complete]
    if incomplete:
        fail(f"incomplete: {', '.join(incomplete)}", code=1)


@locales.command("new")
@click.argument("code")
def locales_new(code: str) -> None:
    """Start a new locale (e.g. `tl` or `pt-PT`) with every key listed, ready to translate."""
    try:
        path = toolkit.new_locale(_settings().locales_dir, code)
    except toolkit.ToolkitError as exc:
        fail(str(exc))
    click.echo(f"created {path}: open it in Poedit or upload it to Weblate")


@locales.command("update")
def locales_update() -> None:
    """After editing the English (helpline.pot): refresh references and mark changed
    translations fuzzy in every locale."""
    settings = _settings()
    _, loaded = check_all(
        flow_path(settings),
        settings.flows_dir / "resources",
        settings.locales_dir,
        every_path=False,
    )
    if loaded is not None:
        toolkit.extract(
            settings.locales_dir, used_keys(loaded.flow, loaded.located, loaded.directory)
        )
    for path in sorted(settings.locales_dir.glob("*.po")):
        added, fuzzy, obsolete = toolkit.update_locale(settings.locales_dir, path.stem)
        click.echo(f"{path.name}: {added} new, {fuzzy} now fuzzy, {obsolete} obsolete")


@locales.command("export")
@click.option("--lang", required=True, help="Locale to export, e.g. zh-TW.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
def locales_export(lang: str, output: Path | None) -> None:
    """A PO file for translators' tools, merged with the current English."""
    try:
        text = toolkit.export_locale(_settings().locales_dir, lang)
    except toolkit.ToolkitError as exc:
        fail(str(exc))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@locales.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--lang", help="Locale code, when the file has no Language header.")
def locales_import(file: Path, lang: str | None) -> None:
    """Bring a translated PO file back into locales/ (any order or wrapping)."""
    try:
        code, target = toolkit.import_locale(_settings().locales_dir, file, lang)
    except (toolkit.ToolkitError, CatalogError) as exc:
        fail(str(exc))
    click.echo(f"imported {code} into {target}; run `helpline flows check` next")


main.add_command(db)
main.add_command(keys)
main.add_command(purge)


@main.command()
def run() -> None:
    """Start the bot: long polling, or a webhook server when HELPLINE_WEBHOOK_URL is set."""
    settings = _settings()
    configure_logging(settings.log_level)
    from bot.channels.telegram import config_problems  # the bot's own imports load only here

    problems = config_problems(settings)
    if problems:
        fail(problems[0])
    runtime = _runtime(settings)
    gc.freeze()  # the runtime lives as long as the process: the collector need not scan it
    if not runtime.cached:
        # Compile every crisis regex in the background (about 2.5 s of CPU) and save the start-up
        # cache: the bot is ready at once, and within seconds no Chinese, Japanese, Thai or
        # Korean message waits 0.2-1.8 s for its group to compile. Compiling is idempotent, so a
        # message that comes first is safe. From the cache, every regex is compiled already.
        threading.Thread(
            target=save_cache, args=(runtime, settings), name="crisis-warm", daemon=True
        ).start()
    asyncio.run(_serve(settings, runtime))


@main.command()
def serve() -> None:
    """Start one webhook worker (needs HELPLINE_WEBHOOK_URL and HELPLINE_WEBHOOK_SECRET)."""
    settings = _settings()
    if not settings.webhook_url:
        fail("HELPLINE_WEBHOOK_URL is not set: `serve` runs webhook workers (use `run` to poll)")
    run.callback()  # type: ignore[misc]


async def _serve(settings: Settings, runtime: Runtime) -> None:
    from aiohttp import web

    from bot.channels.telegram import StartupError, TelegramService
    from bot.staff.desk import StaffDesk
    from bot.store import Store, StoreConfigError, StoreUnavailable
    from bot.web.app import make_app

    try:
        store = await Store.open(settings)
    except (StoreConfigError, StoreUnavailable) as exc:
        fail(f"cannot open the store: {exc}")
    # With a staff chat, handoffs go to hotline staff there; without, survivors get hotlines.
    desk = partial(StaffDesk, settings, runtime, store) if settings.staff_chat_id else None
    try:
        service = TelegramService(
            settings,
            runtime,
            store,
            webhook=bool(settings.webhook_url),
            detector=_detector(runtime.catalogs.codes),
            desk=desk,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if settings.webhook_url:
            host, _, port = settings.listen.rpartition(":")
            runner = web.AppRunner(make_app(service), access_log=None)
            await runner.setup()
            try:
                await web.TCPSite(runner, host, int(port)).start()
                click.echo(f"helpline: serving the webhook on {settings.listen}", err=True)
                await stop.wait()
            finally:
                await runner.cleanup()
        else:
            await service.run_polling(stop)
    except StartupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {settings.listen}: {exc.strerror or exc}")
    finally:
        await store.close()
