"""Cross-file re-checks: an edit in one file changes another file's findings."""

import shutil
from pathlib import Path

from lsp_support import Editor, codes, diagnostics, has, initialize, position_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backend"


async def test_editing_the_repository_clears_the_n_plus_one_in_the_controller(client, tmp_path):
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    await initialize(client, root)
    controller = Editor(client, root / "src/controllers/readList.controller.ts")
    ds = await diagnostics(client, controller.uri, has("P104"))
    loop_line = controller.line_of("await readListItemService.create(")
    assert (loop_line, "P104") in codes(ds, "P104")

    # The repository stops querying: the controller is re-checked and
    # re-published without being edited itself.
    repo = Editor(client, root / "src/repositories/readListItem.repository.ts")
    old = "return this.prisma.readListItem.create({ data, select: readListItemFields });"
    start = repo.text.index(old)
    repo.replace(position_of(repo.text, start), position_of(repo.text, start + len(old)),
                 "return Promise.resolve(data as unknown as ReadListItemRow);")
    await diagnostics(client, controller.uri, lambda ds: (loop_line, "P104") not in codes(ds, "P104"))
    assert controller.version == 1
