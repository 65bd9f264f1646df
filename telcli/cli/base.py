"""TelcliTyper: the one error seam between domain errors and exit codes (STYLE.md §5)."""

from __future__ import annotations

import difflib
import functools
import importlib
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup

from telcli.errors import ExitCode, PartialFailure, TelcliError, UsageProblem


def render_error(exc: TelcliError, *, debug: bool = False, prefix: str = "telcli") -> None:
    """Print ``error: …`` and ``hint: …`` to stderr; a traceback only with --debug. Commands
    quoted in them get the global options in effect (``prefix``), so they run as printed."""
    from telcli.output.console import runnable

    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {runnable(exc.message, prefix)}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {runnable(exc.hint, prefix)}", file=sys.stderr)


def _app_ctx_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    from telcli.context import AppContext

    # Typer hands callbacks its click Context, a base class of ``typer.Context`` (so an
    # isinstance check against typer.Context never matches); look for our AppContext instead.
    for value in (*args, *kwargs.values()):
        obj = getattr(value, "obj", None)
        if isinstance(obj, AppContext):
            return obj
    return None


def check_text(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse arguments that are not valid UTF-8 (exit 2) before any command sees them.

    Python hands such argv bytes over as lone surrogates (PEP 383), which survive every
    string operation and then fail deep inside whatever encodes them: a URL, a form body, a
    header, the terminal. Paths are exempt: a file name may be any bytes."""
    from telcli.validate import shown, undecodable

    for name, value in kwargs.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, str) and undecodable(item) is not None:
                flag = _flag((*args, *kwargs.values()), name)
                # A secret's value is never echoed, not even the part that is not UTF-8.
                what = flag if _SECRET_NAME.search(name) else f"{flag} {shown(item)}"
                raise UsageProblem(
                    f"{what} is not valid UTF-8 text",
                    hint="pass text in UTF-8 (check the encoding of the terminal or script)",
                )


_SECRET_NAME = re.compile(r"secret|key|token|password|credential", re.IGNORECASE)


def _flag(values: tuple[Any, ...], name: str) -> str:
    """The option as typed on the command line (``--from``), from the click context."""
    for value in values:
        for param in getattr(getattr(value, "command", None), "params", ()):
            if param.name == name:
                if getattr(param, "param_type_name", "") == "argument":
                    return str(param.metavar or name.upper())  # NUMBER, or its metavar
                return str(max(param.opts, key=len))
    return "--" + name.rstrip("_").replace("_", "-")


class TelcliTyper(typer.Typer):
    """A Typer whose commands map ``TelcliError`` to its exit code and a two-line message.

    The wrapper runs inside the invocation, so ``CliRunner`` sees the real exit codes.
    Locals are never shown in tracebacks: they can hold API keys.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("pretty_exceptions_show_locals", False)
        kwargs.setdefault("add_completion", False)  # only the root app offers it
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(**kwargs)

    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def wrapper(*a: Any, **kw: Any) -> Any:
                try:
                    check_text(a, kw)
                    return fn(*a, **kw)
                except TelcliError as exc:
                    app_ctx = _app_ctx_of(a, kw)
                    if app_ctx is None:
                        render_error(exc)
                    else:
                        render_error(exc, debug=app_ctx.debug, prefix=app_ctx.command_prefix)
                    raise typer.Exit(int(exc.exit_code)) from None
                except KeyboardInterrupt:
                    print("interrupted", file=sys.stderr)
                    raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
                except EOFError:  # Ctrl-D at a prompt (see ask): no answer, nothing done
                    print("aborted: nothing was changed", file=sys.stderr)
                    raise typer.Exit(int(ExitCode.BUG)) from None
                except BrokenPipeError:
                    # `telcli … | head -1`: the reader has what it wanted. Exit as a process
                    # killed by SIGPIPE would (not Click's 1, which means a bug here), quietly.
                    from telcli.output.console import quiet_stdout, stdout_reader_gone

                    if not stdout_reader_gone():
                        raise
                    quiet_stdout()
                    raise typer.Exit(int(ExitCode.STDOUT_CLOSED)) from None

            register(wrapper)
            return fn

        return decorator


def require_complete(found: Any) -> None:
    """After the rows are shown: exit 7 when a provider could not answer (a ``Listing`` with
    ``errors``), so no script reads "provider down" as "nothing there"."""
    errors = getattr(found, "errors", None)
    if errors:
        names = " and ".join(dict.fromkeys(e.provider for e in errors))
        raise PartialFailure(
            f"the answer is incomplete: {names} failed (see above)",
            hint="the rows shown come from what did answer; check `telcli providers status`,"
            " then run the command again",
        )


def confirm(app_ctx: Any, question: str, *, yes: bool = False) -> None:
    """Ask before spending money or reaching people.

    ``--yes`` (here or global) skips the question; without a TTY and without ``--yes`` this is a
    usage error (exit 2): scripts must say yes explicitly. A "no" exits 1 with "aborted".
    """
    if yes or app_ctx.yes:
        return
    if not app_ctx.interactive:
        raise UsageProblem(
            "refusing to continue without confirmation: stdin is not a terminal",
            hint="pass --yes to confirm in scripts",
        )
    try:
        answer = ask(f"{question} [y/N]: ")
    except EOFError:  # Ctrl-D: the answer no one typed is "no"
        answer = ""
    if answer.lower() not in ("y", "yes"):
        print("aborted: nothing was changed", file=sys.stderr)
        raise typer.Exit(int(ExitCode.BUG))
    # The network budget (--timeout) counts network work, not the time a person took to answer.
    restart = getattr(app_ctx, "restart_deadline", None)
    if restart is not None:
        restart()


def ask(prompt: str) -> str:
    """Ask for one visible line. The prompt goes to stderr, never stdout: Click's prompts
    echo their last character through ``input()``, which lands on a redirected stdout and
    would corrupt the data there (``telcli numbers buy N | cut -f1``).

    EOFError at end of input (Ctrl-D): ``confirm`` reads it as "no", a picker as giving up.
    Ctrl-C ends the prompt line first, so "interrupted" starts on a line of its own."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise
    if not line:
        sys.stderr.write("\n")
        raise EOFError(prompt)
    return line.strip()


# Global options a user may give anywhere on the command line (`telcli vapi numbers --sandbox`):
# root parameter name -> AppContext.apply_globals keyword. `--timeout` stays before the
# command: `test sms --timeout` is how long to follow a message, a different thing.
ANYWHERE = {
    "profile": "profile",
    "sandbox": "sandbox",
    "json_": "json",
    "yes": "yes",
    "debug": "debug",
}


def say_operation_id(app_ctx: Any) -> None:
    """--debug: the id every ledger row of this run carries (`telcli history`); cite it with
    the provider's request ids when asking for support."""
    typer.echo(f"debug: operation {app_ctx.run.operation_id}", err=True)


def _apply_global(keyword: str) -> Callable[[Any, Any, Any], Any]:
    def callback(ctx: Any, _param: Any, value: Any) -> Any:
        # ctx.obj is None only while completing a command line (no root callback ran).
        if value and ctx.obj is not None:
            debugging = ctx.obj.debug
            flags: dict[str, Any] = dict.fromkeys(("sandbox", "json", "yes", "debug"), False)
            ctx.obj.apply_globals(**{**flags, "profile": None, keyword: value})
            if ctx.obj.debug and not debugging:  # the root callback said it otherwise
                say_operation_id(ctx.obj)
        return value

    return callback


def spread_globals(root: Any, command: Any) -> None:
    """Give ``command`` and everything under it the root's global options it does not define
    itself (a command's own ``--json``/``--yes`` already fold into the global ones)."""
    from typer.core import TyperOption

    for param in root.params:
        keyword = ANYWHERE.get(param.name)
        taken = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        if keyword is None or param.opts[0] in taken:
            continue
        command.params.append(
            TyperOption(
                param_decls=[o for o in param.opts if o not in taken],
                type=None if param.is_flag else param.type,
                is_flag=param.is_flag,
                default=param.default,
                metavar=param.metavar,
                help=param.help,
                expose_value=False,
                callback=_apply_global(keyword),
                rich_help_panel="Global options",
            )
        )
    _name_metavars(command)
    command.globals_from = root  # a lazy verb group hands them to verbs it loads later
    for sub in getattr(command, "commands", {}).values():
        spread_globals(root, sub)


# What Typer would show for these types (`<int range>`, `<path>`) says nothing about the value.
_TYPE_METAVARS = {"int": "N", "int range": "N", "float": "N", "float range": "N"}
_FILE_TYPES = {"path", "file"}


def _name_metavars(command: Any) -> None:
    """Name the value of every option and argument that has no metavar of its own after what
    it is (`--country COUNTRY`, `--limit N`, `--file FILE`, `PROVIDER`), never Typer's type
    placeholder (`<str>`, `<int range>`, `provider:<twilio|telnyx>`). An option's choices
    (`<local|mobile|toll-free>`) already say what to type and are kept."""
    for param in command.params:
        if param.metavar is not None or getattr(param, "is_flag", False):
            continue
        kind = param.type.name
        if param.param_type_name == "option" and kind == "choice":
            continue
        name = (param.name or "value").rstrip("_").upper()
        param.metavar = (
            "FILE" if kind in _FILE_TYPES and param.param_type_name == "option" else None
        ) or _TYPE_METAVARS.get(kind, name)


def _usage_text(message: str) -> str:
    """Click's sentence ("Missing option '--to'.") as one of our lines ("missing option …")."""
    message = " ".join(message.split()).rstrip(".")
    return message[:1].lower() + message[1:]


class LazyGroup(TyperGroup):
    """A root group whose sub-apps are imported only when a command line reaches them.

    ``lazy`` maps a sub-command name to ``(module, help)``; the module exposes ``app``. Help
    listings and name completion get a light stand-in carrying the help text, so
    ``telcli --help`` and every Tab press import no command module at all; resolving a command
    line (running it, its own ``--help``, completing its options) imports exactly one.
    """

    lazy: ClassVar[dict[str, tuple[str, str]]] = {}

    @classmethod
    def of(cls, lazy: dict[str, tuple[str, str]]) -> type[LazyGroup]:
        return type("TelcliGroup", (cls,), {"lazy": lazy})

    def list_commands(self, ctx: Any) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy if name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            command = TyperGroup(name=cmd_name, help=self.lazy[cmd_name][1])
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name in self.lazy and name not in self.commands:
            self.load(name)
        elif name and name not in self.commands and not name.startswith("-"):
            # Typer's own "did you mean" only knows loaded commands; offer the lazy ones too.
            matches = difflib.get_close_matches(name, self.list_commands(ctx))
            if matches and not ctx.resilient_parsing:
                ctx.fail(f"No such command {name!r}. Did you mean {matches[0]!r}?")
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> Any:
        module = importlib.import_module(self.lazy[name][0])
        command = self.command_of(typer.main.get_command(module.app), name)
        command.name = name
        # The root's global options; a verb group loading its verbs passes on the root's.
        spread_globals(getattr(self, "globals_from", self), command)
        self.commands[name] = command
        return command

    def command_of(self, built: Any, name: str) -> Any:
        """The command ``name`` from a loaded module's app: here the sub-app itself."""
        return built

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command line; usage errors become STYLE.md §5's two lines (exit 2).

        A group given no sub-command prints its help on stdout and exits 0: asking what a
        group does is not a mistake.
        """
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            print("aborted: nothing was changed", file=sys.stderr)
            sys.exit(int(ExitCode.BUG))
        except typer.TyperException as exc:  # Click's errors: usage, bad parameter, file
            ctx = getattr(exc, "ctx", None)
            bare = type(exc).__name__ == "NoArgsIsHelpError"
            if not bare and ctx is not None and exc.format_message() == "Missing command.":
                # A group reached with only options (`telcli --sandbox`, `numbers --json`)
                # is as bare as one with nothing after it: its help, not an error.
                bare = True
                exc = typer.TyperException(ctx.get_help())
            if bare:
                # Rich has already printed the help (on stdout) while building the message.
                if exc.format_message().strip():
                    print(exc.format_message())
                sys.exit(0)
            print(f"error: {_usage_text(exc.format_message())}", file=sys.stderr)
            if ctx is not None:
                print(f"hint: see `{ctx.command_path} --help`", file=sys.stderr)
            sys.exit(exc.exit_code)
        # Without standalone mode Typer returns the code of a typer.Exit, else the result.
        sys.exit(code if isinstance(code, int) else 0)


class LazyVerbGroup(LazyGroup):
    """A command group whose verbs live in several modules, each imported on first use.

    ``lazy`` maps a verb to ``(module, help)``; the module's ``app`` holds that verb (and may
    hold others). ``telcli webhook --help`` lists the verbs from the help strings alone; running
    ``telcli webhook replay`` imports the replay module and nothing else.
    """

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = TyperGroup.get_command(self, ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            command = typer.core.TyperCommand(name=cmd_name, help=self.lazy[cmd_name][1])
        return command

    def command_of(self, built: Any, name: str) -> Any:
        # A module app with one command builds to that command; with several, to a group.
        return built.commands[name] if isinstance(built, TyperGroup) else built
