"""A small cobra/pflag-compatible flag parser.

argparse is not used on purpose: callers (kubernetes.core, our collection, people) write flags the Go way and argparse
reads several of those forms differently: `-f=values.yaml` (pflag strips the `=`, argparse keeps it), boolean flags
with explicit values (`--reuse-values=False`), flags with an optional value (`--wait`, `--wait=watcher`,
`--dry-run=server`), and flags interspersed with positional arguments in any order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class UsageError(Exception):
    """A command-line error; reported as `Error: <message>` with exit code 1, like cobra."""


@dataclass
class Flag:
    name: str
    kind: str = "bool"  # bool | str | list | int | opt (string whose value is optional: --wait / --wait=legacy)
    short: str | None = None
    default: object = None
    no_opt_value: str | None = None  # value of an `opt` flag given without `=value`
    dest: str | None = None  # several spellings (--atomic/--rollback-on-failure) may share one destination

    @property
    def key(self) -> str:
        return (self.dest or self.name).replace("-", "_")


@dataclass
class Parsed:
    args: list[str] = field(default_factory=list)
    # Underscored so that no flag name (e.g. --values) shadows them in attribute access.
    _vals: dict[str, object] = field(default_factory=dict)
    _given: set[str] = field(default_factory=set)  # destinations explicitly set on the command line

    def __getattr__(self, item: str):
        try:
            return self._vals[item]
        except KeyError:
            raise AttributeError(item) from None


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_bool(name: str, text: str) -> bool:
    """strconv.ParseBool, with pflag's error message."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f'invalid argument "{text}" for "--{name}" flag: strconv.ParseBool: parsing "{text}": invalid syntax')


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration (seconds as float): `5m0s`, `30s`, `1h30m`, `300ms`, `0`."""
    raw = text
    sign = 1.0
    if text[:1] in "+-":
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise UsageError(f'time: invalid duration "{raw}"')
    total, pos = 0.0, 0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if not m:
            if re.fullmatch(r"\d+(\.\d*)?", text[pos:]):
                raise UsageError(f'time: missing unit in duration "{raw}"')
            raise UsageError(f'time: invalid duration "{raw}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def format_duration(seconds: float) -> str:
    """Go's Duration.String() for whole seconds (what --timeout defaults print as): 300 -> 5m0s."""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m}m{sec}s"
    if m:
        return f"{m}m{sec}s"
    return f"{sec}s"


def parse(argv: list[str], flags: list[Flag]) -> Parsed:
    """Parse argv against flags. Unknown flags are errors (cobra: `unknown flag: --x`)."""
    by_name = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    out = Parsed()
    for f in flags:
        if f.key not in out._vals:
            out._vals[f.key] = list(f.default or []) if f.kind == "list" else f.default

    def assign(f: Flag, value: str | None, shown: str) -> None:
        out._given.add(f.key)
        if f.kind == "bool":
            out._vals[f.key] = True if value is None else parse_bool(f.name, value)
        elif f.kind == "opt":
            out._vals[f.key] = f.no_opt_value if value is None else value
        elif f.kind == "list":
            out._vals[f.key].append(value)
        elif f.kind == "int":
            try:
                out._vals[f.key] = int(value)
            except ValueError:
                raise UsageError(
                    f'invalid argument "{value}" for "{shown}" flag: strconv.ParseInt: parsing "{value}": invalid syntax'
                ) from None
        else:
            out._vals[f.key] = value

    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            out.args.extend(argv[i:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            f = by_name.get(name)
            if f is None:
                raise UsageError(f"unknown flag: --{name}")
            if not eq:
                value = None
                if f.kind not in ("bool", "opt"):
                    if i >= len(argv):
                        raise UsageError(f"flag needs an argument: --{name}")
                    value = argv[i]
                    i += 1
            assign(f, value, f"--{name}")
        elif arg.startswith("-") and len(arg) > 1 and arg != "-":
            # Shorthand(s): -A, -aA (booleans combined), -n NS, -nNS, -n=NS, -f=values.yaml.
            rest = arg[1:]
            while rest:
                c, rest = rest[0], rest[1:]
                f = by_short.get(c)
                if f is None:
                    raise UsageError(f"unknown shorthand flag: '{c}' in {arg}")
                shown = f"-{c}, --{f.name}"
                if f.kind in ("bool", "opt"):
                    if rest.startswith("="):
                        assign(f, rest[1:], shown)
                        rest = ""
                    else:
                        assign(f, None, shown)
                    continue
                if rest.startswith("="):
                    rest = rest[1:]
                if rest:
                    assign(f, rest, shown)
                elif i < len(argv):
                    assign(f, argv[i], shown)
                    i += 1
                else:
                    raise UsageError(f"flag needs an argument: '{c}' in -{c}")
                rest = ""
        else:
            out.args.append(arg)
    return out
