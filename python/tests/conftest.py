"""pytest setup for recur's Python tests: hypothesis writes no example database (the tests run
from the build folder) and has no deadline (the machine may be shared)."""
from hypothesis import settings

settings.register_profile("recur", database=None, deadline=None, print_blob=True)
settings.load_profile("recur")
