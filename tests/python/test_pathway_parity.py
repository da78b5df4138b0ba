"""inlet.pathway side by side with Pathway's own Python ConnectorSubject
(pathway 0.33): session types (same pushes, same final table), commits
larger than the backlog arriving whole, an unfinished commit dropped on
failure, no leaked native objects after a failed run, and the check of
Pathway's version."""

import os
import subprocess
import sys
import textwrap
import warnings

import pytest


def inlet_read(*args, **kwargs):
    import inlet.pathway

    return inlet.pathway.read(*args, **kwargs)


def python_subject(pw, rows, commit_every, session_type):
    """Pathway's own subject pushing `rows` (dicts), a commit after every
    `commit_every`-th (0: only at the end)."""

    class Rows(pw.io.python.ConnectorSubject):
        def __init__(self):
            super().__init__(session_type=session_type)

        def run(self):
            for number, row in enumerate(rows, 1):
                self.next(**row)
                if commit_every and number % commit_every == 0:
                    self.commit()

    return Rows()


def final_table(pw, table):
    """The rows of `table` once pw.run has ended, as sorted tuples."""
    frame = pw.debug.table_to_pandas(table, include_id=False)
    return sorted(frame.itertuples(index=False, name=None))


UPDATES = [{"key": 1, "value": "one"}, {"key": 2, "value": "two"},
           {"key": 1, "value": "uno"}, {"key": 3, "value": "three"},
           {"key": 2, "value": "dos"}, {"key": 2, "value": "deux"}]


def keyed_schema(pw):
    class Keyed(pw.Schema):
        key: int = pw.column_definition(primary_key=True)
        value: str

    return Keyed


@pytest.mark.parametrize("commit_every", [1, 2, 0])
def test_upsert_gives_the_table_pathways_own_upsert_subject_gives(connector, pw, commit_every):
    import json

    schema = keyed_schema(pw)
    theirs = final_table(pw, pw.io.python.read(
        python_subject(pw, UPDATES, commit_every, "upsert"), schema=schema))
    pw.internals.parse_graph.G.clear()
    ours = final_table(pw, inlet_read(
        connector.Values([json.dumps(row) for row in UPDATES], commit_every=commit_every),
        schema=schema, session_type="upsert"))
    assert ours == theirs == [(1, "uno"), (2, "deux"), (3, "three")]


def test_native_fails_on_a_repeated_key_as_pathways_own_native_subject_does(connector, pw):
    import json

    schema = keyed_schema(pw)
    with pytest.raises(KeyError, match="duplicated entries for key") as theirs:
        final_table(pw, pw.io.python.read(python_subject(pw, UPDATES[:3], 1, "native"),
                                          schema=schema))
    pw.internals.parse_graph.G.clear()
    with pytest.raises(KeyError, match="duplicated entries for key") as ours:
        final_table(pw, inlet_read(connector.Values([json.dumps(row) for row in UPDATES[:3]],
                                                    commit_every=1), schema=schema))
    assert type(ours.value) is type(theirs.value)


def test_upsert_needs_a_primary_key_as_in_pathway(connector, pw):
    with pytest.raises(ValueError, match="session_type='upsert' requires a schema with at least "
                                         "one primary_key column"):
        inlet_read(connector.Lines(3), session_type="upsert")
    with pytest.raises(ValueError, match="session_type must be 'native' or 'upsert', got 'x'"):
        inlet_read(connector.Lines(3), session_type="x")


def rows_by_time(pw, table):
    """pw.run's changes of `table` grouped by Pathway time: {time: rows}."""
    by_time = {}

    def on_change(key, row, time, is_addition):
        assert is_addition, row
        by_time.setdefault(time, []).append(row["data"])

    pw.io.subscribe(table, on_change=on_change)
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    return by_time


def test_commits_larger_than_the_backlog_each_arrive_whole(connector, pw):
    """Two commits of 70,000 rows through the default backlog of 65,536:
    two Pathway times of 70,000 rows each, as from Pathway's own subject."""
    lines = [f"line {i} \u00e9" for i in range(1, 140_001)]
    theirs = rows_by_time(pw, pw.io.python.read(
        python_subject(pw, [{"data": line} for line in lines], 70_000, "native"),
        schema=pw.schema_from_types(data=str), autocommit_duration_ms=None))
    pw.internals.parse_graph.G.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # No commit is cut.
        ours = rows_by_time(pw, inlet_read(connector.Lines(140_000, commit_every=70_000)))
    for by_time in (ours, theirs):
        assert [len(rows) for _, rows in sorted(by_time.items())] == [70_000, 70_000]
        assert [row for _, rows in sorted(by_time.items()) for row in sorted(
            rows, key=lambda line: int(line.split()[1]))] == lines


def test_a_commit_larger_than_max_commit_size_arrives_in_parts_with_a_warning(connector, pw):
    with pytest.warns(RuntimeWarning, match='^subject "lines": a commit was larger than '
                                            "max_commit_size and reaches Pathway in parts$"):
        by_time = rows_by_time(pw, inlet_read(connector.Lines(2500, commit_every=2500),
                                              max_backlog_size=64, max_commit_size=1000))
    sizes = [len(rows) for _, rows in sorted(by_time.items())]
    assert sum(sizes) == 2500 and max(sizes) <= 1000 + 64 and len(sizes) >= 3, sizes


def test_the_rows_of_a_commit_a_failure_left_unfinished_never_reach_pathway(connector, pw):
    import inlet

    changes = []
    pw.io.subscribe(inlet_read(connector.Rows(95, commit_every=50, fail_in="Run"),
                               max_backlog_size=16, autocommit_duration_ms=60_000),
                    on_change=lambda key, row, time, is_addition: changes.append(row["order_id"]))
    with pytest.raises(inlet.ConnectorError, match='^subject "orders": Run: connection reset$'):
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    # Rows 51-95 went through the backlog of 16 in parts, but their commit never ended.
    assert sorted(changes) == list(range(1, 51))


FAILING_RUN = textwrap.dedent("""\
    import sys
    import pathway as pw
    import inlet
    import inlet.pathway
    import inlet_test_connector

    # A global: it lives as long as the module's globals do.
    subject = inlet_test_connector.Rows(30, commit_every=10, fail_in="Run")
    pw.io.subscribe(inlet.pathway.read(subject),
                    on_change=lambda key, row, time, is_addition: None)
    if sys.argv[1] == "caught":
        try:
            pw.run(monitoring_level=pw.MonitoringLevel.NONE)
        except inlet.ConnectorError as error:
            print("pw.run raised", error)
    else:
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    """)


@pytest.mark.parametrize("handling", ["caught", "uncaught"])
def test_a_failed_run_leaks_no_native_object(connector_dir, tmp_path, handling):
    script = tmp_path / "failing.py"
    script.write_text(FAILING_RUN)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(connector_dir), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(script), handling], env=env, capture_output=True,
                          text=True, timeout=120)
    error = 'subject "orders": Run: connection reset'
    if handling == "caught":
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"pw.run raised {error}" in done.stdout
    else:
        assert done.returncode == 1
        assert f"inlet._errors.ConnectorError: {error}" in done.stderr
    assert "leaked" not in done.stderr, done.stderr[-3000:]


def test_an_untested_pathway_version_fails_the_import_with_both_versions(inlet_package,
                                                                        monkeypatch):
    import pathway

    import inlet._pathway_compat as compat

    for version in ["0.40.1", "0.32.1", "1.33.0", "nightly"]:
        monkeypatch.setattr(pathway, "__version__", version)
        with pytest.raises(ImportError) as caught:
            compat.check_version(pathway.__version__)
        assert str(caught.value).startswith(
            f"inlet.pathway supports pathway 0.33.x; found {version}: ")
        assert "inlet._pathway_compat" in str(caught.value)
    for version in ["0.33.0", "0.33.7", "0.33.1rc1"]:
        compat.check_version(version)

    done = subprocess.run([sys.executable, "-c", textwrap.dedent("""\
        import pathway
        pathway.__version__ = "0.40.1"
        import inlet.pathway
        """)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert ("ImportError: inlet.pathway supports pathway 0.33.x; found 0.40.1: "
            in done.stderr), done.stderr[-3000:]
