"""The ``reply-assistant`` command line. Parses arguments, calls the library, prints; no logic.

Contract (DESIGN.md): ``--json`` prints one JSON document on stdout and nothing else there;
exit 0 ok, 1 findings or failed cases, 2 bad input with one line on stderr.
Only typer is imported at start-up; everything heavy is imported inside the command that
needs it, so ``reply-assistant --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.bulk import bulk_app
from assistant.cli.data import require_data
from assistant.cli.gaps import gaps
from assistant.cli.macros import macros_app, recheck_after_ingest
from assistant.cli.mail import mail_app
from assistant.cli.outbox import outbox_app
from assistant.cli.privacy import register as _register_privacy
from assistant.cli.privacy import run_maintenance
from assistant.cli.serve import serve
from assistant.cli.surveys import surveys_app
from assistant.cli.tokens import tokens_app
from assistant.cli.users import users_app

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.pipeline import Deps

app = typer.Typer(
    name="reply-assistant",
    help="Grounded, playbook-checked reply drafts for support teams (Korean and English).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
customers_app = typer.Typer(help="Customer histories.", no_args_is_help=True)
app.add_typer(customers_app, name="customers")
app.add_typer(users_app, name="users")
_register_privacy(app, customers_app)
app.add_typer(tokens_app, name="tokens")
app.add_typer(macros_app, name="macros")
app.command("gaps")(gaps)
app.add_typer(surveys_app, name="surveys")
app.command("serve")(serve)
app.add_typer(bulk_app, name="bulk")
app.add_typer(outbox_app, name="outbox")
app.add_typer(mail_app, name="mail")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $ASSISTANT_DATA_DIR or ./.assistant-data)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
Server = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="Send the work to a running `reply-assistant serve` at this URL (default: "
        "$ASSISTANT_SERVER; token from $ASSISTANT_SERVER_TOKEN).",
    ),
]
Channel = Annotated[
    str, typer.Option("--channel", help="email, chat, x, instagram, facebook or review.")
]


def _settings(data_dir: Path | None, **overrides: Any) -> Settings:
    from assistant.config import load_settings

    return load_settings(data_dir=data_dir, **overrides)


def _deps(data_dir: Path | None) -> Deps:
    from assistant.pipeline import Deps

    settings = _settings(data_dir)
    require_data(settings)
    return Deps.from_settings(settings)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def _dump(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return obj


def _read_arg(value: str | None, what: str) -> str:
    """TEXT, or ``-``/nothing for standard input."""
    from assistant.errors import InputError

    if value is None or value == "-":
        if value is None and sys.stdin.isatty():
            raise InputError(f"give the {what} as an argument or on standard input (-)", where=what)
        text = sys.stdin.read()
    else:
        text = value
    if not text.strip():
        raise InputError(f"the {what} is empty", where=what)
    return text


def _read_file(value: str | None, what: str) -> str:
    """A file's text, or standard input for ``-``/nothing."""
    from assistant.errors import InputError

    if value is None or value == "-":
        return _read_arg(value, what)
    path = Path(value)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", where=value) from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read as UTF-8 text ({type(exc).__name__})", where=value) from None
    if not text.strip():
        raise InputError(f"the {what} is empty", where=value)
    return text


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=False, highlight=False, soft_wrap=True)


@app.command()
def init(
    data_dir: DataDir = None,
    knowledge: Annotated[
        Path | None,
        typer.Option(help="Help-center folder to load (default: the demo help center)."),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo customers.")] = True,
    as_json: AsJson = False,
) -> int:
    """Create the data dir, ingest the help center and the demo customers (idempotent); on a
    new data dir, create the admin account and print its one-time password once (or take
    $ASSISTANT_ADMIN_PASSWORD)."""
    from assistant.accounts import ensure_admin
    from assistant.cli.render import ingest_progress
    from assistant.history import load_demo_customers
    from assistant.knowledge import KnowledgeBase, default_knowledge_dir
    from assistant.store import Store

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with ingest_progress() as progress:
        paths = [knowledge or default_knowledge_dir()]
        report = KnowledgeBase(settings).ingest(paths, progress=progress)
    store = Store.from_settings(settings)
    customers = load_demo_customers(store) if demo else 0
    admin = ensure_admin(store, os.environ.get("ASSISTANT_ADMIN_PASSWORD") or None)
    store.dispose()
    out = {"data_dir": str(settings.data_dir), "knowledge": _dump(report), "customers": customers}
    if settings.retention_days is not None:
        out["maintenance"] = run_maintenance(settings)
    if admin is not None:
        out["admin"] = {"name": admin[0].name, "password": admin[1]}
    if as_json:
        _emit(out)
    else:
        print(f"Data dir: {settings.data_dir}")
        print(f"Help center: {_dump(report)}")
        print(f"Demo customers loaded: {customers}")
        if "maintenance" in out:
            purged = out["maintenance"]["purged"]
            print(
                f"Retention {settings.retention_days} days: purged {purged['conversations']} "
                f"conversations, {purged['drafts']} drafts"
            )
        if admin is not None:
            told = (
                "from ASSISTANT_ADMIN_PASSWORD"
                if os.environ.get("ASSISTANT_ADMIN_PASSWORD")
                else admin[1]
            )
            print(
                f"Admin account: {admin[0].name}, password: {told} (shown once; sign in to "
                "the workspace with it, then `reply-assistant users password admin`)"
            )
        print('Next: reply-assistant draft --customer cus_ko_minji "앱에서 결제하면 화면이 멈춰요"')
    return 0


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (Markdown, .txt, .html).")],
    prune: Annotated[
        bool, typer.Option(help="Remove documents whose files vanished from an ingested folder.")
    ] = False,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Add or update knowledge files; a changed file's old chunks are replaced."""
    from assistant.cli.render import ingest_progress
    from assistant.knowledge import KnowledgeBase

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with ingest_progress() as progress:
        report = KnowledgeBase(settings).ingest(list(paths), prune=prune, progress=progress)
    _emit(_dump(report)) if as_json else print(_dump(report))
    flagged = recheck_after_ingest(settings)
    if flagged:
        print(f"macros flagged by the playbook: {', '.join(flagged)}", file=sys.stderr)
    return 0


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in Korean or English.")],
    k: Annotated[int, typer.Option("-k", help="How many documents.")] = 5,
    data_dir: DataDir = None,
    as_json: AsJson = False,
    server: Server = None,
) -> int:
    """Search the help center (hybrid: multilingual vectors + Korean/English BM25)."""
    from assistant.cli import remote
    from assistant.errors import InputError

    if not query.strip():
        raise InputError("the query is empty", where="query")
    if k < 1:
        raise InputError("must be at least 1", where="-k")
    to = remote.remote_for(server)
    if to is not None:
        hits = remote.search(to, query, k)["results"]
    else:
        from assistant.knowledge import KnowledgeBase

        settings = _settings(data_dir)
        require_data(settings)
        hits = [h.contract() for h in KnowledgeBase(settings).search(query, k=k)]
    if as_json:
        _emit({"results": hits})
        return 0
    if not hits:
        print("No matching articles.")
    for i, h in enumerate(hits, 1):
        print(
            f"{i}. {h['title']}  [{h['doc_id']}]  score {h['score']:.3f}\n   {h['url']}\n"
            f"   {h['snippet']}"
        )
    return 0


@customers_app.command("import")
def customers_import(
    file: Annotated[Path, typer.Argument(help="JSONL, one customer a line.")],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Import customer histories; a bad line stops the import and nothing is written."""
    from assistant.history import import_jsonl
    from assistant.store import Store

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    report = import_jsonl(Store.from_settings(settings), file)
    _emit(_dump(report)) if as_json else print(_dump(report))
    return 0


@customers_app.command("list")
def customers_list(data_dir: DataDir = None, as_json: AsJson = False) -> int:
    """List customers."""
    from assistant.history import list_customers
    from assistant.store import Store

    settings = _settings(data_dir)
    require_data(settings)
    people = list_customers(Store.from_settings(settings))
    if as_json:
        _emit(
            {
                "customers": [
                    {"id": c.id, "name": c.name, "language": c.language, "plan": c.plan}
                    for c in people
                ]
            }
        )
    else:
        for c in people:
            print(f"{c.id:24} {c.name:16} {c.language}  {c.plan}")
    return 0


@customers_app.command("show")
def customers_show(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Show one customer's profile, notes, promises and conversations."""
    from assistant.errors import InputError
    from assistant.history import get_customer
    from assistant.store import Store

    settings = _settings(data_dir)
    require_data(settings)
    customer = get_customer(Store.from_settings(settings), customer_id)
    if customer is None:
        raise InputError(f"unknown customer {customer_id!r}", where="customer")
    if as_json:
        _emit(customer.model_dump(mode="json"))
    else:
        print(customer.model_dump_json(indent=2))
    return 0


@app.command()
def triage(
    text: Annotated[
        str | None, typer.Argument(help="The customer message, or - for stdin.")
    ] = None,
    as_json: AsJson = False,
) -> int:
    """Language, playbook situations (S1–S8), sentiment and urgency of a message."""
    from assistant.triage import triage as run_triage

    result = run_triage(_read_arg(text, "message"))
    if as_json:
        _emit(result.contract())
    else:
        print(
            f"language {result.language}  situations {', '.join(result.situations) or '-'}  "
            f"sentiment {result.sentiment:+.2f}  urgency {result.urgency}"
            + ("  (spam / not for us)" if result.spam else "")
        )
    return 0


@app.command()
def check(
    file: Annotated[str | None, typer.Argument(help="Draft file, or - for stdin.")] = None,
    channel: Channel = "email",
    lang: Annotated[
        str | None, typer.Option("--lang", help="ko or en (default: detected).")
    ] = None,
    customer_message: Annotated[
        str | None, typer.Option("--customer-message", help="File with the customer's message.")
    ] = None,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="Customer id (their own details may appear privately)."),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option("--judge", help="Also ask this litellm model to judge the nuanced rules."),
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
    server: Server = None,
) -> int:
    """Check a draft against the playbook. Exit 1 when there are error findings."""
    from assistant.cli import remote
    from assistant.config import CHANNELS
    from assistant.errors import InputError

    if channel not in CHANNELS:
        raise InputError(
            f"unknown channel {channel!r} (use {', '.join(CHANNELS)})", where="--channel"
        )
    if lang not in (None, "ko", "en"):
        raise InputError("use ko or en", where="--lang")
    text = _read_file(file, "draft")
    message = _read_file(customer_message, "customer message") if customer_message else None
    to = remote.remote_for(server)
    if to is not None:
        if judge:
            raise InputError("the judge runs only locally: leave out --server", where="--judge")
        body = dict(text=text, channel=channel, lang=lang, customer_message=message)
        return _print_check(remote.check(to, {**body, "customer_id": customer}), as_json)
    from assistant import playbook

    settings = _settings(data_dir)
    known_urls, person = _check_context(settings, customer)
    result = playbook.check(
        text,
        channel=channel,
        lang=lang,
        customer_message=message,
        customer=person,
        known_urls=known_urls,
        ui_lang=settings.ui_language,
    )
    if judge:
        result.findings.extend(
            playbook.judge(
                text, model=judge, settings=settings, channel=channel, customer_message=message
            )
        )
    return _print_check(result.contract(), as_json)


def _print_check(contract: dict[str, Any], as_json: bool) -> int:
    """Print ``check``'s answer; its exit status (1 with error findings)."""
    from assistant.models import Finding

    if as_json:
        _emit(contract)
    else:
        _print_findings([Finding.model_validate(f) for f in contract["findings"]])
    return 0 if contract["ok"] else 1


def _check_context(settings: Settings, customer_id: str | None) -> tuple[set[str] | None, Any]:
    """Known help-center URLs (when an index exists) and the current customer."""
    from assistant.errors import InputError

    if not settings.data_dir.is_dir():
        if customer_id:
            require_data(settings)
        return None, None
    from assistant.knowledge import KnowledgeBase

    kb = KnowledgeBase(settings)
    urls = kb.known_urls() if kb.count() else None
    person = None
    if customer_id:
        from assistant.history import get_customer
        from assistant.store import Store

        person = get_customer(Store.from_settings(settings), customer_id)
        if person is None:
            raise InputError(f"unknown customer {customer_id!r}", where="--customer")
    return urls, person


def _write_through(token: str) -> None:
    sys.stdout.write(token)
    sys.stdout.flush()


def _restart_notice() -> None:
    sys.stdout.write(
        "\n\n--- the model's reply was cut off or revised; the new one follows ---\n\n"
    )
    sys.stdout.flush()


def _print_findings(findings: list[Any]) -> None:
    if not findings:
        print("No findings: the draft follows the playbook.")
    for f in findings:
        where = f" “{f.quote}”" if f.quote else ""
        print(f"[{f.severity}] {f.rule}{where}: {f.message}\n    fix: {f.fix}")


@app.command()
def draft(
    text: Annotated[
        str | None, typer.Argument(help="The customer message, or - for stdin.")
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer id.")] = None,
    channel: Channel = "email",
    style: Annotated[str | None, typer.Option(help="warmer, concise or formal.")] = None,
    prompt: Annotated[
        str | None, typer.Option(help="Prompt template, e.g. draft_reply@v2.")
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
    server: Server = None,
) -> int:
    """Draft a grounded, checked reply (stored as a draft record; nothing is sent)."""
    from assistant.cli import remote

    message = _read_arg(text, "message")
    to = remote.remote_for(server)
    if to is not None:
        body = dict(message=message, customer_id=customer, channel=channel, style=style)
        answer = remote.draft(to, {**body, "prompt_version": prompt})
        if as_json:
            _emit(answer)
        else:
            _print_remote_draft(answer)
        return 0
    from assistant.pipeline import DraftRequest, draft_reply

    deps = _deps(data_dir)
    req = DraftRequest(
        message=message, channel=channel, customer_id=customer, style=style, prompt_version=prompt
    )
    streaming = not as_json and not deps.settings.is_offline and sys.stdout.isatty()
    result = draft_reply(
        deps,
        req,
        on_token=_write_through if streaming else None,
        on_restart=_restart_notice if streaming else None,
    )
    if as_json:
        _emit(result.contract())
        return 0
    if deps.settings.is_offline:
        print(
            "[offline drafter: no model configured — set ASSISTANT_MODEL, e.g. openai/gpt-4o-mini]",
            file=sys.stderr,
        )
    print(result.draft if not streaming else "")
    print(
        f"\n— draft #{result.id} · {result.model} · {result.prompt_version} · {result.language} · {', '.join(result.situations) or '-'}"
    )
    for s in result.sources:
        print(f"  source: {s.title} <{s.url}>")
    _print_findings(result.findings)
    return 0


def _print_remote_draft(answer: dict[str, Any]) -> None:
    from assistant.models import Finding

    print(answer["draft"])
    situations = ", ".join(answer["situations"]) or "-"
    print(
        f"\n— draft #{answer['id']} · {answer['model']} · {answer['prompt_version']} · "
        f"{answer['language']} · {situations}"
    )
    for s in answer["sources"]:
        print(f"  source: {s['title']} <{s['url']}>")
    _print_findings([Finding.model_validate(f) for f in answer["findings"]])


@bulk_app.command("run")
def bulk(
    file: Annotated[Path, typer.Argument(help="Social posts: CSV or JSONL (id, platform, text…).")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL; rerunning resumes it.")],
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Model calls in flight at once.")
    ] = 8,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Drafting processes (default: by cores and run size)."),
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Triage, cluster and draft replies to many social posts (resumable; nothing is sent)."""
    from assistant.bulk import BulkOptions, run_bulk
    from assistant.cli.render import bulk_progress, print_summary
    from assistant.errors import InputError

    if concurrency < 1:
        raise InputError("must be at least 1", where="--concurrency")
    if workers is not None and workers < 1:
        raise InputError("must be at least 1", where="--workers")
    deps = _deps(data_dir)
    options = BulkOptions(concurrency=concurrency, workers=workers, progress=bulk_progress)
    result = run_bulk(deps, file, out, options)
    if as_json:
        _emit(result.summary)
    else:
        print_summary(result.summary)
    return 0


@app.command("eval")
def eval_command(
    suites: Annotated[
        list[str] | None, typer.Argument(help="Suite names or files (default: all suites).")
    ] = None,
    prompt: Annotated[
        list[str] | None, typer.Option("--prompt", help="Prompt version (v1, draft_reply@v2).")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="offline, mock/NAME or a litellm model.")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Results folder to compare with.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Results folder (default <data dir>/evals/<id>).")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Model calls in flight.")] = 4,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Finish an earlier run (its folder or id).")
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option("--max-cost", help="Stop before model calls cost more (USD).")
    ] = None,
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="Only cases with this id (glob) or tag.")
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", help="Run every case N times.")] = 1,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Run eval suites (or a promptfoo config): prompt versions × models side by side. Exit 1
    on failed cases, with --baseline on any regression, or when --max-cost stopped the run;
    130 when stopped by Ctrl-C (finish it with --resume)."""
    from assistant.cli.render import progress_bar, terminal_table
    from assistant.errors import InputError
    from assistant.evals import RunOptions, run_eval

    if concurrency < 1:
        raise InputError("must be at least 1", where="--concurrency")
    if max_cost is not None and max_cost < 0:
        raise InputError("must not be negative", where="--max-cost")
    if resume and (suites or prompt or model or filters or repeat != 1):
        raise InputError("a resumed run keeps its own suites, variants, filters and repeats",
                         where="--resume")  # fmt: skip
    settings = _settings(data_dir)
    progress = None if as_json else (lambda line: print(line, file=sys.stderr))
    bar = None if as_json else progress_bar("Evaluating", "rows")
    options = RunOptions(concurrency, repeat, max_cost, filters or [], resume, bar)
    try:
        outcome = run_eval(
            settings,
            suites or [],
            prompt or [],
            model or [],
            out_dir=out,
            baseline=baseline,
            report=report,
            progress=progress,
            options=options,
        )
    except KeyboardInterrupt:  # before the first row: nothing was written
        print("stopped (interrupted) before any row", file=sys.stderr)
        return 130
    for line in outcome.ignored:
        print(f"ignored: {line}", file=sys.stderr)
    stopped = outcome.run.summary.get("stopped")
    if stopped:
        why = "over --max-cost" if stopped == "budget" else "interrupted"
        left = outcome.run.summary.get("remaining", 0)
        print(f"stopped ({why}): {left} rows left; finish with --resume {outcome.results_dir}",
              file=sys.stderr)  # fmt: skip
    if as_json:
        _emit(outcome.contract())
    else:
        terminal_table(outcome.run, outcome.comparison)
        print(f"results: {outcome.results_dir}" + (f"  report: {report}" if report else ""))
    return outcome.exit_code


BILINGUAL_SET = "retrieval_bilingual.jsonl"
"""Reported beside the retrieval set: queries whose reply language is the customer's."""
MEASURE_SETS = {
    "retrieval": "retrieval.jsonl",
    "triage": "triage.jsonl",
    "checker": "checker.jsonl",
}


@app.command()
def measure(
    what: Annotated[str, typer.Argument(help="retrieval, triage or checker.")],
    file: Annotated[
        Path | None, typer.Option("--file", help="Labelled JSONL (default: the shipped set).")
    ] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> int:
    """Score a labelled set: retrieval hit@1/hit@3/MRR, triage accuracy, checker precision/recall."""
    from assistant.errors import InputError
    from assistant.resources import labelled_set

    if what not in MEASURE_SETS:
        raise InputError(f"unknown set {what!r} (use {', '.join(MEASURE_SETS)})", where="what")
    path = file or labelled_set(MEASURE_SETS[what])
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    if what == "retrieval":
        from assistant.evals.retrieval import evaluate_retrieval
        from assistant.knowledge import KnowledgeBase

        settings = _settings(data_dir)
        require_data(settings)
        kb = KnowledgeBase(settings)
        result = evaluate_retrieval(kb, path)
        headline = {"overall": result["overall"], **result["by_category"], "links": result["links"]}
        if file is None:  # the shipped bilingual set too: customers writing in either language
            both = evaluate_retrieval(kb, labelled_set(BILINGUAL_SET))
            headline["bilingual"] = {"overall": both["overall"], "links": both["links"]}
    elif what == "triage":
        from assistant.evals.triage import evaluate_triage

        result = evaluate_triage(path)
        headline = {k: v for k, v in result.items() if k.endswith("accuracy")}
        headline["per_situation"] = result["per_situation"]
    else:
        from assistant.evals.checker import evaluate_checker

        result = evaluate_checker(path)
        headline = {k: result[k] for k in ("recall", "false_alarm_rate", "precision")}
        headline["per_rule"] = {
            rule: {"precision": r["precision"], "recall": r["recall"]}
            for rule, r in result["per_rule"].items()
        }
    if as_json:
        _emit({"set": what, "file": str(path), **headline, "misses": result.get("misses", [])})
        return 0
    print(f"{what}: {path}")
    for key, value in headline.items():
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            for sub, row in value.items():
                print(f"  {key} {sub:6} " + "  ".join(f"{k} {v}" for k, v in row.items()))
        elif isinstance(value, dict):
            print(f"  {key:10} " + "  ".join(f"{k} {v}" for k, v in value.items()))
        else:
            print(f"  {key:20} {value}")
    return 0


@app.command("settings")
def show_settings(data_dir: DataDir = None, as_json: AsJson = False) -> int:
    """Every setting with its value and help (environment ASSISTANT_<NAME> or config.toml)."""
    settings = _settings(data_dir)
    rows = [
        {
            "name": name,
            "env": f"ASSISTANT_{name.upper()}",
            "value": getattr(settings, name),
            "help": field.description,
        }
        for name, field in type(settings).model_fields.items()
    ]
    if as_json:
        _emit({"settings": rows})
    else:
        for r in rows:
            print(f"{r['env']:28} = {r['value']!s:40} {r['help']}")
    return 0


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and maps errors to the exit codes of the contract."""
    from assistant.errors import InputError, ModelError, PermissionDenied

    usage_errors = _usage_errors()
    try:
        code = app(args=argv, standalone_mode=False, prog_name="reply-assistant")
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except usage_errors as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(2)
    except (InputError, PermissionDenied) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ModelError as exc:
        suffix = f" (draft #{exc.draft_id} recorded as failed)" if exc.draft_id else ""
        print(f"error: model call failed: {exc}{suffix}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_errors() -> tuple[type[BaseException], ...]:
    """The exception classes of a bad command line: typer's own (it vendors click since 0.20)
    and click's, whichever this install raises."""
    import click

    found: list[type[BaseException]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as Vendored
    except ImportError:
        return tuple(found)
    return (*found, Vendored)
