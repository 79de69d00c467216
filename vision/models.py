"""``python -m vision.models check|fetch`` (see ``vision.fetch``), and the names callers used
to import from here. The code lives in ``vision.registry`` (pins), ``vision.loading``
(load once per worker) and ``vision.fetch`` (getting the files)."""

from __future__ import annotations

import sys

from vision.fetch import fetch, main
from vision.loading import RUNTIMES, VisionModels, load_models, runtime_for, verify_paddle_modules
from vision.registry import (
    EMBEDDING_STAGES,
    REGISTRY,
    STAGES,
    ModelFile,
    ModelSpec,
    ModelStatus,
    sha256_file,
    verify_files,
)

__all__ = [
    "EMBEDDING_STAGES", "REGISTRY", "RUNTIMES", "STAGES", "ModelFile", "ModelSpec", "ModelStatus", "VisionModels",
    "fetch", "load_models", "main", "runtime_for", "sha256_file", "verify_files", "verify_paddle_modules",
]

if __name__ == "__main__":
    sys.exit(main())
