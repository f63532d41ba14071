"""Output encoders that match the helm CLI byte for byte where it matters to callers.

- JSON: Go's json.Encoder — compact, `<`, `>`, `&` escaped as \\u003c..., newline-terminated, UTF-8 kept as is.
- YAML: sigs.k8s.io/yaml — keys sorted, block style, list items not indented under their key.
- Tables: gosuri/uitable as helm uses it — cells padded to the column width, columns joined by a tab.
- Times: Go's time.Time.String() (helm list "updated") and time.ANSIC ("LAST DEPLOYED").
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import yaml


def go_json(obj: object) -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str):
    # Multi-line strings (manifests, notes) as literal blocks, like go-yaml does.
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def go_yaml(obj: object) -> str:
    if obj is None:
        return "null\n"
    if obj == {}:
        return "{}\n"
    if obj == []:
        return "[]\n"
    return yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=1 << 30)


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


class GoTime:
    """An RFC3339(Nano) timestamp as Go parsed it, keeping nanoseconds and the zone for re-formatting."""

    def __init__(self, text: str):
        m = _RFC3339.match(text or "")
        if not m:
            raise ValueError(f"not an RFC3339 time: {text!r}")
        self.text = text
        self.nanos = int((m.group(3) or "0").ljust(9, "0")[:9])
        zone = m.group(4)
        if zone == "Z":
            offset = timedelta(0)
        else:
            sign = -1 if zone[0] == "-" else 1
            offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        self.zone_is_utc = zone == "Z"
        self.dt = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}").replace(tzinfo=timezone(offset))

    @property
    def is_zero(self) -> bool:
        return self.dt.year == 1

    def _offset(self) -> str:
        off = self.dt.utcoffset() or timedelta(0)
        minutes = int(off.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"

    def go_string(self) -> str:
        """time.Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST` (fraction trimmed of trailing zeros)."""
        frac = f".{self.nanos:09d}".rstrip("0").rstrip(".") if self.nanos else ""
        zone_name = "UTC" if self.zone_is_utc else self._offset()
        return f"{self.dt:%Y-%m-%d %H:%M:%S}{frac} {self._offset()} {zone_name}"

    def ansic(self) -> str:
        """time.ANSIC: `Mon Jan _2 15:04:05 2006`."""
        return f"{self.dt:%a %b} {self.dt.day:>2} {self.dt:%H:%M:%S %Y}"


def go_time_string(text: str | None) -> str:
    if not text:
        return ""
    try:
        return GoTime(text).go_string()
    except ValueError:
        return text


def ansic(text: str | None) -> str:
    if not text:
        return ""
    try:
        return GoTime(text).ansic()
    except ValueError:
        return text


def table(rows: list[list[object]], headers: list[str] | None = None) -> str:
    """uitable rendering: each cell left-aligned and padded to its column width, columns joined by a tab."""
    all_rows = ([headers] if headers else []) + [[str(c) for c in r] for r in rows]
    if not all_rows:
        return ""
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    lines = ["\t".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) for r in all_rows]
    return "\n".join(lines) + "\n"
