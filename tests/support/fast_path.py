"""The C fast path is optional: its tests run where set-up built it and skip elsewhere, saying why."""

import pytest

from orchestration.parsing.plain_extract import LIBRARY, fast_path_built

needs_fast_path = pytest.mark.skipif(
    not fast_path_built(),
    reason=f"the C fast path is not built ({LIBRARY.name} is missing: set-up found no C compiler); "
    "the loader takes the Python path",
)
