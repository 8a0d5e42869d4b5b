"""Generate a large synthetic workspace from the bundled example backend.

Each copy of `examples/backend/src` goes under `src/m<N>/` with its `@/`
imports re-pointed, so cross-file resolution works as in the original; files
are padded with realistic DTO mappers and validators to reach a target size.
Each copy also holds a recursive reducer (`recursive_reducer`): one 14 KB
function that calls itself from many `case`s and hands its callback on,
the shape that once made the index's work grow exponentially.

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


# One `case` of the workflow reducer, by kind; {i} numbers it.
_REDUCER_CASES = (
    """    case 'batch{i}':
      // A batch applies its steps in order, each on the result of the last.
      return (step.steps ?? []).reduce((acc, inner) => applyStep(acc, inner, audit), state);
""",
    """    case 'nested{i}': {{
      audit(`nested{i}:${{step.id}}`);
      const child = applyStep(state.children[step.id ?? ''] ?? EMPTY, step.inner ?? NOOP, audit);
      return {{ ...state, children: {{ ...state.children, [step.id ?? '']: child }} }};
    }}
""",
    """    case 'each{i}':
      // The same step, applied to every item.
      return {{ ...state, items: state.items.map((item) => applyStep(item, step, audit)) }};
""",
    """    case 'retry{i}': {{
      const once = applyStep(state, step.inner ?? NOOP, audit);
      return once.failed ? applyStep(once, {{ kind: 'reset{i}' }}, audit) : once;
    }}
""",
    """    case 'guard{i}':
      if (!state.enabled) return state;
      return step.inner ? applyStep(state, step.inner, (line) => audit(`guard{i} ${{line}}`)) : state;
""",
)


def recursive_reducer(cases: int = 70) -> str:
    """A workflow reducer that calls itself from `cases` cases (70: ~14 KB)."""
    head = """\
export interface Step {
  kind: string;
  id?: string;
  inner?: Step;
  steps?: Step[];
}

export interface WorkflowState {
  enabled: boolean;
  failed: boolean;
  items: WorkflowState[];
  children: Record<string, WorkflowState>;
}

const EMPTY: WorkflowState = { enabled: true, failed: false, items: [], children: {} };
const NOOP: Step = { kind: 'noop' };

// Applies one step to a workflow's state; composite steps recurse.
export function applyStep(state: WorkflowState, step: Step, audit: (line: string) => void): WorkflowState {
  switch (step.kind) {
"""
    body = "".join(_REDUCER_CASES[i % len(_REDUCER_CASES)].format(i=i) for i in range(cases))
    return head + body + "    default:\n      return state;\n  }\n}\n"


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
        if written < n_files:
            path = out / "src" / f"m{copy}" / "workflow" / "applyStep.ts"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(recursive_reducer(), encoding="utf-8")
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
