"""Pre-render the spoken prompts of the recording page with an offline TTS (issue 15).

    python scripts/make_prompt_audio.py [--out web/static/audio]

Why pre-rendered: WeChat's in-app browser often has no zh-CN speechSynthesis voice, so
an 85-year-old would get no spoken prompt at all. espeak-ng (Debian package
``espeak-ng``, GPL-3, offline) renders each prompt to a small WAV file; the page plays
it and falls back to speechSynthesis only when playing fails. The files are generated,
not committed (web/static/audio/ is ignored); ``manifest.json`` records each prompt's
length, which must stay below the speech time the server plans for (flows.certify.SPEECH_S).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from wording.zh import PROMPTS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "web" / "static" / "audio")
    ap.add_argument("--voice", default="cmn", help="espeak-ng voice (cmn: Mandarin)")
    ap.add_argument("--speed", type=int, default=175, help="espeak-ng speed (its Mandarin voice is slow: 175 gives ~0.45 s a syllable)")
    args = ap.parse_args(argv)
    exe = shutil.which("espeak-ng")
    if exe is None:
        print("espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for key, text in PROMPTS.items():
        dst = args.out / f"{key}.wav"
        subprocess.run([exe, "-v", args.voice, "-s", str(args.speed), "-w", str(dst), text], check=True)
        with wave.open(str(dst)) as w:
            manifest[key] = {"text": text, "seconds": round(w.getnframes() / w.getframerate(), 2),
                             "bytes": dst.stat().st_size}
    (args.out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    for key, m in manifest.items():
        print(f"{key:14s} {m['seconds']:5.2f} s  {m['bytes']:7d} B  {m['text']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
