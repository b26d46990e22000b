"""Faults: a damaged index stops start-up with the fix; a rebuild while serving is picked up, a bad one is not.

* ``python app.py`` against an index that is missing, empty, truncated, corrupt,
  or built by another embedder exits non-zero with one line on stderr that
  names ``make ingest`` (the launches run in parallel: each loads the model).
* An ``AssistantService`` answering from several threads while ``ingest``
  rebuilds its index: no call fails, calls keep ending with the referral, and
  new calls see the new build without a restart. A build that fails its checks
  leaves the old one serving, and a later good build is still picked up.
* The same rebuild under a live ``app.py``: ``/api/ask`` keeps answering and
  ``/healthz`` reports the new build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from settings import PROJECT_ROOT
from tests.conftest import GUIDE

START_TIMEOUT = 240.0  # seconds for a launch that loads the model and then fails
SWAP_TIMEOUT = 60.0
QUESTIONS = ["ice or heat first?", "can I take ibuprofen for a spasm?", "which stretches help?", "does massage help back spasms?"]
EXTRA_PAGE = """# Acupuncture for Back Spasms

Acupuncture places fine needles at chosen points to ease muscle tension in the lower back.
Most patients book a course of four to six weekly sessions for back spasms.
"""


# -- helpers -----------------------------------------------------------------------------------


def copy_index(built_index_dir: Path, into: Path) -> Path:
    """A private index laid out as ingest lays it out: ``build`` → ``build.versions/<id>``."""
    source = built_index_dir.resolve()
    versions = into / "build.versions"
    versions.mkdir(parents=True)
    shutil.copytree(source, versions / source.name)
    link = into / "build"
    os.symlink(os.path.relpath(versions / source.name, into), link)
    return link


def point_at(link: Path, target: Path) -> None:
    """Swap the ``build`` symlink atomically, as ``index.store`` does."""
    tmp = link.parent / f".{link.name}.test-link"
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)


def damaged_build(link: Path, build_id: str, damage: Callable[[Path], None]) -> Path:
    """A copy of the current build under a new id, damaged, and then made current (never half-visible)."""
    current = link.resolve()
    copy = current.parent / build_id
    shutil.copytree(current, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["build_id"] = build_id
    (copy / "manifest.json").write_text(json.dumps(manifest))
    damage(copy)
    point_at(link, copy)
    return copy


def truncate(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size // 2)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_manifest(path: Path, **embedder: object) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["embedder"].update(embedder)
    (path / "manifest.json").write_text(json.dumps(manifest))


def wait_for(condition: Callable[[], bool], timeout: float, poke: Callable[[], object] = lambda: None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        poke()
        if condition():
            return True
        time.sleep(0.05)
    return False


def app_env(index_dir: Path, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
        "BACKSPASM_INDEX_DIR": str(index_dir),
        "BACKSPASM_FEEDBACK_ENABLED": "false",
        "BACKSPASM_FEEDBACK_PATH": str(tmp / "feedback.sqlite3"),
        "BACKSPASM_SERVER_RATE_LIMIT_PER_MINUTE": "0",
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- start-up with a damaged index ----------------------------------------------------------------

DAMAGES: dict[str, Callable[[Path], Path]] = {}


def damage(name: str) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(fn: Callable[[Path], Path]) -> Callable[[Path], Path]:
        DAMAGES[name] = fn
        return fn

    return register


@damage("missing")
def _missing(index: Path) -> Path:
    return index.parent / "no-such-index"


@damage("empty-folder")
def _empty(index: Path) -> Path:
    empty = index.parent / "empty"
    empty.mkdir()
    return empty


@damage("truncated-vectors")
def _truncated(index: Path) -> Path:
    truncate(index.resolve() / "chunks.faiss")
    return index


@damage("corrupt-same-size")
def _corrupt(index: Path) -> Path:
    flip_a_byte(index.resolve() / "sentences.npy")
    return index


@damage("corrupt-manifest")
def _corrupt_manifest(index: Path) -> Path:
    (index.resolve() / "manifest.json").write_text("{not json")
    return index


@damage("other-embedder")
def _other_embedder(index: Path) -> Path:
    edit_manifest(index.resolve(), model="sentence-transformers/all-mpnet-base-v2", dimension=768)
    return index


@damage("other-dimension")
def _other_dimension(index: Path) -> Path:
    edit_manifest(index.resolve(), dimension=768)
    return index


@pytest.fixture(scope="module")
def damaged_starts(built_index_dir, tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Launch ``app.py`` once per damage, all at the same time, and collect how each ended."""
    if not (PROJECT_ROOT / "app.py").exists():
        pytest.skip("app.py does not exist yet")
    launches = {}
    for name, make in DAMAGES.items():
        work = tmp_path_factory.mktemp(f"damaged-{name}")
        index = make(copy_index(built_index_dir, work))
        launches[name] = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(free_port())],
            cwd=PROJECT_ROOT,
            env=app_env(index, work),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for name, process in launches.items():
        try:
            out, err = process.communicate(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DAMAGES))
def test_start_with_a_damaged_index_exits_with_one_line_naming_make_ingest(damaged_starts, name):
    done = damaged_starts[name]
    assert done.returncode not in (0, None), f"started anyway; stderr:\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    naming = [line for line in lines if "make ingest" in line]
    assert len(naming) == 1, f"expected one line naming `make ingest`:\n{done.stderr[-2000:]}"
    assert naming[0] == lines[-1], "the fix is the last thing printed"


# -- rebuilding while an in-process service answers ---------------------------------------------------


class Hammer:
    """Threads asking the service questions until stopped, recording every failure."""

    def __init__(self, service: object, threads: int = 3) -> None:
        self.service = service
        self.failures: list[str] = []
        self.answered = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, n: int) -> None:
        i = n
        while not self._stop.is_set():
            try:
                answer = self.service.answer(QUESTIONS[i % len(QUESTIONS)], [])  # type: ignore[attr-defined]
                ok = answer.parts[-1].kind == "referral" and answer.kind != "error"
                with self._lock:
                    self.answered += 1
                    if not ok:
                        self.failures.append(f"reply kind {answer.kind}")
            except Exception as exc:  # noqa: BLE001 - a failure is what the test looks for
                with self._lock:
                    self.failures.append(repr(exc))
            i += 1

    def __enter__(self) -> Hammer:
        for t in self._threads:
            t.start()
        assert wait_for(lambda: self.answered >= 3, 60), "the service never answered"
        return self

    def count_more(self, n: int, timeout: float = 60) -> bool:
        target = self.answered + n
        return wait_for(lambda: self.answered >= target, timeout)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)


@pytest.fixture
def live_index(built_index_dir, tmp_path) -> Path:
    return copy_index(built_index_dir, tmp_path)


@pytest.fixture
def service(settings, live_index):
    from answering.service import AssistantService

    return AssistantService(settings.with_overrides(index={"dir": str(live_index)}), check_every=0.0)


def test_a_rebuild_while_answering_is_picked_up_without_a_restart(service, live_index, embedder, settings, tmp_path):
    from ingest.build import build_index
    from ingest.sources import read_source

    extra = tmp_path / "pages" / "acupuncture.md"
    extra.parent.mkdir()
    extra.write_text(EXTRA_PAGE, encoding="utf-8")
    old = service.health()
    with Hammer(service) as hammer:
        report = build_index([GUIDE, extra], live_index, embedder, settings.index.chunk_target_tokens)
        new_id = report.directory.name
        assert new_id != old["build_id"]
        assert wait_for(lambda: service.health()["build_id"] == new_id, SWAP_TIMEOUT), service.last_error
        assert hammer.count_more(6), "answers stopped after the swap"
    assert hammer.failures == []
    assert service.health()["chunks"] > old["chunks"]
    sources = {c.source for c in service.assistant.retriever.chunks}
    assert read_source(extra).name in sources
    answer = service.answer("how many acupuncture sessions do patients book?", [])
    assert answer.parts[-1].kind == "referral"


@pytest.mark.parametrize("how", ["truncated", "corrupt", "other-embedder"])
def test_a_failed_rebuild_leaves_the_old_index_serving(service, live_index, how):
    from index.store import load_index

    old = service.health()["build_id"]
    spoil = {
        "truncated": lambda p: truncate(p / "sentences.npy"),
        "corrupt": lambda p: flip_a_byte(p / "chunks.faiss"),
        "other-embedder": lambda p: edit_manifest(p, model="sentence-transformers/all-mpnet-base-v2"),
    }[how]
    with Hammer(service) as hammer:
        bad = damaged_build(live_index, "29991231T235959-bad000", spoil)
        assert wait_for(lambda: service.last_error is not None, SWAP_TIMEOUT), "the bad build was never tried"
        assert "make ingest" in service.last_error
        assert hammer.count_more(6), "answers stopped after the failed reload"
        assert service.health()["build_id"] == old
    assert hammer.failures == []

    # A good build after the bad one is still picked up.
    good = bad.parent / "29991231T235959-good00"
    shutil.copytree(bad.parent / old, good)
    manifest = json.loads((good / "manifest.json").read_text())
    manifest["build_id"] = good.name
    (good / "manifest.json").write_text(json.dumps(manifest))
    load_index(good)  # sanity: it is a sound build
    point_at(live_index, good)
    assert wait_for(lambda: service.health()["build_id"] == good.name, SWAP_TIMEOUT, lambda: service.answer("ice?", [])), service.last_error


# -- the same under a live app.py -------------------------------------------------------------------


@pytest.mark.slow
def test_a_live_server_picks_up_a_rebuild_and_keeps_answering(built_index_dir, embedder, settings, tmp_path):
    if not (PROJECT_ROOT / "app.py").exists():
        pytest.skip("app.py does not exist yet")
    from ingest.build import build_index

    index = copy_index(built_index_dir, tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT, env=app_env(index, tmp_path), stdout=log, stderr=subprocess.STDOUT,
    )
    failures: list[str] = []
    stop = threading.Event()
    answered = [0]

    def ask_forever() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            i = 0
            while not stop.is_set():
                try:
                    r = client.post("/api/ask", json={"message": QUESTIONS[i % len(QUESTIONS)]})
                    if r.status_code != 200 or r.json()["parts"][-1]["kind"] != "referral":
                        failures.append(f"{r.status_code}: {r.text[:200]}")
                    answered[0] += 1
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                i += 1

    def health() -> dict:
        try:
            r = httpx.get(url + "/healthz", timeout=5)
            return r.json() if r.status_code == 200 else {}
        except httpx.HTTPError:
            return {}

    try:
        assert wait_for(lambda: bool(health()) or process.poll() is not None, START_TIMEOUT), "server never came up"
        assert process.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
        old = health()["build_id"]
        asker = threading.Thread(target=ask_forever, daemon=True)
        asker.start()
        assert wait_for(lambda: answered[0] >= 2, 60)
        new_id = build_index([GUIDE], index, embedder, settings.index.chunk_target_tokens).directory.name
        assert new_id != old
        assert wait_for(lambda: health().get("build_id") == new_id, SWAP_TIMEOUT), "the server never switched"
        target = answered[0] + 4
        assert wait_for(lambda: answered[0] >= target, 60), "answers stopped after the switch"
        stop.set()
        asker.join(60)
        assert failures == []
    finally:
        stop.set()
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
