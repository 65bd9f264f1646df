"""storage/yamlfile.py: the safe YAML reader behind config.yaml, address files (and plans).
Every hostile document is one ConfigError naming file and line, with libyaml and without."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from telcli.errors import ConfigError
from telcli.storage import yamlfile

HOSTILE = [
    (b"a: !!float abc\n", ":1: a: invalid !!float value 'abc'"),
    (b"a: !!bool maybe\n", ":1: a: invalid !!bool value 'maybe'"),
    (b"a: !!timestamp 2020-13-45\n", ":1: a: invalid !!timestamp value '2020-13-45'"),
    (b"a: !!python/name:os.system ''\n", ":1: a: unsupported tag !!python/name:os.system"),
    (b"a: !!set {x}\n", ":1: a: unsupported tag !!set"),
    (b"? [a, b]\n: 1\n", ":1: the document: a key must be a plain name, not a list"),
    (b"a: " + b"[" * 2000 + b"]" * 2000 + b"\n", ":1: invalid YAML: nested more than 64 levels"),
    ("".join("  " * i + "k:\n" for i in range(2000)).encode(), ":6"),  # line 64 or 65
    (b"a: b\nc: \xff\n", ":2: not valid UTF-8 (byte 0xff at column 4)"),
    (b"a: b\n\nc: \x1b\n", ":3: invalid YAML: control character U+001B is not allowed"),
    (b"a: 1\nb: 2\na: 3\n", ":3: the document: 'a' appears twice (first on line 1)"),
    (b"a: 1\n---\nb: 2\n", ":2: invalid YAML: expected a single document in the stream"),
    (b"a: &x [*x]\n", ":1: a[0][0]"),  # a recursive alias cannot loop
]


@pytest.fixture(params=["libyaml", "python"])
def loader(request, monkeypatch):
    if request.param == "python":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML was built without libyaml")
    return request.param


@pytest.mark.parametrize(("data", "says"), HOSTILE)
def test_hostile_documents_are_one_config_error_at_their_line(tmp_path, loader, data, says):
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as err:
        yamlfile.to_python(path, yamlfile.compose(path), "")
    assert err.value.message.startswith(f"{path}{says}"), err.value.message


def test_alias_expansion_is_bounded(tmp_path, monkeypatch):
    # Nine levels of ten aliases each would expand to a billion nodes ("billion laughs").
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="too large or too deeply nested"):
        yamlfile.to_python(path, yamlfile.compose(path), "")


def test_plain_documents_become_plain_values(tmp_path, loader):
    path = tmp_path / "ok.yaml"
    path.write_text("\ufeffa: [1, 2.5, true, ~, '02134']\nb: {c: 2020-01-02}\n")
    value = yamlfile.to_python(path, yamlfile.compose(path), "")
    assert value["a"] == [1, 2.5, True, None, "02134"]
    assert str(value["b"]["c"]) == "2020-01-02"


def test_size_limit_and_unreadable_files(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" * 300_000)
    with pytest.raises(ConfigError, match=r"big.yaml: larger than 1 MiB"):
        yamlfile.read_text(path, max_bytes=1024 * 1024)
    with pytest.raises(ConfigError, match="cannot read"):
        yamlfile.compose(tmp_path)  # a directory
    assert yamlfile.compose_text(Path("empty.yaml"), "") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("!!float abc", "invalid !!float value 'abc'"),
        ("!custom x", "unsupported tag '!custom'"),
        ("[1]", "must be a single value, not a list"),
    ],
)
def test_construct_raises_value_error_for_collecting_callers(text, reason):
    with pytest.raises(ValueError, match=reason.replace("[", r"\[")):
        yamlfile.construct(yaml.compose(text))
