"""inlet.pathway under the real Pathway runtime (pathway 0.33): C++ subjects
read with pw.run completing and the table equal to what they pushed, commits
never split, the schema derived from C++, and failures of a subject raised
from pw.run as inlet.ConnectorError naming the subject, the method and the
message, after the rows committed before them."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest


def connector_error():
    import inlet

    return inlet.ConnectorError


def read(*args, **kwargs):
    import inlet.pathway

    return inlet.pathway.read(*args, **kwargs)


def subscribe(pw, table):
    """The list `pw.run` will fill with (row, time) of every change, with
    Json values unwrapped. Every change must be an insertion."""
    changes = []

    def on_change(key, row, time, is_addition):
        assert is_addition, row
        changes.append(({name: value.value if isinstance(value, pw.Json) else value
                         for name, value in row.items()}, time))

    pw.io.subscribe(table, on_change=on_change)
    return changes


def run(pw, table, key="order_id"):
    """Runs the pipeline to its end; returns the rows of `table` sorted by
    column `key`, and the Pathway times they arrived at."""
    changes = subscribe(pw, table)
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    return sorted_rows(changes, key), [time for _, time in changes]


def sorted_rows(changes, key="order_id"):
    return sorted((row for row, _ in changes), key=lambda row: row[key])


def expected_row(i):
    """Row `i` of the test connector's `Rows` subject."""
    return {"order_id": i, "name": f"row-{i} \u00e9", "score": 0.5 if i % 5 == 0 else i / 4,
            "flag": i % 2 == 0, "blob": bytes([i % 256, 0xff]),
            "doc": {"i": i, "tags": ["a", i, None]}}


def test_the_schema_is_derived_from_the_cpp_fields(connector, pw):
    import inlet.pathway

    schema = inlet.pathway.schema_of(connector.Rows(1))
    assert schema.typehints() == {"order_id": int, "name": str, "score": float, "flag": bool,
                                  "blob": bytes, "doc": pw.Json}
    assert schema.column_names() == ["order_id", "name", "score", "flag", "blob", "doc"]
    assert schema.primary_key_columns() == ["order_id"]
    assert schema.default_values() == {"score": 0.5}
    assert read(connector.Rows(1)).schema.typehints() == schema.typehints()


def test_without_a_cpp_schema_the_table_has_one_data_column(connector, pw):
    import inlet.pathway

    assert inlet.pathway.schema_of(connector.Lines(1)).typehints() == {"data": str}
    assert inlet.pathway.schema_of(connector.Values([])).typehints() == {"data": pw.Json}


def test_pw_run_completes_with_every_row_of_every_type_exactly(connector, pw):
    rows, _ = run(pw, read(connector.Rows(2000, commit_every=100), autocommit_duration_ms=60_000))
    assert rows == [expected_row(i) for i in range(1, 2001)]


def test_each_cpp_commit_arrives_whole_in_one_pathway_commit(connector, pw):
    changes = subscribe(pw, read(connector.Rows(2000, commit_every=7),
                                 autocommit_duration_ms=60_000))
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    by_time = {}
    for row, time in changes:
        by_time.setdefault(time, []).append(row["order_id"])
    assert sum(map(len, by_time.values())) == 2000
    for ids in by_time.values():
        # A union of whole commits: 7k+1 .. 7m, or up to 2000, where Run
        # returned and committed the rest.
        ids.sort()
        assert ids == list(range(ids[0], ids[-1] + 1))
        assert ids[0] % 7 == 1 and (ids[-1] % 7 == 0 or ids[-1] == 2000), (ids[0], ids[-1])


def test_autocommit_delivers_messages_the_subject_never_commits(connector, pw):
    rows, times = run(pw, read(connector.Ticks(60, interval_ms=5, commit_every=0),
                               autocommit_duration_ms=20), key="n")
    assert rows == [{"n": n} for n in range(60)]
    # One commit at the end of Run would give one time; autocommit gives many.
    assert len(set(times)) >= 3


def test_raw_lines_become_str_rows(connector, pw):
    rows, _ = run(pw, read(connector.Lines(500, commit_every=50)), key="data")
    assert [row["data"] for row in rows] == sorted(f"line {i} \u00e9" for i in range(1, 501))


def test_json_values_without_a_schema_become_json_rows(connector, pw):
    texts = ['{"a": [1, 2.5, null]}', "[true, false]", '"text \\u00e9"', "-7", "null", "{}"]
    changes = subscribe(pw, read(connector.Values(texts)))
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    assert sorted(json.dumps(row["data"]) for row, _ in changes) == sorted(
        json.dumps(json.loads(text)) for text in texts)


def test_an_explicit_schema_replaces_the_derived_one(connector, pw):
    class Named(pw.Schema):
        order_id: int = pw.column_definition(primary_key=True)
        name: str

    rows, _ = run(pw, read(connector.Rows(50, commit_every=10), schema=Named))
    assert rows == [{"order_id": i, "name": f"row-{i} \u00e9"} for i in range(1, 51)]

    pw.internals.parse_graph.G.clear()

    class Point(pw.Schema):
        x: int
        y: int = pw.column_definition(default_value=0)

    rows, _ = run(pw, read(connector.Values(['{"x": 1, "y": 2}', '{"x": 3}']), schema=Point),
                  key="x")
    assert rows == [{"x": 1, "y": 2}, {"x": 3, "y": 0}]


def test_with_an_explicit_schema_a_json_message_must_be_an_object(connector, pw):
    class Point(pw.Schema):
        x: int

    changes = subscribe(pw, read(connector.Values(['{"x": 1}', "5"]), schema=Point))
    with pytest.raises(ValueError,
                       match='^subject "values": message 2: a row needs a JSON object, got int$'):
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    assert changes == []  # Message 1 was in the failed message's commit.


def test_a_small_backlog_still_delivers_every_row_once(connector, pw):
    rows, _ = run(pw, read(connector.Rows(3000, commit_every=1000), max_backlog_size=16))
    assert [row["order_id"] for row in rows] == list(range(1, 3001))


@pytest.mark.parametrize("method, what, delivered", [
    ("Run", "connection reset", 90),  # Run pushed 95; the last 5 were never committed.
    ("OnStop", "disconnect failed", 95),  # Run returned, which committed all 95.
])
def test_an_exception_in_cpp_raises_connector_error_from_pw_run_after_the_committed_rows(
        connector, pw, method, what, delivered):
    changes = subscribe(pw, read(connector.Rows(95, commit_every=10, fail_in=method),
                                 autocommit_duration_ms=60_000))
    with pytest.raises(connector_error()) as caught:
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    error = caught.value
    assert isinstance(error, RuntimeError)
    assert str(error) == f'subject "orders": {method}: {what}'
    assert (error.step, error.partition, error.method, error.message, error.code) == (
        None, "orders", method, what, "UNKNOWN")
    assert sorted_rows(changes) == [expected_row(i) for i in range(1, delivered + 1)]


def test_a_message_that_violates_the_schema_names_its_number_and_field(connector, pw):
    changes = subscribe(pw, read(connector.Rows(40, commit_every=5, bad_at=17)))
    with pytest.raises(connector_error()) as caught:
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    error = caught.value
    assert str(error) == 'subject "orders": message 17: field "order_id": expected int, got string "x"'
    assert (error.partition, error.method, error.code) == ("orders", "Next", "INVALID_ARGUMENT")
    assert error.message == 'message 17: field "order_id": expected int, got string "x"'
    # Messages 1-15 were committed, and 16 is committed before the bad one fails the run.
    assert sorted_rows(changes) == [expected_row(i) for i in range(1, 17)]


def test_name_names_the_subject_in_errors(connector, pw):
    subscribe(pw, read(connector.Rows(3, fail_in="Run"), name="orders-eu"))
    with pytest.raises(connector_error(), match='^subject "orders-eu": Run: connection reset$'):
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)


def test_the_subject_is_joined_before_pw_run_returns(connector, pw, tmp_path):
    stop_file = tmp_path / "stopped"
    rows, _ = run(pw, read(connector.Ticks(5, stop_file=str(stop_file))), key="n")
    assert rows == [{"n": n} for n in range(5)]
    assert stop_file.read_text() == "ended\n"


def test_a_subject_runs_once(connector, pw):
    subject = connector.Rows(3)
    read(subject)
    with pytest.raises(ValueError, match='subject "orders" was opened before: a subject runs once'):
        read(subject)


def test_read_refuses_what_is_not_an_exported_subject(connector, pw):
    with pytest.raises(TypeError, match="Counters is not a subject exported with"):
        read(connector.Counters(["a"], 1))
    with pytest.raises(ValueError, match="max_backlog_size must be at least 1"):
        read(connector.Rows(1), max_backlog_size=0)


STOPPED_AT_EXIT = textwrap.dedent("""\
    import sys
    import pathway as pw
    import inlet.pathway
    import inlet_test_connector

    ticks = inlet.pathway.read(inlet_test_connector.Ticks(0, interval_ms=1, stop_file=sys.argv[1]))

    def check(n):
        if n == 20:
            raise ValueError("twenty")
        return n

    pw.io.subscribe(ticks.select(n=pw.apply(check, ticks.n)), on_change=lambda key, row, time, is_addition: None)
    try:
        pw.run(monitoring_level=pw.MonitoringLevel.NONE, terminate_on_error=True)
    except ValueError as error:
        print("pw.run raised", error)
    """)


def test_a_subject_left_running_by_a_failed_pw_run_is_stopped_when_python_exits(
        connector_dir, tmp_path):
    # Pathway leaves a subject running when the pipeline fails elsewhere; the
    # process must still exit, with the C++ subject stopped and joined.
    script = tmp_path / "pipeline.py"
    script.write_text(STOPPED_AT_EXIT)
    stop_file = tmp_path / "stopped"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(connector_dir), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(script), str(stop_file)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pw.run raised twenty" in done.stdout
    assert stop_file.read_text() == "stop requested\n"


def test_importing_inlet_does_not_import_pathway(inlet_package):
    done = subprocess.run([sys.executable, "-c", textwrap.dedent("""\
        import sys
        import inlet
        assert "pathway" not in sys.modules, "import inlet imported pathway"
        """)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
