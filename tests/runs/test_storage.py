"""Run files on a local directory and on an S3 endpoint (moto's server on 127.0.0.1, the real
s3fs/botocore client): the same reads and writes, atomic both ways, metrics equal."""

from __future__ import annotations

import random
import threading

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner
from upath import UPath

from config.settings import RunSettings, Settings, load_settings
from flows.cli import app
from tasks.errors import NotReadyError
from tasks.evaluate import metrics
from tasks.runs import layout, storage
from tasks.runs.layout import CANDIDATES_SCHEMA, RERANKED_SCHEMA
from tests.helpers import assert_metrics_close


def _table(n: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    return pa.table({"qid": [f"q{i}" for i in range(n)], "x": [rng.random() for _ in range(n)]})


def test_location_local_and_url(s3_runs):
    url, options = s3_runs
    local = storage.location("data/runs")
    assert storage.is_local(local) and str(local) == "data/runs"
    assert storage.is_local(storage.location("file:///tmp/runs"))
    remote = storage.location(url, options)
    assert not storage.is_local(remote) and str(remote) == url
    # Children and a re-wrapped path keep the endpoint.
    child = storage.location(remote / "run_date=x")
    assert child.storage_options["endpoint_url"] == options["endpoint_url"]
    assert storage.uri(remote) == url and storage.uri(local).startswith("file:///")


def test_missing_backend_names_the_package():
    # gcsfs is not installed here: the error says what to install, in one line from the CLI.
    with pytest.raises(NotReadyError, match="pip install gcsfs"):
        storage.location("gs://bucket/runs")
    printed = CliRunner().invoke(app, ["eval", "--run", "gs://bucket/runs/run_id=x"])
    assert printed.exit_code == 2 and "pip install gcsfs" in printed.output
    assert "Traceback" not in printed.output


def test_filesystems_without_atomic_writes_are_refused():
    # An sftp or webdav server streams into the final name: a reader could see half a file.
    for url in ("sftp://host/runs", "webdav://host/runs", "hdfs://nn/runs"):
        with pytest.raises(ValueError, match="mount it and give the path"):
            storage.location(url)


def test_remote_paths_never_cache_listings(s3_runs):
    # Each stage's files are written by another process: a cached listing would hide them.
    url, options = s3_runs
    built = UPath(url, **options)
    assert storage.location(built).fs.dircache.use_listings_cache is False
    assert storage.location(url, options).storage_options["use_listings_cache"] is False


def test_duckdb_refuses_two_option_sets_for_one_scheme(s3_runs):
    url, options = s3_runs
    a = storage.location(url, options)
    b = storage.location(url, {**options, "config_kwargs": {"retries": {"max_attempts": 2}}})
    with pytest.raises(ValueError, match="other storage options"):
        storage.connect_duckdb(a, b)
    storage.connect_duckdb(a, a / "x").close()


def test_duckdb_reads_object_stores_on_one_thread(s3_runs, tmp_path):
    """DuckDB deadlocked on S3 runs (a 45-s loop of metrics.evaluate_run under busy Python
    threads hung in one run of three; py-spy: `register` holding the GIL while cancelling a
    scan whose worker thread waited for the GIL to close its fsspec file). One thread rules it
    out; local files, read by DuckDB itself, keep every core."""
    url, options = s3_runs
    threads = "SELECT current_setting('threads')"
    remote = storage.connect_duckdb(storage.location(url, options))
    local = storage.connect_duckdb(storage.location(tmp_path))
    try:
        assert remote.execute(threads).fetchone() == (1,)
        assert local.execute(threads).fetchone() == (duckdb.connect().execute(threads).fetchone())
    finally:
        remote.close()
        local.close()


def test_s3_round_trip_and_run_layout(s3_runs):
    url, options = s3_runs
    root = storage.location(url, options)
    run_dir = layout.new_run_dir(root, "20261201T000000-abcdef")
    storage.write_json({"run_id": "20261201T000000-abcdef", "n": 1}, run_dir / "manifest.json")
    table = _table(100, 0)
    storage.write_parquet(table, run_dir / "candidates.parquet")
    assert storage.read_json(run_dir / "manifest.json") == {
        "run_id": "20261201T000000-abcdef",
        "n": 1,
    }
    assert storage.read_parquet(run_dir / "candidates.parquet").equals(table)
    assert storage.read_parquet(run_dir / "candidates.parquet", columns=["qid"]).num_columns == 1
    found = layout.find_run(root, "20261201T000000-abcdef")
    assert str(found) == str(run_dir)
    with pytest.raises(FileNotFoundError, match="no run 'nope'"):
        layout.find_run(root, "nope")
    # Nothing but the two objects: no temporary names on an object store.
    keys = sorted(p.name for p in run_dir.iterdir())
    assert keys == ["candidates.parquet", "manifest.json"]


@pytest.mark.parametrize("where", ["local", "s3"])
def test_readers_see_the_old_file_or_the_new_never_a_mix(where, s3_runs, tmp_path):
    """A reader racing a writer that keeps replacing a Parquet file always reads a whole one."""
    url, options = s3_runs
    root = storage.location(url, options) if where == "s3" else storage.location(tmp_path)
    path = root / "part.parquet"
    versions = [_table(5_000, seed) for seed in range(2)]
    storage.write_parquet(versions[0], path)
    stop = threading.Event()
    errors: list[BaseException] = []
    reads: list[int] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                got = storage.read_parquet(path)
                reads.append(next(i for i, v in enumerate(versions) if got.equals(v)))
        except BaseException as exc:  # StopIteration too: a read matching neither version
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            storage.write_parquet(versions[(i + 1) % 2], path)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors[:1]
    assert reads and set(reads) <= {0, 1}
    if where == "local":
        assert [p.name for p in root.iterdir()] == ["part.parquet"]  # no temporary left


def test_a_failed_write_keeps_the_previous_object(s3_runs):
    """The file is written to a temporary first: a write that fails uploads nothing."""
    url, options = s3_runs
    path = storage.location(url, options) / "candidates.parquet"
    table = _table(10, 0)
    storage.write_parquet(table, path)
    with pytest.raises((TypeError, AttributeError)):
        storage.write_parquet({"qid": ["not a table"]}, path)  # type: ignore[arg-type]
    assert storage.read_parquet(path).equals(table)


def _race(write, contents: list) -> None:
    """Run one writer per content at once (released together); re-raise a writer's error."""
    barrier = threading.Barrier(len(contents))
    errors: list[BaseException] = []

    def run(content) -> None:
        try:
            barrier.wait()
            write(content)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in contents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:1]


def test_concurrent_writers_of_one_file_both_succeed(tmp_path):
    """Each writer has its own temporary: the file ends whole, one writer's content."""
    path = tmp_path / "index.json"
    contents = [bytes([i]) * 4_000_000 for i in (1, 2)]
    for _ in range(5):
        _race(lambda data: storage.write_bytes(path, data), contents)
        assert path.read_bytes() in contents
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]  # no temporary left


def test_concurrent_writers_of_one_directory_both_succeed(tmp_path):
    """A directory (bm25s' save) swaps in whole too, whichever writer lands last."""
    target = tmp_path / "bm25"

    def write(tag: str) -> None:
        with storage.atomic_path(target) as tmp:
            tmp.mkdir()
            for i in range(50):
                (tmp / f"{i}.txt").write_text(tag)

    for _ in range(5):
        _race(write, ["a", "b"])
        texts = {p.read_text() for p in target.iterdir()}
        assert len(list(target.iterdir())) == 50 and texts in ({"a"}, {"b"})
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]


def test_a_failed_block_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "marker.json"
    storage.write_json({"v": 1}, path)
    with pytest.raises(RuntimeError), storage.atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer died")
    assert storage.read_json(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["marker.json"]


def _random_run(run_dir, seed: int) -> dict:
    """Candidates and reranked files of a random run, with ties; returns its qrels."""
    rng = random.Random(seed)
    cand, rer, qrels = [], [], {}
    for q in range(40):
        qid = f"q{q:02d}"
        docs = rng.sample(range(200), 20)
        qrels[qid] = {f"d{d}": rng.choice([0, 1, 2]) for d in rng.sample(docs, 3)}
        scores = [round(rng.random(), 1) for _ in docs]  # rounded: ties on purpose
        for rank, (d, s) in enumerate(sorted(zip(docs, scores, strict=True), key=lambda t: -t[1])):
            cand.append((qid, rank + 1, f"d{d}", s, None))
        for rank, d in enumerate(rng.sample(docs, 5)):
            rer.append((qid, rank + 1, f"d{d}", 1.0 - rank / 10, 1, 0.5, None))
    storage.write_parquet(
        pa.Table.from_pylist(
            [dict(zip(CANDIDATES_SCHEMA.names, r, strict=True)) for r in cand],
            schema=CANDIDATES_SCHEMA,
        ),
        run_dir / "candidates.parquet",
    )
    storage.write_parquet(
        pa.Table.from_pylist(
            [dict(zip(RERANKED_SCHEMA.names, r, strict=True)) for r in rer], schema=RERANKED_SCHEMA
        ),
        run_dir / "reranked.parquet",
    )
    return qrels


def test_metrics_on_s3_equal_metrics_on_disk(s3_runs, tmp_path):
    url, options = s3_runs
    remote = storage.location(url, options) / "run_id=r"
    qrels = _random_run(remote, seed=3)
    local = tmp_path / "run_id=r"
    _random_run(local, seed=3)
    got = metrics.evaluate_run(remote, qrels, fetch_k=20, top_k=5, ks=(1, 3, 5, 10))
    want = metrics.evaluate_run(local, qrels, fetch_k=20, top_k=5, ks=(1, 3, 5, 10))
    assert got["queries"]["evaluated"] == 40
    assert_metrics_close(got, want)


def test_runs_root_url_settings(s3_runs):
    url, options = s3_runs
    settings = load_settings(
        "demo", {"run.runs_root": url, "run.storage_options.endpoint_url": options["endpoint_url"]}
    )
    root = settings.run.runs_root
    assert str(root) == url and root.storage_options["endpoint_url"] == options["endpoint_url"]
    # The manifest keeps the URL as a string and round-trips to the same settings.
    dumped = settings.model_dump(mode="json")
    assert dumped["run"]["runs_root"] == url
    assert Settings.model_validate(dumped) == settings
    # Built directly, the options stay with the root too.
    direct = RunSettings(runs_root=url, storage_options=options)
    assert direct.runs_root.storage_options["endpoint_url"] == options["endpoint_url"]
    from_upath = RunSettings(runs_root=UPath(url, **options))
    assert from_upath.storage_options == options  # recorded where the manifest keeps them

    # Credentials never go into settings (they would be written to every manifest).
    for key, value in (
        ("key", "x"),
        ("secret", "x"),
        ("token", "x"),
        ("client_kwargs.aws_secret_access_key", "x"),
        ("aws_access_key_id", "x"),
        ("headers", {"Authorization": "Bearer x"}),
        ("endpoint_url", "http://user:pw@127.0.0.1:9000"),
    ):
        with pytest.raises(ValueError, match="credentials do not belong in settings"):
            load_settings("demo", {"run.runs_root": url, f"run.storage_options.{key}": value})
    with pytest.raises(ValueError, match="credentials in the URL"):
        load_settings("demo", {"run.runs_root": "s3://user:pw@bucket/runs"})
    # A gcsfs token mode names a mechanism, not a secret.
    assert load_settings("demo", {"run.storage_options.token": "anon"}).run.storage_options
    # The FAQ serving table is a local DuckDB file.
    with pytest.raises(ValueError, match="FAQ serving table is a local directory"):
        load_settings("demo", {"faq.dir": "s3://bucket/faq"})


def test_doctor_checks_a_url_runs_root(s3_runs):
    from tasks.doctor import check_runs_root

    url, options = s3_runs
    endpoint = {"run.storage_options.endpoint_url": options["endpoint_url"]}
    ok = check_runs_root(load_settings("demo", {"run.runs_root": url, **endpoint}))
    assert ok.status == "ok" and url in ok.detail
    # The probe object is gone again.
    assert not list(storage.location(url, options).glob(".doctor-*"))
    missing = check_runs_root(
        load_settings("demo", {"run.runs_root": "s3://no-such-bucket/r", **endpoint})
    )
    assert missing.status == "FAIL" and "s3://no-such-bucket/r" in missing.detail
    assert "storage_options" in missing.fix
