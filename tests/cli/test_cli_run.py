"""`grader run` / `check` / `init`: exit codes, messages, and where reports go (fake runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import grader.reports
from grader.cli import cli
from grader.exitcodes import GraderError
from grader.reports import validate_gradescope
from grader.runner import SubmissionError

from cli_helpers import MODULES, REPO, make_result


def no_traceback(result) -> None:  # noqa: ANN001 - click's Result
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# -- exit 0 / 1 ---------------------------------------------------------------------


def test_text_report_to_stdout_and_summary_to_stderr(cli_runner: CliRunner, fake_grade, submission: Path) -> None:
    fake = fake_grade(make_result())
    result = cli_runner.invoke(cli, ["run", str(submission)])
    assert result.exit_code == 0, result.output
    assert "score 30.00 / 40.00 (75.0%)" in result.stderr
    assert "score 30.00 / 40.00" not in result.stdout  # stdout is the report only
    assert result.stdout.strip()
    assert fake.calls[0]["submission"] == submission
    assert fake.calls[0]["rubric"].name == "mlp-default" and fake.calls[0]["seed"] is None


def test_json_report_to_file_is_valid_gradescope(cli_runner: CliRunner, fake_grade, submission: Path,
                                                 tmp_path: Path) -> None:
    fake_grade(make_result())
    out = tmp_path / "results" / "deep" / "results.json"  # parents are created
    result = cli_runner.invoke(cli, ["run", str(submission), "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert validate_gradescope(report) == []
    assert report["score"] == 30
    assert f"-> {out}" in result.stderr and result.stdout == ""


def test_json_to_stdout_is_pure_json(cli_runner: CliRunner, fake_grade, submission: Path) -> None:
    fake_grade(make_result())
    result = cli_runner.invoke(cli, ["run", str(submission), "--format", "json"])
    assert result.exit_code == 0
    assert validate_gradescope(json.loads(result.stdout)) == []


@pytest.mark.parametrize("fmt", ["junit", "markdown", "html", "text"])
def test_every_format_writes(cli_runner: CliRunner, fake_grade, submission: Path, tmp_path: Path, fmt: str) -> None:
    fake_grade(make_result())
    out = tmp_path / f"report.{fmt}"
    result = cli_runner.invoke(cli, ["run", str(submission), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


@pytest.mark.parametrize("fail_under, code", [("74", 0), ("75", 0), ("76", 1), ("100", 1)])
def test_fail_under(cli_runner: CliRunner, fake_grade, submission: Path, fail_under: str, code: int) -> None:
    fake_grade(make_result())  # 75 %
    result = cli_runner.invoke(cli, ["run", str(submission), "--fail-under", fail_under])
    assert result.exit_code == code
    if code:
        assert f"below --fail-under {float(fail_under):g}%" in result.stderr


def test_seed_and_data_are_passed_to_the_runner(cli_runner: CliRunner, fake_grade, submission: Path,
                                                tmp_path: Path) -> None:
    fake = fake_grade(make_result())
    data = tmp_path / "mnist.npz"
    data.write_bytes(b"")
    assert cli_runner.invoke(cli, ["run", str(submission), "--seed", "7", "--data", str(data)]).exit_code == 0
    assert fake.calls[0]["seed"] == 7
    assert fake.calls[0]["rubric"].training.dataset == str(data.resolve())
    assert cli_runner.invoke(cli, ["run", str(submission), "--data", "mnist"]).exit_code == 0
    assert fake.calls[1]["rubric"].training.dataset == "mnist"


def test_nested_submission_folder_is_found(cli_runner: CliRunner, fake_grade, submission: Path, tmp_path: Path) -> None:
    outer = tmp_path / "upload"
    outer.mkdir()
    submission.rename(outer / "hw1")
    fake = fake_grade(make_result())
    result = cli_runner.invoke(cli, ["run", str(outer)])
    assert result.exit_code == 0, result.output
    assert fake.calls[0]["submission"] == outer / "hw1"
    assert "note: grading" in result.stderr


# -- exit 2 -------------------------------------------------------------------------


def one_line_error(result) -> str:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    no_traceback(result)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_missing_submission(cli_runner: CliRunner, fake_grade, tmp_path: Path) -> None:
    fake = fake_grade(make_result())
    line = one_line_error(cli_runner.invoke(cli, ["run", str(tmp_path / "nope")]))
    assert "does not exist" in line and "layers.py" in line
    assert fake.calls == []  # never graded


def test_empty_submission(cli_runner: CliRunner, fake_grade, tmp_path: Path) -> None:
    fake_grade(make_result())
    (tmp_path / "notes.txt").write_text("hi")
    line = one_line_error(cli_runner.invoke(cli, ["run", str(tmp_path)]))
    assert "holds none of layers.py, losses.py, optim.py, network.py" in line and "grader init" in line


def test_empty_upload_speaks_to_a_student_who_uploads(cli_runner: CliRunner, fake_grade, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake_grade(make_result())
    monkeypatch.setenv("GRADER_SUBMITTED_BY_UPLOAD", "1")  # as the Gradescope bundle sets it
    line = one_line_error(cli_runner.invoke(cli, ["run", str(tmp_path)]))
    assert "grader init" not in line
    assert "upload the files themselves (layers.py, losses.py, optim.py, network.py)" in line


def test_submission_is_a_file(cli_runner: CliRunner, fake_grade, tmp_path: Path) -> None:
    fake_grade(make_result())
    (tmp_path / "hw.zip").write_bytes(b"PK")
    line = one_line_error(cli_runner.invoke(cli, ["run", str(tmp_path / "hw.zip")]))
    assert "is a file, not a folder; unzip it first" in line


def test_bad_rubric_names_file_key_and_fix(cli_runner: CliRunner, fake_grade, submission: Path, tmp_path: Path) -> None:
    fake_grade(make_result())
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits]\nmemory_mb = -5\n")
    line = one_line_error(cli_runner.invoke(cli, ["run", str(submission), "--rubric", str(bad)]))
    assert line == f"Error: {bad}: limits.memory_mb = -5 must be a positive integer (MiB); e.g. memory_mb = 512"


def test_missing_rubric(cli_runner: CliRunner, fake_grade, submission: Path, tmp_path: Path) -> None:
    fake_grade(make_result())
    line = one_line_error(cli_runner.invoke(cli, ["run", str(submission), "--rubric", str(tmp_path / "r.toml")]))
    assert "rubric file not found" in line


def test_unknown_format_is_a_usage_error(cli_runner: CliRunner, fake_grade, submission: Path) -> None:
    fake_grade(make_result())
    result = cli_runner.invoke(cli, ["run", str(submission), "--format", "pdf"])
    assert result.exit_code == 2
    assert "'pdf' is not one of 'json', 'junit', 'markdown', 'text', 'html'" in result.stderr
    no_traceback(result)


def test_missing_data_path(cli_runner: CliRunner, fake_grade, submission: Path, tmp_path: Path) -> None:
    fake_grade(make_result())
    line = one_line_error(cli_runner.invoke(cli, ["run", str(submission), "--data", str(tmp_path / "m.npz")]))
    assert "no such file or folder" in line


def test_output_is_a_folder(cli_runner: CliRunner, fake_grade, submission: Path, tmp_path: Path) -> None:
    fake_grade(make_result())
    result = cli_runner.invoke(cli, ["run", str(submission), "--output", str(tmp_path)])
    assert result.exit_code == 2


def test_runner_submission_error_is_bad_input(cli_runner: CliRunner, fake_grade, submission: Path) -> None:
    fake_grade(SubmissionError("submission x holds none of layers.py; pass the folder"))
    line = one_line_error(cli_runner.invoke(cli, ["run", str(submission)]))
    assert line == "Error: submission x holds none of layers.py; pass the folder"


# -- exit 3 -------------------------------------------------------------------------


@pytest.mark.parametrize("exc, reason", [
    (RuntimeError("worker pool exploded"), "unexpected RuntimeError: worker pool exploded"),
    (GraderError("check module broken"), "check module broken"),
])
def test_grader_crash_still_writes_a_zero_report(cli_runner: CliRunner, fake_grade, submission: Path,
                                                 tmp_path: Path, exc: Exception, reason: str) -> None:
    fake_grade(exc)
    out = tmp_path / "results.json"
    result = cli_runner.invoke(cli, ["run", str(submission), "--format", "json", "--output", str(out)])
    assert result.exit_code == 3
    no_traceback(result)
    report = json.loads(out.read_text())
    assert validate_gradescope(report) == []
    assert report["score"] == 0
    assert reason in json.dumps(report)
    assert f"the grader itself failed: {reason}" in result.stderr


def test_grader_crash_text_to_stdout(cli_runner: CliRunner, fake_grade, submission: Path) -> None:
    fake_grade(RuntimeError("boom"))
    result = cli_runner.invoke(cli, ["run", str(submission)])
    assert result.exit_code == 3
    assert "boom" in result.stdout  # the report itself carries the reason


def test_broken_report_writer_still_leaves_valid_json(cli_runner: CliRunner, fake_grade, submission: Path,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_grade(make_result())

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("view")

    monkeypatch.setattr(grader.reports, "write_report", broken)
    out = tmp_path / "results.json"
    result = cli_runner.invoke(cli, ["run", str(submission), "--format", "json", "-o", str(out)])
    assert result.exit_code == 3
    no_traceback(result)
    report = json.loads(out.read_text())
    assert report["score"] == 0 and validate_gradescope(report) == []
    assert "could not be written" in report["output"] or "could not be written" in json.dumps(report)


def test_fail_under_does_not_mask_a_grader_failure(cli_runner: CliRunner, fake_grade, submission: Path) -> None:
    fake_grade(RuntimeError("boom"))
    assert cli_runner.invoke(cli, ["run", str(submission), "--fail-under", "50"]).exit_code == 3


# -- check ---------------------------------------------------------------------------


def test_check_uses_public_selfcheck_and_says_hidden_checks_may_fail(cli_runner: CliRunner, fake_grade,
                                                                     submission: Path) -> None:
    fake = fake_grade(make_result())
    result = cli_runner.invoke(cli, ["check", str(submission)])
    assert result.exit_code == 0, result.output
    rubric = fake.calls[0]["rubric"]
    assert rubric.name == "mlp-selfcheck" and rubric.public_only
    assert result.stdout.rstrip().endswith("may still fail.")
    assert "Hidden checks" in result.stdout


def test_check_defaults_to_the_current_folder(cli_runner: CliRunner, fake_grade, submission: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_grade(make_result())
    monkeypatch.chdir(submission)
    assert cli_runner.invoke(cli, ["check"]).exit_code == 0
    assert Path(fake.calls[0]["submission"]).resolve() == submission.resolve()


def test_check_public_only_cannot_be_turned_off(cli_runner: CliRunner, fake_grade, submission: Path,
                                               tmp_path: Path) -> None:
    fake = fake_grade(make_result())
    rubric = tmp_path / "r.toml"
    rubric.write_text("public_only = false\n")
    assert cli_runner.invoke(cli, ["check", str(submission), "--rubric", str(rubric)]).exit_code == 0
    assert fake.calls[0]["rubric"].public_only


def test_check_on_empty_folder(cli_runner: CliRunner, fake_grade, tmp_path: Path) -> None:
    fake_grade(make_result())
    line = one_line_error(cli_runner.invoke(cli, ["check", str(tmp_path)]))
    assert "holds none of" in line


# -- init ----------------------------------------------------------------------------


def test_init_copies_the_template_and_refuses_to_overwrite(cli_runner: CliRunner, tmp_path: Path) -> None:
    dest = tmp_path / "hw"
    result = cli_runner.invoke(cli, ["init", str(dest)])
    assert result.exit_code == 0, result.output
    for module in MODULES:
        assert (dest / f"{module}.py").read_text() == (REPO / "student_template" / f"{module}.py").read_text()
    (dest / "layers.py").write_text("# my work\n")
    again = cli_runner.invoke(cli, ["init", str(dest)])
    assert again.exit_code == 2 and "already has" in again.stderr and "--force" in again.stderr
    assert (dest / "layers.py").read_text() == "# my work\n"
    forced = cli_runner.invoke(cli, ["init", str(dest), "--force"])
    assert forced.exit_code == 0
    assert (dest / "layers.py").read_text() != "# my work\n"


def test_init_into_a_file_is_bad_input(cli_runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("")
    assert cli_runner.invoke(cli, ["init", str(target)]).exit_code == 2


# -- the group -----------------------------------------------------------------------


def test_help_lists_commands_and_exit_codes(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "check", "init", "batch", "bundle", "data"):
        assert command in result.output
    assert "3 the grader failed" in result.output
