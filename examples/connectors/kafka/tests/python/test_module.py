"""The compiled module on its own, without an engine, against the real broker:
it runs on every Python version the wheels are built for, including those
Bytewax has no wheel for."""

import pickle
import time

import inlet
import pytest
from conftest import tool

from inlet_kafka import InletKafka as Connector


def _drain(partition) -> list:
    """Every item of `partition`, polled as an engine would, within 30 s."""
    items = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            items += partition.next_batch()
        except StopIteration:
            partition.close()
            return items
        time.sleep(0.001)
    raise AssertionError(f"the partition did not end; read {items!r}")


@pytest.mark.server
def test_every_record_of_a_partition_is_read_in_order(brokers, topic):
    tool("create-topic", brokers, topic, 2)
    tool("produce", brokers, topic, 2, 0, 10)
    connector = Connector(brokers, [topic], stop_at_end=True, format="json")
    assert connector.list_parts() == [f"{topic}/0", f"{topic}/1"]
    records = _drain(connector.build_part("step", f"{topic}/1", None))
    assert [r.value for r in records] == [{"n": n} for n in (1, 3, 5, 7, 9)]
    assert [r.offset for r in records] == [0, 1, 2, 3, 4]
    assert records[0].key == "1" and records[0].topic == topic and records[0].partition == 1
    assert records[0].to_dict() == {"topic": topic, "partition": 1, "offset": 0,
                                    "timestamp": records[0].timestamp, "key": "1",
                                    "value": {"n": 1}}
    assert isinstance(records[0].timestamp, int) and records[0].timestamp > 1_600_000_000_000


@pytest.mark.server
def test_a_resume_state_continues_after_it_and_bytes_stay_bytes(brokers, topic):
    tool("create-topic", brokers, topic, 1)
    tool("produce", brokers, topic, 1, 0, 5)
    connector = Connector(brokers, [topic], stop_at_end=True)
    partition = connector.build_part("step", f"{topic}/0", 3)
    records = _drain(partition)
    assert [r.value for r in records] == [b'{"n":3}', b'{"n":4}']
    assert records[0].key == b"3"


@pytest.mark.server
def test_an_unknown_topic_raises_an_error_naming_it_and_the_broker(brokers, topic):
    connector = Connector(brokers, [topic])
    with pytest.raises(inlet.ConnectorError) as raised:
        connector.list_parts()
    assert f'topic "{topic}" does not exist on the Kafka broker(s) {brokers}' in str(raised.value)


def test_a_bad_start_or_format_is_a_value_error():
    with pytest.raises(ValueError, match='start "yesterday"'):
        Connector("127.0.0.1:9092", ["t"], start="yesterday")
    with pytest.raises(ValueError, match='format "avro": expected bytes, text or json'):
        Connector("127.0.0.1:9092", ["t"], format="avro")


@pytest.mark.server
def test_records_of_every_format_pickle_and_compare_equal(brokers, topic):
    tool("create-topic", brokers, topic, 1)
    first = int(tool("produce-samples", brokers, topic))
    record_0 = {"bytes": (b"k0", b'{"id":1,"price":2.5,"tags":["a","b"],"nested":{"x":null}}'),
                "text": ("k0", '{"id":1,"price":2.5,"tags":["a","b"],"nested":{"x":null}}'),
                "json": ("k0", {"id": 1, "price": 2.5, "tags": ["a", "b"], "nested": {"x": None}})}
    for format, (key, value) in record_0.items():
        connector = Connector(brokers, [topic], stop_at_end=True, format=format)
        records = _drain(connector.build_part("step", f"{topic}/0", None))
        assert [r.offset for r in records] == list(range(6))
        assert (records[0].key, records[0].value) == (key, value)
        assert records[1].key is None and records[2].value is None
        assert [r.timestamp for r in records] == list(range(first, first + 6))
        assert repr(records[0]) == (f"Record(topic={topic!r}, partition=0, offset=0, "
                                    f"timestamp={first}, key={key!r}, value={records[0].value!r})")
        for record in records:
            copy = pickle.loads(pickle.dumps(record))
            assert copy == record and copy.to_dict() == record.to_dict()
        assert records[0] != records[1]


@pytest.mark.server
def test_an_idle_partition_never_puts_an_engine_that_cannot_be_woken_to_sleep(brokers, topic):
    tool("create-topic", brokers, topic, 1)
    partition = Connector(brokers, [topic], format="json").build_part("step", f"{topic}/0", None)
    assert partition.next_batch() == []
    # Bytewax cannot be woken: None has it poll again after its 1 ms cooldown, where a
    # time would hold back every record fetched before it.
    assert partition.next_awake() is None
    tool("produce", brokers, topic, 1, 0, 3)
    records = []
    deadline = time.monotonic() + 10
    while len(records) < 3 and time.monotonic() < deadline:
        records += partition.next_batch()
        time.sleep(0.001)
    partition.close()
    assert [r.value for r in records] == [{"n": n} for n in range(3)]
