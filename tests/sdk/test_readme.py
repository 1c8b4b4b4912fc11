"""The README's snippets, run as written: every fenced block tagged `sh tested` or
`python tested`, with nothing in the environment but what the README tells a newcomer to
export (HOME points at an empty directory, so no AWS config or credentials file is read). The
only change is the endpoint: the README's http://localhost:4566 becomes the test server's."""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from conftest import REPO

README = REPO / "README.md"
FENCE = re.compile(r"^```(\w+) tested\n(.*?)^```$", re.S | re.M)
README_ENDPOINT = "http://localhost:4566"


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text()) if lang == language]


def readme_environment() -> dict[str, str]:
    """The variables the README's `export` lines set."""
    env = {}
    for block in blocks("sh"):
        for line in block.splitlines():
            if line.startswith("export "):
                for word in shlex.split(line)[1:]:
                    name, _, value = word.partition("=")
                    env[name] = value
    return env


def newcomer_env(endpoint: str, home: pathlib.Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    # The venv's bin first, so `aws` is the pinned AWS CLI v1 and `python` has boto3.
    path = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra or {})
    return {k: v.replace(README_ENDPOINT, endpoint) for k, v in env.items()}


def test_readme_has_tested_shell_and_python_blocks():
    assert len(blocks("sh")) >= 2 and len(blocks("python")) >= 1
    env = readme_environment()
    assert env["AWS_ENDPOINT_URL"] == README_ENDPOINT
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"


def test_readme_shell_commands_work_as_written(endpoint, tmp_path):
    script = "set -euo pipefail\n" + "\n".join(blocks("sh")).replace(README_ENDPOINT, endpoint)
    result = subprocess.run(
        ["bash", "-c", script],
        env=newcomer_env(endpoint, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert '"Account": "000000000000"' in result.stdout
    assert "/000000000000/jobs" in result.stdout
    assert "arn:aws:sns:us-east-1:000000000000:orders" in result.stdout
    assert "arn:aws:states:us-east-1:000000000000:stateMachine:hello" in result.stdout


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_readme_python_snippet_prints_what_its_comments_say(endpoint, tmp_path, index):
    code = blocks("python")[index]
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=newcomer_env(endpoint, tmp_path, readme_environment()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    # `print(...)  # hello` promises the line `hello`.
    promised = [line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(") and "#" in line]
    assert result.stdout.split() == promised, result.stdout


JS = REPO / "tests" / "sdk" / "js"


@pytest.mark.parametrize("index", range(len(blocks("js"))))
def test_readme_javascript_snippet_prints_what_its_comments_say(endpoint, tmp_path, index):
    if not (JS / "node_modules" / "@aws-sdk" / "client-sqs").is_dir():
        message = "tests/sdk/js has no node_modules: scripts/test installs them with npm when node is there"
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)
    code = blocks("js")[index]
    # Beside node_modules, so that `import "@aws-sdk/client-sqs"` resolves as in a project.
    script = JS / f"readme-snippet-{index}.mjs"
    script.write_text(code)
    try:
        result = subprocess.run(
            ["node", str(script)],
            env=newcomer_env(endpoint, tmp_path, readme_environment()),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        script.unlink()
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    promised = [line.split("//", 1)[1].strip() for line in code.splitlines() if line.startswith("console.log(") and "//" in line]
    assert result.stdout.split() == promised, result.stdout
