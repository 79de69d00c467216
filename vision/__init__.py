"""Face analysis: video input, detection, landmarks, liveness, embedding, anti-spoofing. No Flask, no storage."""
