"""What collection made is frozen out of the garbage collector's way while the steps run; a
session inside another thaws it at its end, and a second session in one process thaws what the
first left frozen before it starts."""

from __future__ import annotations

import gc
import subprocess
import sys

from conftest import Project, step

RECIPE = "test_meta:\n  test_id: GC-1\nsteps:\n" + step("one") + step("two")


def test_a_session_inside_another_leaves_nothing_frozen(project: Project) -> None:
    project.recipe("r", RECIPE)
    before = gc.get_freeze_count()
    project.write("conftest.py", '''
import gc

def pytest_runtest_call(item):
    assert gc.get_freeze_count() > 0, "the collected items are frozen while steps run"
''')
    project.run("-p", "no:randomly").assert_outcomes(passed=2)
    assert gc.get_freeze_count() == before


def test_a_second_session_in_one_process_thaws_what_the_first_left(project: Project) -> None:
    project.recipe("r", RECIPE)
    project.write("twice.py", '''
import gc
import sys

import pytest

args = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "recipes/r.yaml"]
assert pytest.main(args) == 0
print("after the first:", gc.get_freeze_count() > 0)


class Probe:
    @pytest.hookimpl(trylast=True)  # after the orchestrator's own
    def pytest_configure(self, config):
        print("when the second is configured:", gc.get_freeze_count())


assert pytest.main(args, plugins=[Probe()]) == 0
''')
    done = subprocess.run([sys.executable, "twice.py"], cwd=project.root, text=True,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "after the first: True" in done.stdout  # left frozen: the process may exit now
    assert "when the second is configured: 0" in done.stdout
