"""Not a test: the pytest suite tests/check_skips.py runs to see skip_status.py report a skip.
One test passes, one skips, and one fails where RECUR_TEST_FAIL is set."""
import os

import pytest


def test_passes():
    assert 1 + 1 == 2


def test_skips():
    pytest.skip("skipped on purpose")


def test_fails_when_asked():
    assert "RECUR_TEST_FAIL" not in os.environ, "failed on purpose"
