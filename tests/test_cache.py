"""The check cache (.perfaudit_cache/): facts and findings of unchanged
files are reused, an edit re-checks the files that read the edited one, and
a cache that is corrupt, foreign or written by another perfaudit is never
trusted."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from helpers import with_schema, write_files
from perfaudit.command_line import main
from perfaudit.server import engine as engine_mod
from perfaudit.server.cache import CACHE_DIR, CACHE_FILE
from perfaudit.server.config import Config
from perfaudit.server.engine import analyze

def _layered() -> dict[str, str]:
    """The layered backend of the P104 tests (controller -> service ->
    repository across files)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("p104_cases", Path(__file__).parent / "rules" / "test_p104.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYERED


LAYERED = _layered()

REPO = "src/repositories/readListItem.repository.ts"
CONTROLLER = "src/controllers/readList.controller.ts"
STATS = """\
    import { prisma } from '@/lib/prisma';
    export async function countItems() {
      // the count is cheap: a comment edit changes nothing else
      return prisma.readListItem.count();
    }
    """


@pytest.fixture
def backend(tmp_path):
    write_files(tmp_path, with_schema({**LAYERED, "src/services/stats.ts": STATS}))
    return tmp_path


@pytest.fixture
def checked(monkeypatch):
    """The files whose file rules ran, per analyze() call."""
    runs: list[set[str]] = []
    original = engine_mod.Engine.check_file

    def check_file(self, path):
        runs[-1].add(os.path.relpath(path, self.ws.root))
        return original(self, path)

    monkeypatch.setattr(engine_mod.Engine, "check_file", check_file)

    def run(root, config=None):
        runs.append(set())
        result = analyze(str(root), config=config, cache=True)
        return result, runs[-1]

    return run


def _summary(result):
    return sorted((os.path.relpath(f.path, result.root), f.start, f.code, f.message) for f in result.findings)


def test_a_second_run_reuses_every_file_and_finds_the_same(backend, checked):
    first, ran = checked(backend)
    assert ran and "src/services/stats.ts" in ran
    assert any(f.code == "P104" for f in first.findings)
    written = (backend / CACHE_DIR / CACHE_FILE).stat().st_mtime_ns
    second, ran = checked(backend)
    assert ran == set()
    assert (backend / CACHE_DIR / CACHE_FILE).stat().st_mtime_ns == written  # nothing new to write
    assert _summary(second) == _summary(first)
    assert (backend / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"


def test_an_edit_rechecks_the_file_and_those_that_read_it(backend, checked):
    checked(backend)
    repo = backend / REPO
    repo.write_text(repo.read_text().replace("return this.db.readListItem.create", "return await this.db.readListItem.create"))
    result, ran = checked(backend)
    assert REPO in ran and CONTROLLER in ran  # the controller's loop reaches the repository
    assert "src/services/stats.ts" not in ran
    assert _summary(result) == _summary(analyze(str(backend)))


def test_a_finding_that_rests_on_an_edited_file_is_not_reused(backend, checked):
    first, _ = checked(backend)
    assert [f for f in first.findings if f.code == "P104" and f.path.endswith(CONTROLLER)]
    repo = backend / REPO
    repo.write_text(repo.read_text().replace(
        "return this.db.readListItem.create({ data, select: { id: true } });",
        "return { id: data.url }; // kept in memory now"))
    second, ran = checked(backend)
    assert CONTROLLER in ran
    assert not [f for f in second.findings if f.code == "P104" and f.path.endswith(CONTROLLER)]


def test_a_new_file_or_another_config_rechecks_everything(backend, checked):
    checked(backend)
    (backend / "src/services/extra.ts").write_text("export const two = 2;\n")
    _, ran = checked(backend)
    assert "src/services/stats.ts" in ran
    _, ran = checked(backend, Config(ignore=["P101"]))
    assert "src/services/stats.ts" in ran


def test_a_corrupt_cache_is_discarded_and_rebuilt(backend, checked):
    first, _ = checked(backend)
    cache = backend / CACHE_DIR / CACHE_FILE
    cache.write_bytes(b"\x80\x05not a pickle at all")
    second, ran = checked(backend)
    assert "src/services/stats.ts" in ran
    assert _summary(second) == _summary(first)
    _, ran = checked(backend)
    assert ran == set()  # rewritten whole


class _Payload:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_foreign_cache_never_runs_code(backend, checked):
    """A cache that came with the repository is data at most: one that would
    call anything but perfaudit's data classes is refused unread."""
    marker = backend / "ran"
    (backend / CACHE_DIR).mkdir()
    (backend / CACHE_DIR / CACHE_FILE).write_bytes(pickle.dumps({"magic": _Payload(str(marker))}))
    result, ran = checked(backend)
    assert not marker.exists()
    assert "src/services/stats.ts" in ran and result.findings


def test_the_cache_reader_builds_facts_through_their_builders_and_calls_no_other_function():
    """Facts pickle as calls of their builders (`_build_CallFact`...), which
    the reader accepts; a perfaudit function that is no builder is refused."""
    import io

    from perfaudit.server.analysis import workspace
    from perfaudit.server.analysis.facts import CallFact, FileFacts, FunctionFact
    from perfaudit.server.cache import _SafeUnpickler

    call = CallFact(10, 30, ("prisma", "user", "findMany"), "findMany", True, (), ())
    facts = FileFacts(functions=(FunctionFact("list", "list", None, 0, 40, 5, (), (), None, True, (call,)),))
    assert _SafeUnpickler(io.BytesIO(pickle.dumps(facts))).load() == facts

    class CallsNorm:
        def __reduce__(self):
            return (workspace.norm, ("/tmp/x",))

    with pytest.raises(pickle.UnpicklingError):
        _SafeUnpickler(io.BytesIO(pickle.dumps(CallsNorm()))).load()


def test_the_server_reads_the_facts_of_the_cache_and_leaves_the_findings_unread(backend, checked):
    """The server checks files itself: the findings and memos `check` stored
    would only take memory (and pages the facts then share)."""
    from perfaudit.server.cache import CheckCache
    from perfaudit.server.lsp.scan import read_cache

    checked(backend)
    whole = CheckCache(str(backend))
    whole.load()
    assert whole.old_files and whole.old_findings and whole.old_memos
    server = read_cache(str(backend))
    assert server.old_files.keys() == whole.old_files.keys()
    assert not server.old_findings and not server.old_memos


def test_facts_written_in_chunks_are_read_back_whole(backend, checked, monkeypatch):
    """The facts go in pickles of a few files each (unpickling one pickle for
    every file held its argument tuples to the end: 59 MB on 4,000 files)."""
    from perfaudit.server import cache as cache_module
    from perfaudit.server.cache import CheckCache

    monkeypatch.setattr(cache_module, "CHUNK_FILES", 2)
    checked(backend)
    stored = CheckCache(str(backend))
    stored.load()
    result, ran = checked(backend)
    assert len(stored.old_files) > 4 and not ran  # every file's facts and findings came back
    loaded = {p: s.facts for p, s in result.workspace.files.items()}
    assert {p: v[1] for p, v in stored.old_files.items()} == loaded


def test_a_cache_for_another_root_is_not_used(backend, checked, tmp_path_factory):
    checked(backend)
    other = tmp_path_factory.mktemp("moved")
    write_files(other, with_schema({**LAYERED, "src/services/stats.ts": STATS}))
    (other / CACHE_DIR).mkdir()
    (other / CACHE_DIR / CACHE_FILE).write_bytes((backend / CACHE_DIR / CACHE_FILE).read_bytes())
    result, ran = checked(other)
    assert "src/services/stats.ts" in ran
    assert all(f.path.startswith(str(other)) for f in result.findings)


def test_no_cache_neither_reads_nor_writes_it(backend, capsys):
    assert main(["check", "--no-cache", "--format", "json", str(backend)]) == 1
    assert not (backend / CACHE_DIR).exists()
    assert main(["check", "--format", "json", str(backend)]) == 1
    assert (backend / CACHE_DIR / CACHE_FILE).exists()


def _server_scan(backend, monkeypatch) -> tuple[object, list]:
    """The server's workspace scan of `backend`, run in place; (its root, one
    entry per file it parsed)."""
    import asyncio
    import types

    from perfaudit.server.analysis import workspace as workspace_mod
    from perfaudit.server.lsp import scan
    from perfaudit.server.lsp.roots import Root

    parsed = []
    extract = workspace_mod.extract_facts
    monkeypatch.setattr(workspace_mod, "extract_facts", lambda tree, language: parsed.append(1) or extract(tree, language))

    class NoDocuments(list):
        def by_path(self, path):
            return None

    class InlineWorker:  # the session's analysis thread, run in place
        async def call(self, fn, *args, priority=0, about=None):
            return fn(*args)

    async def settle(uri=None):
        return None

    root = Root(str(backend))
    session = types.SimpleNamespace(documents=NoDocuments(), worker=InlineWorker(), settle=settle)
    progress = types.SimpleNamespace(report=lambda done, total, message="": None, cancelled=False)
    # (asyncio.run waits for the executor that reaps the child writing the cache.)
    assert asyncio.run(scan.scan_root(session, root, progress))
    assert root.ws.facts_cache is None
    return root, parsed


def test_the_servers_scan_starts_from_the_cache_and_writes_back_what_changed(backend, checked, monkeypatch):
    """Files whose content is the one cached take their facts from the cache;
    the one edited since is parsed, and its new facts are written back, so
    the next start parses nothing. The findings stored by `check` go: they
    were checked against the old text."""
    checked(backend)
    stats = backend / "src/services/stats.ts"
    stats.write_text(stats.read_text().replace("cheap", "cheap enough"))

    root, parsed = _server_scan(backend, monkeypatch)
    assert len(parsed) == 1
    fresh = analyze(str(backend)).workspace
    assert set(root.ws.files) == set(fresh.files)
    assert all(set(root.ws.files[p].facts.all_calls) == set(fresh.files[p].facts.all_calls) for p in fresh.files)

    _, parsed_again = _server_scan(backend, monkeypatch)
    assert parsed_again == []
    result, ran = checked(backend)
    assert "src/services/stats.ts" in ran and REPO in ran  # no stored finding was reused
    assert _summary(result) == _summary(analyze(str(backend)))


def test_a_server_scan_of_an_unchanged_tree_leaves_the_cache_untouched(backend, checked, monkeypatch):
    checked(backend)
    stored = (backend / CACHE_DIR / CACHE_FILE).read_bytes()
    _, parsed = _server_scan(backend, monkeypatch)
    assert parsed == []
    assert (backend / CACHE_DIR / CACHE_FILE).read_bytes() == stored
    _, ran = checked(backend)
    assert ran == set()  # the findings `check` stored are still reused


def test_a_server_scan_in_a_read_only_checkout_still_finishes(backend, checked, monkeypatch):
    """The cache cannot be written (as in a read-only checkout; chmod would
    not show it, the tests may run as root): the scan finishes all the same
    and the cache `check` wrote stays whole."""
    import tempfile

    checked(backend)
    stored = (backend / CACHE_DIR / CACHE_FILE).read_bytes()
    (backend / "src/services/stats.ts").write_text(STATS.replace("cheap", "cheap enough"))

    def refuse(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    root, parsed = _server_scan(backend, monkeypatch)
    assert len(parsed) == 1 and root.scanned
    assert (backend / CACHE_DIR / CACHE_FILE).read_bytes() == stored


MODULE_SERVICE = """\
    import {{ prisma }} from '@/lib/prisma';

    export async function listInvoices{i}(customerId: string, page = 1) {{
      const take = 25;
      const rows = await prisma.readListItem.findMany({{
        where: {{ id: customerId }},
        skip: (page - 1) * take,
        take,
      }});
      return rows.map((row) => ({{ ...row, label: `invoice {i}` }}));
    }}
    """


def test_a_server_scan_of_a_large_uncached_tree_parses_in_forked_workers(backend, monkeypatch):
    """Enough files that the cache's misses are worth forking for: the
    server's own threads parse none of them, the workers' facts are those a
    serial load finds, and they are written back, so the next scan parses
    and forks nothing."""
    import multiprocessing

    from perfaudit.server.analysis import parallel
    from perfaudit.server.lsp import scan

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    for i in range(parallel.PARALLEL_MIN_FILES):
        write_files(backend, {f"src/modules/m{i}/invoices.service.ts": MODULE_SERVICE.format(i=i)})
    forks = []
    run_forked = parallel.run_forked
    monkeypatch.setattr(parallel, "run_forked", lambda *a, **k: forks.append(1) or run_forked(*a, **k))

    root, parsed = _server_scan(backend, monkeypatch)
    assert parsed == [] and forks == [1]
    fresh = analyze(str(backend), cache=False).workspace
    assert set(root.ws.files) == set(fresh.files) and len(fresh.files) > parallel.PARALLEL_MIN_FILES
    assert all(root.ws.files[p].facts == fresh.files[p].facts for p in fresh.files)
    assert multiprocessing.active_children() == []

    forks.clear()  # (the check above forks too)
    root, parsed = _server_scan(backend, monkeypatch)
    assert parsed == [] and forks == [] and len(root.ws.files) == len(fresh.files)


def test_a_stopped_prefetch_leaves_no_worker_behind(backend):
    import multiprocessing

    from perfaudit.server.analysis import parallel
    from perfaudit.server.cache import CheckCache
    from perfaudit.server.lsp import scan

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    paths = []
    for i in range(parallel.PARALLEL_MIN_FILES):
        rel = f"src/modules/m{i}/invoices.service.ts"
        write_files(backend, {rel: MODULE_SERVICE.format(i=i)})
        paths.append(str(backend / rel))
    cache = CheckCache(str(backend))
    assert scan.prefetch_facts(cache, paths, 2, stop=lambda: True, report=lambda done, total: None)
    assert cache.found == {} and multiprocessing.active_children() == []


def test_a_failed_forked_parse_leaves_the_scan_to_parse_the_files_itself(backend, monkeypatch):
    """No processes to be had (a container's limit, a worker killed): the
    scan still loads every file, parsing them in the server."""
    from perfaudit.server.analysis import parallel

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    for i in range(parallel.PARALLEL_MIN_FILES):
        write_files(backend, {f"src/modules/m{i}/invoices.service.ts": MODULE_SERVICE.format(i=i)})

    def no_processes(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")
        yield  # a generator, as run_forked is

    monkeypatch.setattr(parallel, "run_forked", no_processes)
    root, parsed = _server_scan(backend, monkeypatch)
    assert root.scanned and len(parsed) == len(root.ws.files) > parallel.PARALLEL_MIN_FILES


def _parse_forever(paths):
    import time

    time.sleep(60)
    return []


def test_a_scan_cancelled_during_the_forked_parse_ends_its_workers_at_once(backend, monkeypatch):
    """The editor shuts the server down while the workers parse: the scan's
    thread and its workers end with it, and the exit does not wait."""
    import asyncio
    import multiprocessing
    import time
    import types

    from perfaudit.server.analysis import parallel
    from perfaudit.server.lsp import scan
    from perfaudit.server.lsp.roots import Root

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    for i in range(parallel.PARALLEL_MIN_FILES):
        write_files(backend, {f"src/modules/m{i}/invoices.service.ts": MODULE_SERVICE.format(i=i)})
    monkeypatch.setattr(scan, "_facts_of", _parse_forever)

    async def settle(uri=None):
        return None

    session = types.SimpleNamespace(documents=[], worker=None, settle=settle)
    progress = types.SimpleNamespace(report=lambda done, total, message="": None, cancelled=False)

    async def cancelled_scan():
        task = asyncio.ensure_future(scan.scan_root(session, Root(str(backend)), progress))
        await asyncio.sleep(1.0)  # the workers are parsing
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    start = time.monotonic()
    asyncio.run(cancelled_scan())  # (waits for the scan's thread)
    assert time.monotonic() - start < 15
    assert multiprocessing.active_children() == []
