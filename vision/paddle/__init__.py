"""Paddle runtime (issue #5): PaddleHub module folders built from the pinned ONNX weights.

``vision.paddle.build`` makes the folders (needs the paddle environment:
``scripts/bootstrap.sh --paddle``); ``vision.paddle.backend`` runs them behind the existing
detector / anti-spoof interfaces. Nothing here imports paddle at import time.
"""
