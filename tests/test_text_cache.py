"""The typesetter's cache of drawn strings: reused while it fits its byte budget, the least
recently used forgotten past it, so a caption new every frame cannot grow a render's memory."""

from __future__ import annotations

import numpy as np

from vizff.draw import text
from vizff.draw.text import Typesetter


def test_new_strings_every_frame_stay_within_the_budget(monkeypatch):
    monkeypatch.setattr(text, "PICTURE_BYTES", 200_000)
    setter = Typesetter()
    frame = np.full((100, 800, 3), 255, dtype=np.uint8)
    kept = setter.lay("kept", 20)
    for step in range(400):
        setter.draw(frame, kept, (10, 50), (0, 0, 0))  # reused every frame: never forgotten
        laid = setter.lay(f"step {step}/400   loss {step / 7:.4f}", 20)
        setter.draw(frame, laid, (100, 50), (0, 0, 0))
        assert setter._picture_bytes <= 200_000
    assert setter._picture_bytes == sum(p.nbytes for p in setter._pictures.values())
    assert any(key[0] == kept.key for key in setter._pictures)
    assert len(setter._pictures) < 400
