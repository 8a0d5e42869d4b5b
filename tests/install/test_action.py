"""action.yml, the composite GitHub Action, run step by step as a runner
would: its `run:` scripts under `bash -eo pipefail` with the runner's files
(GITHUB_OUTPUT, GITHUB_PATH, RUNNER_TEMP) and `${{ }}` expressions filled in
from the inputs and the earlier steps' outputs; pip installs from the
session's wheelhouse. The `uses:` steps are
GitHub's own actions: setup-python is stood in for by this interpreter, and
the SARIF upload is checked for the file it would send. PATH holds no
perfaudit but what the action installs from its own checkout (this
repository)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from install_support import EXAMPLE, REPO, SKIP_INSTALL, offline_env, run

pytestmark = SKIP_INSTALL
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


class Runner:
    """One job: the action's steps share RUNNER_TEMP and GITHUB_PATH."""

    def __init__(self, tmp: Path, wheelhouse: Path):
        self.tmp = tmp
        self.wheelhouse = wheelhouse
        self.temp = tmp / "runner-temp"
        self.temp.mkdir()
        self.github_path = tmp / "github_path"
        self.github_path.write_text("")
        # No directory that has a perfaudit (this venv's bin): only the action's install counts.
        self.base_path = os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not (Path(p) / "perfaudit").exists()
        )

    def value(self, expr: str, inputs: dict, outputs: dict) -> str:
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        if expr == "github.action_path":
            return str(REPO)
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            return outputs.get(m[1], {}).get(m[2], "")
        raise AssertionError(f"the test does not know the expression {expr!r}")

    def fill(self, text: str, inputs: dict, outputs: dict) -> str:
        return EXPR.sub(lambda m: self.value(m[1], inputs, outputs), str(text))

    def run_steps(self, workdir: Path, given: dict, only: set[str] | None = None) -> tuple[dict, dict]:
        """Runs the action's steps; the `uses:` ones as described above. Returns
        (step outputs, step results: id or name -> exit status or what was checked)."""
        inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        inputs.update(given)
        outputs: dict[str, dict[str, str]] = {"python": {"python-path": sys.executable}}
        results: dict[str, object] = {}
        for step in ACTION["runs"]["steps"]:
            key = step.get("id") or step.get("name") or step.get("uses")
            if only is not None and key not in only:
                continue
            if "uses" in step:
                results[key] = self.uses(step, inputs, outputs, workdir)
                continue
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], f"{key}: expressions belong in env:, not in the script"
            out_file = self.tmp / f"output-{len(results)}"
            out_file.write_text("")
            extra = [line for line in self.github_path.read_text().splitlines() if line]
            env = offline_env(
                self.wheelhouse,
                PATH=os.pathsep.join([*reversed(extra), self.base_path]),
                GITHUB_OUTPUT=str(out_file),
                GITHUB_PATH=str(self.github_path),
                RUNNER_TEMP=str(self.temp),
                **{k: self.fill(v, inputs, outputs) for k, v in step.get("env", {}).items()},
            )
            cwd = workdir / self.fill(step.get("working-directory", "."), inputs, outputs)
            proc = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd, env=env, timeout=600)
            outputs[step.get("id", key)] = dict(
                line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line
            )
            results[key] = proc
            if proc.returncode != 0:
                break  # a failing step ends the job
        return outputs, results

    def uses(self, step: dict, inputs: dict, outputs: dict, workdir: Path):
        name = step["uses"].split("@")[0]
        if name == "actions/setup-python":
            return "python"
        if name == "github/codeql-action/upload-sarif":
            sarif = workdir / self.fill(step["with"]["sarif_file"], inputs, outputs)
            return json.loads(sarif.read_text())
        raise AssertionError(f"unexpected action {step['uses']}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheelhouse) -> Runner:
    """The install step, once: perfaudit from this checkout into RUNNER_TEMP."""
    runner = Runner(tmp_path_factory.mktemp("action"), wheelhouse)
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name", "").startswith("Install perfaudit"))
    _, results = runner.run_steps(runner.tmp, {}, only={"python", install["name"]})
    proc = results[install["name"]]
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.startswith("perfaudit 0."), proc.stdout
    assert str(runner.temp) in runner.github_path.read_text()
    return runner


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "backend")
    return tmp_path


CHECK_STEPS = {"sarif", "Upload the SARIF to code scanning", "perfaudit (the gate)"}


def test_defaults_upload_every_finding_and_fail_the_job(installed: Runner, project: Path) -> None:
    outputs, results = installed.run_steps(project, {"working-directory": "backend"}, only=CHECK_STEPS)
    assert results["sarif"].returncode == 0, results["sarif"].stderr
    assert outputs["sarif"] == {"file": "perfaudit.sarif"}
    sarif = results["Upload the SARIF to code scanning"]
    assert sarif["version"] == "2.1.0"
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert {"P104", "P105", "R201"} <= rules
    gate = results["perfaudit (the gate)"]
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "P104" in gate.stdout


def test_a_baseline_lets_known_findings_pass(installed: Runner, project: Path) -> None:
    perfaudit = Path(installed.temp) / "perfaudit-venv" / "bin" / "perfaudit"
    made = run([str(perfaudit), "check", "--write-baseline", "perfaudit-baseline.json"], cwd=project / "backend")
    assert made.returncode == 0, made.stderr
    _, results = installed.run_steps(
        project, {"working-directory": "backend", "baseline": "perfaudit-baseline.json"}, only=CHECK_STEPS
    )
    gate = results["perfaudit (the gate)"]
    assert gate.returncode == 0, gate.stdout + gate.stderr
    # The SARIF still has every finding: code scanning tracks the open ones.
    assert len(results["Upload the SARIF to code scanning"]["runs"][0]["results"]) > 20


def test_paths_and_fail_on_reach_perfaudit(installed: Runner, project: Path) -> None:
    # Only the routes folder, failing on errors only: its findings are warnings.
    _, results = installed.run_steps(
        project, {"paths": "backend/src/routes backend/src/app.ts", "fail-on": "error"}, only=CHECK_STEPS
    )
    gate = results["perfaudit (the gate)"]
    assert gate.returncode == 0, gate.stdout + gate.stderr
    paths = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results["Upload the SARIF to code scanning"]["runs"][0]["results"]
    }
    assert paths and all("routes/" in p or p.endswith("app.ts") for p in paths), paths


def test_a_configuration_error_fails_the_sarif_step(installed: Runner, project: Path) -> None:
    (project / "backend" / "perfaudit.toml").write_text("[severity]\nP104 = \"fatal\"\n")
    _, results = installed.run_steps(project, {"working-directory": "backend"}, only=CHECK_STEPS)
    assert results["sarif"].returncode == 2, results["sarif"].stderr
    assert "Upload the SARIF to code scanning" not in results
