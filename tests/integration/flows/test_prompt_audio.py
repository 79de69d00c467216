"""Spoken prompts work without a browser speech engine (issue 15): every prompt is
pre-rendered by an offline TTS, and each fits the speech time the server plans for."""

from __future__ import annotations

import json
import subprocess
import sys

from flows.certify import SPEECH_S
from tests.conftest import REPO
from vision.liveness import ACTIONS
from wording.zh import PROMPTS


def test_every_prompt_is_rendered_and_fits_its_planned_speech_time(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_prompt_audio.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(PROMPTS) <= set(manifest)
    for key in PROMPTS:
        wav = (tmp_path / f"{key}.wav").read_bytes()
        assert wav[:4] == b"RIFF" and len(wav) < 400_000, key  # small files
    for action in ACTIONS:
        assert manifest[action]["seconds"] <= SPEECH_S[action], (action, manifest[action])


def test_the_page_plays_the_rendered_audio_and_speaks_only_as_a_fallback():
    js = (REPO / "web" / "static" / "record.js").read_text()
    assert 'new Audio(AUDIO_BASE + key + ".wav")' in js and "speakFallback(text)" in js
    assert "第" in js and "步 / 共" in js  # the step counter
    assert 'startBtn.style.display = "none"' in js  # no button to press while recording
