"""The connector as a Pathway table: inlet.pathway.read over the PostgresCdc
subject, under pw.run, against the real server (after `pip install .`)."""

import pytest

# Pathway is not among the wheels' test requirements.
pw = pytest.importorskip("pathway")

import inlet  # noqa: E402
import inlet.pathway  # noqa: E402
from inlet_postgres_cdc import PostgresCdc  # noqa: E402
from pg_server import lsn  # noqa: E402

# Each test here needs a server the tests start, or the program built beside them.
pytestmark = pytest.mark.server


@pytest.fixture
def graph():
    pw.internals.parse_graph.G.clear()
    yield
    pw.internals.parse_graph.G.clear()


def test_changes_become_pathway_rows_under_pw_run(db, graph):
    db.sql("""
        CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10, 2), note text);
        INSERT INTO orders VALUES (1, 9.99, 'première'), (2, 100, NULL);
        UPDATE orders SET amount = 12.50 WHERE id = 1;
        DELETE FROM orders WHERE id = 2;
    """)
    table = inlet.pathway.read(PostgresCdc(db.conninfo, "pub", slot=db.slot,
                                           end_lsn=db.end_lsn()))
    rows = []

    def on_change(key, row, time, is_addition):
        assert is_addition, row
        rows.append({name: value.value if isinstance(value, pw.Json) else value
                     for name, value in row.items()})

    pw.io.subscribe(table, on_change=on_change)
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    rows.sort(key=lambda row: (lsn(row["commit_lsn"]), row["key"]["id"]))
    assert [(r["op"], r["key"], r["new"], r["old"]) for r in rows] == [
        ("insert", {"id": 1}, {"id": 1, "amount": "9.99", "note": "première"}, None),
        ("insert", {"id": 2}, {"id": 2, "amount": "100.00", "note": None}, None),
        ("update", {"id": 1}, {"id": 1, "amount": "12.50", "note": "première"}, None),
        ("delete", {"id": 2}, None, {"id": 2}),
    ]
    assert {r["table"] for r in rows} == {"public.orders"}


def test_a_connection_failure_raises_connector_error_from_pw_run(db, graph):
    conninfo = db.conninfo.replace("password=secret", "password=wrong")
    table = inlet.pathway.read(PostgresCdc(conninfo, "pub", slot=db.slot))
    pw.io.subscribe(table, on_change=lambda **_: None)
    with pytest.raises(inlet.ConnectorError, match="password authentication failed"):
        pw.run(monitoring_level=pw.MonitoringLevel.NONE)
