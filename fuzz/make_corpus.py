#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/: valid inputs and the
edge cases each target's header comment describes. Run it again after
changing an input layout; the files are committed.

The inputs fuzzing found, `crash-*` and `found-*`, are kept. Recovery
stores are written with Python's sqlite3 in inlet's schema version 1 (the
tables of sdk/src/recovery_store.cc, application_id "inlt", user_version 1),
small pages so the files stay small.
"""

import os
import sqlite3
import struct
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def write(target: str, name: str, data: bytes) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def utf8() -> None:
    seeds = {
        "empty": b"",
        "ascii": b"hello, world",
        "ascii-16": b"0123456789abcdef",
        "two-byte": "caf\u00e9 na\u00efve".encode(),
        "three-byte": "\u20ac \u4e2d\u6587 \uffff".encode(),
        "four-byte": "\U0001f600 \U0010ffff".encode(),
        "bom": b"\xef\xbb\xbftext",
        "overlong-2": b"ab\xc0\x80cd",
        "overlong-c1": b"\xc1\xbf",
        "overlong-3": b"\xe0\x80\xaf",
        "overlong-4": b"\xf0\x80\x80\xaf",
        "surrogate-high": b"x\xed\xa0\x80y",
        "surrogate-low": b"\xed\xbf\xbf",
        "above-10ffff": b"\xf4\x90\x80\x80",
        "f5-lead": b"\xf5\x80\x80\x80",
        "ff-byte": b"ok\xff",
        "lone-continuation": b"abc\x80def",
        "truncated-2-at-end": b"abcdefgh\xc3",
        "truncated-3-at-end": b"abcdefg\xe2\x82",
        "truncated-4-at-end": b"abcdef\xf0\x9f\x98",
        "bad-second-of-3": b"\xe2\x28\xa1",
        "bad-third-of-4": b"\xf0\x9f\x28\x80",
        "error-after-8": b"01234567\x80",
        "error-after-24": b"0123456789abcdef01234567\xc3\x28",
        "ascii-then-emoji": b"0123456789" + "\U0001f600".encode() * 3,
        "max-3-byte": "\ud7ff\ue000".encode("utf-8", "surrogatepass"),
        "nul": b"a\x00b",
    }
    for name, data in seeds.items():
        write("utf8", name, data)


def line_splitter() -> None:
    # Byte 0: the limit (255: none, else % 32); byte 1: the chunk-size seed.
    seeds = {
        "lines": (255, 1, b"one\ntwo\nthree\n"),
        "crlf": (255, 2, b"one\r\ntwo\r\n"),
        "cr-alone": (255, 3, b"a\rb\r\rc\n\r"),
        "empty-lines": (255, 4, b"\n\n\r\n\n"),
        "unterminated": (255, 5, b"first\nlast"),
        "unterminated-cr": (255, 6, b"first\nlast\r"),
        "at-limit": (8, 7, b"12345678\n123456789\n"),
        "limit-and-cr": (8, 8, b"12345678\r\n12345678\r\r\n"),
        "over-limit-across-chunks": (4, 9, b"short\nabcdefghijklmnopqrstuvwxyz\nok\n"),
        "over-limit-unterminated": (4, 10, b"ok\nabcdefgh"),
        "limit-plus-one-unterminated": (4, 11, b"abcde"),
        "limit-zero": (0, 12, b"\nx\n\r\n\n"),
        "only-newlines": (3, 13, b"\n" * 20),
        "binary": (16, 14, bytes(range(256))),
        "long-lines": (31, 15, (b"x" * 40 + b"\n" + b"y" * 31 + b"\r\n") * 3),
    }
    for name, (limit, seed, stream) in seeds.items():
        write("line_splitter", name, bytes([limit, seed]) + stream)


FORMATS = {"json": 0, "raw": 1, "bytes": 2}
TYPES = {"bool": 0, "int": 1, "float": 2, "string": 3, "bytes": 4, "json": 5}


def decoder_input(fmt, fields, payload, cbor=False):
    """fields: (type, name, default JSON text or None, primary key)."""
    out = bytearray([FORMATS[fmt] | (4 if cbor else 0), len(fields)])
    for type_name, name, default, key in fields:
        kind = TYPES[type_name] | (0x10 if key else 0) | (0x20 if default is not None else 0)
        encoded = name.encode()
        out += bytes([kind, len(encoded)]) + encoded
        if default is not None:
            out += bytes([len(default)]) + default.encode()
    return bytes(out) + payload


def cbor(value) -> bytes:
    """The few CBOR shapes the seeds use: maps, arrays, text, bytes, ints."""

    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + struct.pack(">H", n)

    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, bool):
        return bytes([0xF5 if value else 0xF4])
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if value is None:
        return b"\xf6"
    raise TypeError(value)


def message_decoder() -> None:
    all_types = [
        ("bool", "b", None, False),
        ("int", "i", None, True),
        ("float", "f", "0.5", False),
        ("string", "s", '"-"', False),
        ("bytes", "y", None, False),
    ]
    seeds = {
        "json-no-schema": decoder_input("json", [], b'{"a": [1, 2.5, "x", null, true]}'),
        "json-scalar": decoder_input("json", [], b"42"),
        "json-not-json": decoder_input("json", [], b"{\"a\": }"),
        "json-not-utf8": decoder_input("json", [], b'"caf\xc3"'),
        "json-deep": decoder_input("json", [], b"[" * 40 + b"]" * 40),
        "raw-text": decoder_input("raw", [], "h\u00e9llo".encode()),
        "raw-invalid": decoder_input("raw", [], b"abc\xff"),
        "bytes-binary": decoder_input("bytes", [], bytes(range(0, 256, 7))),
        "raw-with-schema": decoder_input("raw", [("int", "id", None, False)], b"1"),
        "all-types": decoder_input(
            "json", all_types, b'{"b": true, "i": 7, "f": 1, "s": "x", "y": "bytes"}'
        ),
        "defaults-used": decoder_input("json", all_types, b'{"b": false, "i": -3, "y": ""}'),
        "null-for-default": decoder_input("json", all_types, b'{"b": true, "i": 1, "f": null, "y": "z"}'),
        "missing-required": decoder_input("json", all_types, b'{"i": 1}'),
        "int-from-float": decoder_input("json", [("int", "n", None, False)], b'{"n": 3.0}'),
        "int-fraction": decoder_input("json", [("int", "n", None, False)], b'{"n": 3.5}'),
        "int-too-big": decoder_input("json", [("int", "n", None, False)], b'{"n": 9223372036854775808}'),
        "int-min-float": decoder_input(
            "json", [("int", "n", None, False)], b'{"n": -9223372036854775808.0}'
        ),
        "int-max": decoder_input("json", [("int", "n", None, False)], b'{"n": 9223372036854775807}'),
        "float-huge": decoder_input("json", [("float", "x", None, False)], b'{"x": 1e308}'),
        "string-long-non-ascii": decoder_input(
            "json", [("int", "n", None, False)], ('{"n": "' + "\u00e9" * 30 + '"}').encode()
        ),
        "long-array-got": decoder_input(
            "json", [("string", "s", None, False)], ('{"s": [' + ",".join(["\"\u20ac\""] * 20) + "]}").encode()
        ),
        "json-null-accepted": decoder_input("json", [("json", "j", None, False)], b'{"j": null}'),
        "not-an-object": decoder_input("json", [("json", "j", None, False)], b"[1]"),
        "two-key-fields": decoder_input(
            "json",
            [("string", "a", None, True), ("int", "b", None, True)],
            b'{"a": "x", "b": 2, "extra": 1}',
        ),
        "one-int-key": decoder_input("json", [("int", "id", None, True)], b'{"id": 12}'),
        "key-from-default": decoder_input("json", [("string", "k", '"d"', True)], b"{}"),
        "duplicate-name": decoder_input(
            "json", [("int", "a", None, False), ("bool", "a", None, False)], b"{}"
        ),
        "empty-name": decoder_input("json", [("int", "", None, False)], b"{}"),
        "bad-default": decoder_input("json", [("int", "a", '"x"', False)], b"{}"),
        "null-default-bool": decoder_input("json", [("bool", "a", "null", False)], b"{}"),
        "non-ascii-name": decoder_input("json", [("string", "\u540d", None, True)], '{"\u540d": "v"}'.encode()),
        "cbor-binary": decoder_input(
            "json", [("bytes", "y", None, True), ("int", "n", None, False)],
            cbor({"y": b"\x00\xff", "n": 5}), cbor=True,
        ),
        "cbor-no-schema": decoder_input("json", [], cbor({"a": [1, "x"], "b": None}), cbor=True),
        "cbor-wrong-type": decoder_input("json", [("bool", "b", None, False)], cbor({"b": 1}), cbor=True),
    }
    for name, data in seeds.items():
        write("message_decoder", name, data)


def json_lines() -> None:
    # Byte 0: the batch size (1 + % 8).
    seeds = {
        "objects": (0, b'{"a": 1}\n{"b": [true, null]}\n'),
        "batches-of-two": (1, b"1\n2\n3\n4\n5\n"),
        "unterminated-last": (2, b'{"a": 1}\n"last"'),
        "crlf": (3, b'{"a": 1}\r\n[2]\r\n'),
        "empty-file": (0, b""),
        "empty-line": (4, b"1\n\n2\n"),
        "bad-line-third": (0, b'1\n2\n{"a":\n4\n'),
        "bad-first": (7, b"nope\n1\n"),
        "only-newline": (0, b"\n"),
        "unicode": (5, '{"k": "\u00e9\u20ac\U0001f600", "\u540d": 1}\n'.encode()),
        "escapes": (6, b'"\\u00e9\\n\\t\\"\\\\"\n"\\ud83d\\ude00"\n'),
        "lone-surrogate": (0, b'"\\ud800"\n'),
        "not-utf8": (1, b'"\xc3\x28"\n'),
        "numbers": (2, b"0\n-0\n1e308\n-1.5e-300\n18446744073709551615\n18446744073709551616\n"),
        "deep": (3, b"[" * 100 + b"]" * 100 + b"\n"),
        "trailing-garbage": (4, b"{} {}\n"),
        "long-batch": (7, b"\n".join(b'{"n": %d}' % i for i in range(30)) + b"\n"),
    }
    for name, (batch, data) in seeds.items():
        write("json_lines", name, bytes([batch]) + data)


def tcp_lines() -> None:
    # Byte 0: the chunk-size seed; the subject's limit is 24 bytes.
    seeds = {
        "lines": (1, b"one\ntwo\nthree\n"),
        "crlf": (2, b"one\r\ntwo\r\n"),
        "unterminated": (3, b"first\nlast"),
        "unterminated-cr": (4, b"first\nlast\r"),
        "at-limit": (5, b"x" * 24 + b"\n" + b"y" * 24 + b"\r\n"),
        "over-limit": (6, b"x" * 25 + b"\nok\n" + b"z" * 100 + b"\n"),
        "over-limit-unterminated": (7, b"ok\n" + b"w" * 30),
        "empty-lines": (8, b"\n\n\r\n"),
        "binary": (9, bytes(range(256))),
        "many-short": (10, b"a\n" * 200),
        "empty": (11, b""),
    }
    for name, (seed, stream) in seeds.items():
        write("tcp_lines", name, bytes([seed]) + stream)


SCHEMA = """
CREATE TABLE epochs (
  step_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  worker_count INTEGER NOT NULL,
  sink_marker TEXT,
  committed_at TEXT NOT NULL,
  PRIMARY KEY (step_id, epoch)
) WITHOUT ROWID;
CREATE TABLE states (
  step_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  partition TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (step_id, epoch, partition)
) WITHOUT ROWID;
"""


def sqlite_file(setup, page_size=512, wal=True) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "store.db")
        db = sqlite3.connect(path, isolation_level=None)
        db.execute(f"PRAGMA page_size = {page_size}")
        if wal:
            db.execute("PRAGMA journal_mode = WAL")
        setup(db)
        db.close()  # Checkpoints the WAL into the file and removes it.
        return Path(path).read_bytes()


def store(epochs=(), application_id=0x696E6C74, user_version=1, tables=SCHEMA, **kwargs):
    def setup(db):
        db.executescript(tables)
        db.execute(f"PRAGMA application_id = {application_id}")
        db.execute(f"PRAGMA user_version = {user_version}")
        for step, epoch, workers, marker, states in epochs:
            db.execute(
                "INSERT INTO epochs VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                (step, epoch, workers, marker),
            )
            for partition, state in states.items():
                db.execute("INSERT INTO states VALUES (?, ?, ?, ?)", (step, epoch, partition, state))

    return sqlite_file(setup, **kwargs)


def recovery_store() -> None:
    one = [("fuzz", 1, 2, '{"file": 3}', {"part-0": "17", "part-1": '{"offset": 4}'})]
    several = [
        (step, epoch, 1, None if epoch % 2 else f"[{epoch}]", {f"p{i}": str(epoch * 10 + i) for i in range(3)})
        for step in ("fuzz", "other")
        for epoch in (4, 5, 6)
    ]
    valid = store(one)
    seeds = {
        "empty": b"",
        "fresh-store": store(),
        "one-epoch": valid,
        "several-steps": store(several),
        "rollback-journal": store(one, wal=False),
        "page-4096": store(one, page_size=4096),
        "state-not-json": store([("fuzz", 1, 1, None, {"p": "{not json"})]),
        "marker-not-json": store([("fuzz", 2, 1, "[1,", {"p": "1"})]),
        "epoch-at-max": store([("fuzz", 2**63 - 1, 1, None, {"p": "1"})]),
        "negative-epoch": store([("fuzz", -5, 1, None, {"p": "1"})]),
        "newer-version": store(one, user_version=2),
        "version-zero": store(one, user_version=0),
        "other-application": store(application_id=0x12345678, tables="CREATE TABLE notes (text TEXT);"),
        "inlet-without-tables": store(tables=""),
        "wrong-columns": store(tables="CREATE TABLE epochs (x); CREATE TABLE states (y);"),
        "other-program": sqlite_file(
            lambda db: db.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                                        "INSERT INTO notes (text) VALUES ('hello');")
        ),
        "header-only": valid[:100],
        "first-page": valid[:512],
        "truncated": valid[: len(valid) // 2 + 7],
        "page-2-flipped": valid[:600] + bytes([valid[600] ^ 0xFF]) + valid[601:],
        "header-magic-only": b"SQLite format 3\x00",
        "text": b"epoch 1: part-0=17\n",
        "zeros": bytes(1024),
    }
    for name, data in seeds.items():
        write("recovery_store", name, data)


def main() -> None:
    # Written afresh, except the inputs fuzzing found (crash-*, found-*).
    for seed in CORPUS.glob("*/*"):
        if not seed.name.startswith(("crash-", "found-")):
            seed.unlink()
    utf8()
    line_splitter()
    message_decoder()
    json_lines()
    tcp_lines()
    recovery_store()
    for directory in sorted(CORPUS.iterdir()):
        files = list(directory.iterdir())
        print(f"{directory.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
