"""Generate a large synthetic workspace from the bundled example backend.

Each copy of `examples/backend/src` goes under `src/m<N>/` with its `@/`
imports re-pointed, so cross-file resolution works as in the original; files
are padded with realistic DTO mappers and validators to reach a target size.

    python bench/synthetic.py OUT_DIR --files 4000 --mb 30
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"

FILLER = """
export interface {name}Dto {{
  id: string;
  title: string;
  createdAt: string;
  tags: string[];
}}

export function to{name}Dto(row: {{ id: string; title: string; createdAt: Date; tags?: {{ name: string }}[] }}): {name}Dto {{
  // Mapping kept explicit so the API shape does not follow the schema by accident.
  return {{
    id: row.id,
    title: row.title.trim(),
    createdAt: row.createdAt.toISOString(),
    tags: (row.tags ?? []).map((tag) => tag.name.toLowerCase()),
  }};
}}

export function validate{name}(input: unknown): input is {name}Dto {{
  if (typeof input !== 'object' || input === null) return false;
  const candidate = input as Record<string, unknown>;
  return typeof candidate.id === 'string' && typeof candidate.title === 'string' && Array.isArray(candidate.tags);
}}
"""


def generate(out_dir: str | Path, n_files: int = 4000, total_mb: float = 30.0) -> Path:
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    (out / "src").mkdir(parents=True)
    shutil.copytree(EXAMPLE / "prisma", out / "prisma")
    (out / "tsconfig.json").write_text('{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] } } }\n')
    (out / "package.json").write_text('{ "name": "synthetic", "dependencies": { "express": "^4", "@prisma/client": "^5" } }\n')
    sources = sorted(p for p in (EXAMPLE / "src").rglob("*") if p.suffix == ".ts")
    texts = {p.relative_to(EXAMPLE / "src"): p.read_text(encoding="utf-8") for p in sources}
    target_bytes = total_mb * 1_000_000 / max(n_files, 1)
    written = 0
    copy = 0
    while written < n_files:
        for rel, text in texts.items():
            if written >= n_files:
                break
            body = text.replace("'@/", f"'@/m{copy}/").replace('"@/', f'"@/m{copy}/')
            i = 0
            while len(body.encode()) < target_bytes:
                body += FILLER.format(name=f"Entity{copy}x{i}")
                i += 1
            path = out / "src" / f"m{copy}" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            written += 1
        copy += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--mb", type=float, default=30.0)
    args = parser.parse_args()
    out = generate(args.out, args.files, args.mb)
    size = sum(f.stat().st_size for f in out.rglob("*.ts"))
    print(f"wrote {args.files} files, {size / 1e6:.1f} MB under {out}")


if __name__ == "__main__":
    main()
