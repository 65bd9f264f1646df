"""Static completion scripts for bash, zsh and fish, generated from the command tree.

A TAB press must feel instant, and starting Python costs ~150 ms, so the scripts carry the
whole tree (commands, options, enum choices) as shell ``case`` tables and read dynamic values
(owned numbers, capture ids, profiles, assistants, tenant ids) from the completion cache
(storage/completion_cache.py) with shell builtins. No process starts on TAB.

``completions/`` holds the generated scripts (``sh completions/generate.sh``); a test fails when
they drift from the app. Which parameter completes from which cache is decided here, by name
(``DYNAMIC_OPTIONS``, ``_argument_kind``), so a new command gets it for free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Option -> cache kind, wherever the option appears.
DYNAMIC_OPTIONS = {
    "--profile": "@profiles",
    "--assistant": "@assistants",
    "--tenant": "@tenants",
    "--from": "@numbers",
    "--number": "@numbers",  # filters (history, webhook list...): the numbers one owns
}
# Options whose value is a file (besides click Path types).
FILE_OPTIONS = {"--body-file", "--private-key", "--public-key", "--file", "--twiml", "--plan"}
HIDDEN_ROOT_OPTIONS = {"--install-completion", "--show-completion"}
_WORD = re.compile(r"^[A-Za-z0-9._+:/@-]+$")


@dataclass
class Node:
    """One command path: what may follow it."""

    subs: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # option -> words | @kind | @file | @any
    args: list[str] = field(default_factory=list)  # positional -> the same
    repeat_last: bool = False


def _argument_kind(path: tuple[str, ...], param: Any) -> str:
    name = param.name or ""
    if _is_path(param) or name in ("file", "plan"):
        return "@file"
    if name in ("number", "numbers"):
        return "@numbers"
    if path[:1] == ("webhook",) and name in ("capture_id", "ids", "capture_ids"):
        return "@captures"
    if path[:1] == ("tenants",) and name in ("tenant", "tenant_id", "id", "ids"):
        return "@tenants"
    return _choices(param) or "@any"


def _option_kind(param: Any) -> str:
    names = set(param.opts) | set(param.secondary_opts)
    for opt in param.opts:
        if opt in DYNAMIC_OPTIONS:
            return DYNAMIC_OPTIONS[opt]
    if _is_path(param) or names & FILE_OPTIONS:
        return "@file"
    return _choices(param) or "@any"


def _is_path(param: Any) -> bool:
    return type(param.type).__name__ in ("TyperPath", "Path", "File")


def _choices(param: Any) -> str:
    choices = getattr(param.type, "choices", None)
    if not choices:
        return ""
    words = [str(getattr(c, "value", c)) for c in choices]
    bad = [w for w in words if not _WORD.match(w)]
    if bad:
        raise ValueError(f"choice {bad[0]!r} of {param.opts or param.name} is not a shell word")
    return " ".join(words)


def command_tree(root: Any) -> dict[tuple[str, ...], Node]:
    """Every command path of the app, lazy sub-apps and verbs included (imports them all)."""
    from typer._click.core import Context
    from typer.core import TyperArgument, TyperGroup, TyperOption

    tree: dict[tuple[str, ...], Node] = {}
    ctx = Context(root)

    def visit(cmd: Any, path: tuple[str, ...]) -> None:
        node = tree.setdefault(path, Node())
        for param in cmd.params:
            if isinstance(param, TyperOption):
                if path == () and set(param.opts) & HIDDEN_ROOT_OPTIONS:
                    continue
                node.options += [*param.opts, *param.secondary_opts]
                if not param.is_flag and not param.count:
                    kind = _option_kind(param)
                    for opt in param.opts:
                        node.values[opt] = kind
            elif isinstance(param, TyperArgument):
                node.args.append(_argument_kind(path, param))
                node.repeat_last = param.nargs == -1
        if isinstance(cmd, TyperGroup):
            for name in cmd.list_commands(ctx):
                lazy = getattr(cmd, "lazy", {})
                sub = cmd.load(name) if name in lazy and name not in cmd.commands else None
                sub = sub or cmd.get_command(ctx, name)
                if sub is None or getattr(sub, "hidden", False):
                    continue
                node.subs.append(name)
                visit(sub, (*path, name))
        node.options.append("--help")

    visit(root, ())
    return tree


# --- shell text ------------------------------------------------------------------------------


def _key(path: tuple[str, ...]) -> str:
    return " ".join(path)


def _root_values(tree: dict[tuple[str, ...], Node]) -> dict[str, str]:
    # The root's value options (--profile, --timeout) are accepted after a subcommand too.
    return tree[()].values


def _sh_data(tree: dict[tuple[str, ...], Node]) -> str:
    """The case tables, valid in both bash and zsh."""
    subs = [f'    "{_key(p)}") REPLY="{" ".join(n.subs)}" ;;' for p, n in tree.items() if n.subs]
    opts = [f'    "{_key(p)}") REPLY="{" ".join(n.options)}" ;;' for p, n in tree.items()]
    values = []
    for path, node in tree.items():
        for opt, kind in node.values.items():
            values.append(f'    "{_key(path)} {opt}") REPLY="{kind}" ;;')
    for opt, kind in _root_values(tree).items():
        values.append(f'    *" {opt}") REPLY="{kind}" ;;')
    args = []
    for path, node in tree.items():
        for index, kind in enumerate(node.args):
            last = node.repeat_last and index == len(node.args) - 1
            pattern = f'"{_key(path)} "*' if last else f'"{_key(path)} {index}"'
            args.append(f'    {pattern}) REPLY="{kind}" ;;')
    return "\n".join(
        [
            "_telcli_subs() {  # $1: a command path -> REPLY: its subcommands",
            '  case "$1" in',
            *subs,
            '    *) REPLY="" ;;',
            "  esac",
            "}",
            "_telcli_opts() {  # $1: a command path -> REPLY: its options",
            '  case "$1" in',
            *opts,
            '    *) REPLY="--help" ;;',
            "  esac",
            "}",
            "_telcli_value() {  # $1: 'PATH OPTION' -> REPLY: what its value is; 1 for a flag",
            '  case "$1" in',
            *values,
            "    *) return 1 ;;",
            "  esac",
            "}",
            "_telcli_arg() {  # $1: 'PATH INDEX' -> REPLY: what that positional is",
            '  case "$1" in',
            *args,
            "    *) return 1 ;;",
            "  esac",
            "}",
        ]
    )


# The cache directory, as storage/completion_cache.py and AppContext.state_dir place it
# (platformdirs' user_state_dir: XDG on Linux, Application Support on macOS).
_SH_CACHE_DIR = r"""_telcli_cache_file() {  # $1: a kind -> REPLY: its cache file
  if [[ -n ${TELCLI_HOME-} ]]; then REPLY=$TELCLI_HOME
  elif [[ -d ${XDG_STATE_HOME:-$HOME/.local/state}/telcli ]]; then
    REPLY=${XDG_STATE_HOME:-$HOME/.local/state}/telcli
  else REPLY="$HOME/Library/Application Support/telcli"; fi
  REPLY+=/completion
  [[ $_telcli_sandbox == 1 && $1 != profiles ]] && REPLY+=/sandbox
  REPLY+=/$1
  return 0
}"""

# The walk over the words before the cursor, shared by bash and zsh: it finds the command path,
# how many positionals were given, and whether the cursor is on an option's value.
_SH_WALK = r"""_telcli_walk() {  # words before the cursor -> path, positionals, pending option
  local w REPLY
  _telcli_path="" _telcli_npos=0 _telcli_pending=""
  for w in "$@"; do
    if [[ -n $_telcli_pending ]]; then
      [[ $w == "=" ]] && continue  # bash splits --opt=value at the '='
      _telcli_pending=""
      continue
    fi
    case $w in
      --sandbox) _telcli_sandbox=1 ;;
      --*=*|--) ;;
      -*) _telcli_value "$_telcli_path $w" && _telcli_pending=$w ;;
      *)
        _telcli_subs "$_telcli_path"
        if [[ " $REPLY " == *" $w "* ]]; then
          _telcli_path=${_telcli_path:+$_telcli_path }$w
          _telcli_npos=0
        else
          ((_telcli_npos++))
        fi ;;
    esac
  done
  return 0
}
_telcli_what() {  # $1: the word under the cursor -> REPLY: what to offer; _telcli_cur
  _telcli_cur=$1 _telcli_prefix=""
  if [[ -n $_telcli_pending ]]; then
    [[ $_telcli_cur == "=" ]] && _telcli_cur=""
    _telcli_value "$_telcli_path $_telcli_pending"
    return 0
  fi
  if [[ $_telcli_cur == --*=* ]]; then
    _telcli_prefix=${_telcli_cur%%=*}=
    _telcli_cur=${_telcli_cur#*=}
    _telcli_value "$_telcli_path ${_telcli_prefix%=}" || REPLY=@any
    return 0
  fi
  if [[ $_telcli_cur == -* ]]; then
    _telcli_opts "$_telcli_path"
    return 0
  fi
  _telcli_subs "$_telcli_path"
  [[ -n $REPLY ]] && return 0
  _telcli_arg "$_telcli_path $_telcli_npos" && return 0
  _telcli_opts "$_telcli_path"
  return 0
}"""


def bash_script(tree: dict[tuple[str, ...], Node]) -> str:
    return "\n".join(
        [
            "# bash completion for telcli. Generated by `telcli completion bash`; do not edit.",
            "# Answers from the command tree below and telcli's completion cache (owned numbers,",
            "# capture ids, profiles, assistants, tenants) with builtins only: no process starts.",
            "# Install: telcli completion bash > ~/.local/share/bash-completion/completions/telcli",
            "",
            _sh_data(tree),
            _SH_CACHE_DIR,
            _SH_WALK,
            r"""_telcli_offer() {  # $1: words, @kind, @file or @any -> COMPREPLY
  local w value REPLY
  local -a lines=()
  case $1 in
    @file) compopt -o default 2>/dev/null ;;
    @any) ;;
    @*)
      _telcli_cache_file "${1#@}"
      [[ -r $REPLY ]] || return 0
      if ((BASH_VERSINFO[0] >= 4)); then
        mapfile -t lines < "$REPLY"  # one read for the whole file
      else
        while IFS= read -r value; do lines+=("$value"); done < "$REPLY"
      fi
      for value in "${lines[@]%%$'\t'*}"; do
        [[ $value == "$_telcli_cur"* ]] && COMPREPLY+=("$_telcli_prefix$value")
      done ;;
    *)
      for w in $1; do
        [[ $w == "$_telcli_cur"* ]] && COMPREPLY+=("$_telcli_prefix$w")
      done ;;
  esac
  return 0
}
_telcli() {
  local _telcli_path _telcli_npos _telcli_pending _telcli_cur _telcli_prefix REPLY
  local _telcli_sandbox=0
  [[ ${TELCLI_SANDBOX-} == 1 || ${TELCLI_SANDBOX-} == true ]] && _telcli_sandbox=1
  COMPREPLY=()
  _telcli_walk "${COMP_WORDS[@]:1:COMP_CWORD-1}"
  _telcli_what "${COMP_WORDS[COMP_CWORD]}"
  _telcli_offer "$REPLY"
}
complete -F _telcli telcli""",
            "",
        ]
    )


def zsh_script(tree: dict[tuple[str, ...], Node]) -> str:
    return "\n".join(
        [
            "#compdef telcli",
            "# zsh completion for telcli. Generated by `telcli completion zsh`; do not edit.",
            "# Answers from the command tree below and telcli's completion cache (owned numbers,",
            "# capture ids, profiles, assistants, tenants): no process starts.",
            '# Install: telcli completion zsh > "${fpath[1]}/_telcli" (or source it after'
            " compinit)",
            "",
            _sh_data(tree),
            _SH_CACHE_DIR,
            _SH_WALK,
            r"""_telcli_offer() {  # $1: words, @kind, @file or @any -> compadd
  local REPLY
  local -a found
  case $1 in
    @file) _files; return ;;
    @any) return 1 ;;
    @*)
      _telcli_cache_file "${1#@}"
      [[ -r $REPLY ]] || return 1
      found=("${(@f)$(<$REPLY)}")  # $(<file): read by zsh itself, no external command
      found=("${(@)found%%$'\t'*}") ;;
    *) found=(${=1}) ;;
  esac
  compadd -- "${found[@]}"
}
_telcli() {
  local _telcli_path _telcli_npos _telcli_pending _telcli_cur _telcli_prefix REPLY
  local _telcli_sandbox=0
  [[ ${TELCLI_SANDBOX-} == (1|true) ]] && _telcli_sandbox=1
  _telcli_walk "${(@)words[2,CURRENT-1]}"
  _telcli_what "${words[CURRENT]}"
  [[ -n $_telcli_prefix ]] && compset -P '*='
  _telcli_offer "$REPLY"
}
if [[ ${zsh_eval_context[-1]-} == loadautofunc ]]; then
  _telcli "$@"
else
  compdef _telcli telcli
fi""",
            "",
        ]
    )


def fish_script(tree: dict[tuple[str, ...], Node]) -> str:
    def case(pattern: str, body: str) -> str:
        return f"        case {pattern}\n            {body}"

    subs = [case(f"'{_key(p)}'", f"echo {' '.join(n.subs)}") for p, n in tree.items() if n.subs]
    opts = [case(f"'{_key(p)}'", f"echo {' '.join(n.options)}") for p, n in tree.items()]
    values = [
        case(f"'{_key(p)} {opt}'", f"echo '{kind}'")
        for p, n in tree.items()
        for opt, kind in n.values.items()
    ]
    values += [case(f"'* {opt}'", f"echo '{kind}'") for opt, kind in _root_values(tree).items()]
    args = []
    for path, node in tree.items():
        for index, kind in enumerate(node.args):
            last = node.repeat_last and index == len(node.args) - 1
            pattern = f"'{_key(path)} *'" if last else f"'{_key(path)} {index}'"
            args.append(case(pattern, f"echo '{kind}'"))

    def fn(name: str, doc: str, cases: list[str], fallback: str) -> str:
        return "\n".join(
            [
                f"function {name} --description '{doc}'",
                "    switch $argv[1]",
                *cases,
                "        case '*'",
                f"            {fallback}",
                "    end",
                "end",
            ]
        )

    return "\n".join(
        [
            "# fish completion for telcli. Generated by `telcli completion fish`; do not edit.",
            "# Answers from the command tree below and telcli's completion cache (owned numbers,",
            "# capture ids, profiles, assistants, tenants): no Python process starts.",
            "# Install: telcli completion fish > ~/.config/fish/completions/telcli.fish",
            "",
            fn("__telcli_subs", "subcommands of a path", subs, "return 1"),
            fn("__telcli_opts", "options of a path", opts, "echo --help"),
            fn("__telcli_value", "what an option takes", values, "return 1"),
            fn("__telcli_arg", "what a positional is", args, "return 1"),
            r"""function __telcli_complete --description 'candidates for the word under the cursor'
    set -l path ''
    set -l npos 0
    set -l pending ''
    set -l sandbox 0
    contains -- "$TELCLI_SANDBOX" 1 true; and set sandbox 1
    for w in (commandline -opc)[2..-1]
        if test -n "$pending"
            set pending ''
            continue
        end
        switch $w
            case --sandbox
                set sandbox 1
            case '--*=*' --
            case '-*'
                __telcli_value "$path $w" >/dev/null; and set pending $w
            case '*'
                if contains -- $w (string split ' ' -- (__telcli_subs "$path"))
                    set path (string trim -- "$path $w")
                    set npos 0
                else
                    set npos (math $npos + 1)
                end
        end
    end
    set -l cur (commandline -ct)
    set -l prefix ''
    set -l what
    if test -n "$pending"
        set what (__telcli_value "$path $pending")
    else if string match -q -- '--*=*' $cur
        set prefix (string replace -r '=.*' '=' -- $cur)
        set what (__telcli_value "$path "(string replace -r '=.*' '' -- $cur)); or set what @any
    else if string match -q -- '-*' $cur
        set what (__telcli_opts "$path")
    else
        set what (__telcli_subs "$path"); or set what (__telcli_arg "$path $npos")
        or set what (__telcli_opts "$path")
    end
    switch "$what"
        case @file
            __fish_complete_path (string replace -r '^[^=]*=' '' -- $cur)
        case @any
        case '@*'
            set -l dir
            set -l state ~/.local/state
            set -q XDG_STATE_HOME; and set state $XDG_STATE_HOME
            if set -q TELCLI_HOME; and test -n "$TELCLI_HOME"
                set dir $TELCLI_HOME
            else if test -d $state/telcli
                set dir $state/telcli
            else
                set dir ~/Library/Application\ Support/telcli
            end
            set -l kind (string sub -s 2 -- $what)
            set dir $dir/completion
            test $sandbox = 1; and test $kind != profiles; and set dir $dir/sandbox
            set -l file $dir/$kind
            test -r $file; or return
            while read -l line
                echo $prefix(string split -m 1 \t -- $line)[1]
            end < $file
        case '*'
            for w in (string split ' ' -- $what)
                echo $prefix$w
            end
    end
end
complete -c telcli -f -a '(__telcli_complete)'""",
            "",
        ]
    )


SCRIPTS = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}


def script(shell: str) -> str:
    from typer.main import get_command

    from telcli.cli.app import app

    return SCRIPTS[shell](command_tree(get_command(app)))
