"""Chromium as the screenshot tests start it, and what a screenshot must look like."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
MAX_PNG_BYTES = 500 * 1024
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def assert_looks_like_a_page(png: Path, width: int, height: int) -> None:
    """Under the size limit, the size asked for, and not blank: inked pixels in many colours."""
    assert png.stat().st_size < MAX_PNG_BYTES, png.stat().st_size
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[:2] == (height, width), pixels.shape
    inked = (pixels.min(axis=2) < 235).mean()
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert inked > 0.01, f"{png.name} is blank: {inked:.1%} of pixels inked"
    assert colours > 300, f"{png.name} has only {colours} colours"
