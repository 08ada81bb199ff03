import pytest


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    from matcalc.cli import main

    def run(*argv):
        try:
            status = main(list(argv))
        except SystemExit as exit:
            status = exit.code
        captured = capsys.readouterr()
        return status, captured.out, captured.err
    return run
