"""The build's one part pyproject.toml cannot declare here: the loader's C fast path.

An optional extension: without a C compiler, or if the build fails, set-up goes on with a
warning and the loader takes the Python path (orchestration/parsing/plain_extract.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "orchestration.parsing._plain_extract",
            ["orchestration/parsing/plain_extract.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror"],
            optional=True,
        )
    ]
)
