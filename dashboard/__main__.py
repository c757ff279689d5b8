"""`python -m dashboard` (what `make dashboard` runs): the desk dashboard on 127.0.0.1, on
port DASHBOARD_PORT (default 8501), headless and without usage statistics."""

import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = "8501"


def command(port: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1",
        "--server.port", port,
        "--server.headless", "true",
        # The app's code does not change under a running desk: no file watching, no rerun on save.
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",  # no Deploy button: the desk only reads
    ]


if __name__ == "__main__":
    argv = command(os.environ.get("DASHBOARD_PORT", DEFAULT_PORT))
    os.execv(argv[0], argv)  # the same process: a signal to it reaches Streamlit
