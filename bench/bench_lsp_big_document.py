"""Latency of the other documents while a 5 MB document is open.

    python bench/bench_lsp_big_document.py            # 5 MB document, 40 rounds
    python bench/bench_lsp_big_document.py --mb 2 --rounds 100

Opens a small service file of tests/lsp/fixtures/backend, waits for its
diagnostics, then opens a ~5 MB service file and, while typing into it,
sends a hover and a code action on the small file and edits it: prints
p50/p95/max from each request to its answer, and from each edit of the
small file to its `publishDiagnostics`. Target: every figure within 200 ms.
Also the server's RSS at the end. Run by hand, not in CI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lsp import CAPABILITIES, Client, big_service, percentile  # noqa: E402

BACKEND = Path(__file__).resolve().parent.parent / "tests/lsp/fixtures/backend"
SMALL = "src/services/user.service.ts"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=5.0, help="size of the big document")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perfaudit-bench-") as tmp:
        root = Path(tmp) / "backend"
        shutil.copytree(BACKEND, root)
        small, big = root / SMALL, root / "src/services/catalog.service.ts"
        small_text = small.read_text()
        big_text = big_service(int(args.mb * 1e6 / 31))
        client = Client([sys.executable, "-m", "perfaudit.server.lsp"], str(root))
        client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": CAPABILITIES})
        client.notify("initialized", {})
        open_ = lambda p, t: client.notify("textDocument/didOpen", {"textDocument": {  # noqa: E731
            "uri": p.as_uri(), "languageId": "typescript", "version": 1, "text": t}})
        open_(small, small_text)
        client.wait_published(small.as_uri(), 1, 60)
        opened = time.perf_counter()
        open_(big, big_text)
        requests: list[float] = []
        edits: list[float] = []
        for i in range(args.rounds):
            version = i + 2
            pos = {"line": 3, "character": 0}
            client.notify("textDocument/didChange", {"textDocument": {"uri": big.as_uri(), "version": version},
                                                     "contentChanges": [{"range": {"start": pos, "end": pos}, "text": "x"}]})
            for method, params in (
                ("textDocument/hover", {"textDocument": {"uri": small.as_uri()}, "position": {"line": 3, "character": 4}}),
                ("textDocument/codeAction", {"textDocument": {"uri": small.as_uri()},
                                             "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}},
                                             "context": {"diagnostics": []}}),
            ):
                t = time.perf_counter()
                client.request(method, params)
                requests.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": small.as_uri(), "version": version},
                                                     "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                                                                         "text": "//\n" if i % 2 == 0 else ""}]})
            at = client.wait_published(small.as_uri(), version, 30)
            edits.append((at - t) * 1000 if at else float("nan"))
        with client.cond:
            notes = [at for (uri, _), at in client.published.items() if uri == big.as_uri()]
        first_note = f"{(min(notes) - opened) * 1000:.0f} ms" if notes else "never"
        print(f"big document: {len(big_text.encode()) / 1e6:.1f} MB; its first note published {first_note} after didOpen")
        for name, values in (("hover/codeAction on another document", requests), ("edit of another document to its diagnostics", edits)):
            print(f"{name}: p50 {percentile(values, 50):.0f} ms, p95 {percentile(values, 95):.0f} ms, max {max(values):.0f} ms ({len(values)} samples)")
        print(f"server RSS: {client.rss_mb():.0f} MB")
        client.request("shutdown", None)
        client.notify("exit", None)
        client.proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
