"""The Python face of inlet/python/export.h, called directly: item and state
conversions, wake-up times, end of partition, the GIL, and errors carrying
step, partition, method and message."""

import datetime
import pickle
import threading

import pytest


def drain(partition):
    """Every item of `partition` until StopIteration."""
    items = []
    while True:
        try:
            items.extend(partition.next_batch())
        except StopIteration:
            return items


def test_items_of_every_supported_kind_convert(connector):
    source = connector.MixedInput().build("step", 0, 1)
    [item] = source.next_batch()
    text, data, integer, real, flag, document, point, _ = item
    assert text == "worker-0 \u00e9"
    assert data == b"\x00\xff" and isinstance(data, bytes)
    assert integer == 1 << 40 and real == 0.5 and flag is True
    assert document == {"worker": 0, "list": [1, "two", None, 3.5]}
    assert point == complex(1, -2)


def test_next_batch_runs_without_the_gil(connector):
    [item] = connector.MixedInput().build("step", 0, 1).next_batch()
    assert item[-1] is False


def test_next_awake_is_an_aware_utc_datetime_to_the_microsecond(connector):
    awake = connector.MixedInput().build("step", 0, 1).next_awake()
    assert awake.tzinfo is not None and awake.utcoffset() == datetime.timedelta(0)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    assert awake - epoch == datetime.timedelta(microseconds=connector.AWAKE_MICROS)


def test_none_from_next_awake_means_automatic(connector):
    part = connector.Counters(["a"], limit=3).build_part("step", "a", None)
    assert part.next_awake() is None


def test_end_of_partition_hands_out_the_last_items_then_raises_stop_iteration(connector):
    part = connector.Counters(["a"], limit=3, batch_size=2).build_part("step", "a", None)
    assert part.next_batch() == [("a", 0), ("a", 1)]
    assert part.next_batch() == [("a", 2)]
    with pytest.raises(StopIteration):
        part.next_batch()
    with pytest.raises(StopIteration):
        part.next_batch()


def test_snapshot_is_a_picklable_value_that_resumes_after_the_last_item(connector):
    counters = connector.Counters(["a", "b"], limit=5, batch_size=2)
    assert counters.list_parts() == ["a", "b"]
    part = counters.build_part("step", "b", None)
    assert part.next_batch() == [("b", 0), ("b", 1)]
    state = pickle.loads(pickle.dumps(part.snapshot()))
    assert state == {"next": 2}
    assert drain(counters.build_part("step", "b", state)) == [("b", 2), ("b", 3), ("b", 4)]


def test_a_resume_state_that_does_not_convert_is_a_build_part_error(connector):
    with pytest.raises(connector_error()) as caught:
        connector.Counters(["a"], limit=5).build_part("orders", "a", {"next": "x"})
    assert caught.value.method == "BuildPart" and caught.value.code == "INVALID_ARGUMENT"
    assert str(caught.value).startswith('step "orders" partition "a": BuildPart: resume state')


def connector_error():
    import inlet

    return inlet.ConnectorError


# NextAwake, Snapshot and Close return no status: they can only throw.
@pytest.mark.parametrize("method, throws", [
    ("BuildPart", False), ("BuildPart", True), ("NextBatch", False), ("NextBatch", True),
    ("NextAwake", True), ("Snapshot", True), ("Close", True)])
def test_a_failing_method_raises_connector_error_with_its_place(connector, method, throws):
    counters = connector.Counters(["p-1"], limit=10, fail_method=method, fail_throws=throws,
                                  fail_at=3)
    with pytest.raises(connector_error()) as caught:
        part = counters.build_part("orders", "p-1", None)
        {"NextBatch": lambda: drain(part), "NextAwake": part.next_awake,
         "Snapshot": part.snapshot, "Close": part.close}[method]()
    error = caught.value
    assert isinstance(error, RuntimeError)
    message = f"exception: {method} failed on purpose" if throws else f"{method} failed on purpose"
    assert (error.step, error.partition, error.method, error.message) == (
        "orders", "p-1", method, message)
    assert error.code == ("UNKNOWN" if throws else "DATA_LOSS")
    assert str(error) == f'step "orders" partition "p-1": {method}: {message}'


def test_a_failing_list_parts_names_the_method(connector):
    with pytest.raises(connector_error()) as caught:
        connector.Counters(["a"], limit=1, fail_method="ListParts").list_parts()
    error = caught.value
    assert (error.step, error.partition, error.method) == (None, None, "ListParts")
    assert str(error) == "ListParts: ListParts failed on purpose"


def test_a_partition_is_not_used_after_close(connector):
    part = connector.Counters(["a"], limit=3).build_part("s", "a", None)
    part.close()
    part.close()
    with pytest.raises(connector_error()) as caught:
        part.next_batch()
    assert caught.value.code == "FAILED_PRECONDITION" and caught.value.method == "NextBatch"
    assert str(caught.value) == 'step "s" partition "a": NextBatch: called after Close'


def test_sources_of_different_threads_run_in_parallel(connector):
    counters = connector.Counters([f"p{i}" for i in range(4)], limit=20_000, batch_size=100)
    results = {}

    def read(name):
        results[name] = drain(counters.build_part("s", name, None))

    threads = [threading.Thread(target=read, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {name: len(items) for name, items in results.items()} == {
        f"p{i}": 20_000 for i in range(4)}
    assert results["p2"][:2] == [("p2", 0), ("p2", 1)]


def test_bytewax_wrappers_are_genuine_bytewax_sources(connector):
    from bytewax import inputs

    import inlet.bytewax

    source = inlet.bytewax.PartitionedSource(connector.Counters(["a"], limit=2))
    assert isinstance(source, inputs.FixedPartitionedSource)
    assert isinstance(source.build_part("s", "a", None), inputs.StatefulSourcePartition)
    dynamic = inlet.bytewax.DynamicSource(connector.MixedInput())
    assert isinstance(dynamic, inputs.DynamicSource)
    assert isinstance(dynamic.build("s", 0, 1), inputs.StatelessSourcePartition)
    with pytest.raises(TypeError, match="ExportPartitionedInput"):
        inlet.bytewax.PartitionedSource(connector.MixedInput())
    with pytest.raises(TypeError, match="ExportDynamicInput"):
        inlet.bytewax.DynamicSource(connector.Counters(["a"], limit=2))
