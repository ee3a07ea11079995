"""Issue 17: live control against the real daemon. A WebSocket listener receives the session's
Opus packets (numbered, so each decoded sample has its stream position) and its events; the
decoded audio goes through ffmpeg filters for the spectral checks:
  - PATCH layers.pad=false: the pad's band goes quiet from the point the change_scheduled event
    names, which lies within 250 ms of the request's stream position;
  - PATCH key: the decoded pitch classes move to the new key from the next bar;
  - no click at either point (MUSIC.md's join check: 10 ms peaks above 6 kHz within +-50 ms of
    the point stay under the 2 s median + 20 dB);
  - 1,000 PATCHes in 60 s: no underrun, no silent unit, no deadline miss, no silent stretch."""
import array
import json
import math
import os
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import Daemon
from wsclient import OpusDecoder, WebSocket, parse_audio

RATE = 48000
PACKET = 960


def request(daemon, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(daemon.base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


class Listener:
    """A WebSocket listener: decoded audio by stream frame, events with the frame they came at."""

    def __init__(self, port, sid):
        self.ws = WebSocket(port, f"/ws/{sid}")
        self.decoder = OpusDecoder()
        self.first_frame = None
        self.pcm = array.array("f")  # interleaved stereo from first_frame on
        self.events = []             # (stream frame received so far, event)
        self.packets = []            # packet numbers, in order
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                op, payload = self.ws.recv()
            except Exception:
                return
            with self.lock:
                if op == 2:
                    first, _, packets = parse_audio(payload)
                    if self.first_frame is None:
                        self.first_frame = first * PACKET
                    for i, p in enumerate(packets):
                        self.packets.append(first + i)
                        self.pcm.extend(self.decoder.decode(p))
                elif op == 1:
                    self.events.append((self.end_frame(), json.loads(payload)))

    def end_frame(self):
        return (self.first_frame or 0) + len(self.pcm) // 2

    def wait_frames(self, frame, timeout_s=60):
        t0 = time.time()
        while time.time() - t0 < timeout_s:
            with self.lock:
                if self.first_frame is not None and self.end_frame() >= frame:
                    return
            time.sleep(0.02)
        raise AssertionError(f"the stream did not reach frame {frame}")

    def event(self, kind, change_id, timeout_s=20):
        t0 = time.time()
        while time.time() - t0 < timeout_s:
            with self.lock:
                for at, ev in self.events:
                    if ev.get("type") == kind and ev.get("id") == change_id:
                        return at, ev
            time.sleep(0.02)
        raise AssertionError(f"no {kind} event for change {change_id}")

    def mono(self, start, end):
        """Mono samples of stream frames [start, end)."""
        with self.lock:
            a = max(0, start - self.first_frame)
            b = min(len(self.pcm) // 2, end - self.first_frame)
            return [0.5 * (self.pcm[2 * i] + self.pcm[2 * i + 1]) for i in range(a, b)]

    def close(self):
        self.stop = True
        self.ws.close()


def ffmpeg_filter(samples, filters, rate=RATE, out_rate=RATE):
    """Runs mono float samples through an ffmpeg filter graph; returns the filtered samples."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.f32")
        with open(src, "wb") as f:
            array.array("f", samples).tofile(f)
        out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(rate),
                              "-ac", "1", "-i", src, "-af", filters, "-ar", str(out_rate),
                              "-f", "f32le", "-"], capture_output=True, timeout=60, check=True)
        return array.array("f", out.stdout).tolist()


def rms_db(x):
    if not x:
        return -200.0
    return 10 * math.log10(sum(v * v for v in x) / len(x) + 1e-20)


def click_margin_db(samples, at):
    """MUSIC.md's join check at sample `at`: the 10 ms peak above 6 kHz within +-50 ms, in dB
    over the median of the 10 ms peaks of the 2 s around it."""
    hp = ffmpeg_filter(samples, "highpass=f=6000,highpass=f=6000")
    peaks = [max(abs(v) for v in hp[i:i + 480]) for i in range(0, len(hp) - 480, 480)]
    near = [p for k, p in enumerate(peaks) if abs(k * 480 + 240 - at) <= 2400 + 240]
    around = sorted(p for k, p in enumerate(peaks) if abs(k * 480 - at) <= RATE)
    median = around[len(around) // 2]
    return 20 * math.log10((max(near) + 1e-9) / (median + 1e-9))


def chroma(samples, rate):
    """Energy per pitch class (Goertzel over MIDI 45..84)."""
    out = [0.0] * 12
    for midi in range(45, 85):
        f = 440.0 * 2 ** ((midi - 69) / 12)
        c = 2 * math.cos(2 * math.pi * f / rate)
        s1 = s2 = 0.0
        for x in samples:
            s1, s2 = x + c * s1 - s2, s1
        out[midi % 12] += s1 * s1 + s2 * s2 - c * s1 * s2
    return out


def scale(tonic, steps=(0, 2, 3, 5, 7, 8, 10)):  # aeolian
    return {(tonic + s) % 12 for s in steps}


class LiveControl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon("--set", "api.max_sessions=10").start()
        while cls.daemon.get_json("/readyz")[0] != 200:
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def session(self, **params):
        body = {"seed": 5, "tempo_bpm": 120, "key": "D", "mode": "aeolian", **params}
        sid = request(self.daemon, "POST", "/api/v1/sessions", body)["id"]
        self.addCleanup(request, self.daemon, "DELETE", f"/api/v1/sessions/{sid}")
        listener = Listener(self.daemon.port, sid)
        self.addCleanup(listener.close)
        return sid, listener

    def test_pad_off_goes_quiet_at_once_without_a_click(self):
        only_pad = {"pad": True, "lead": False, "bass": False, "texture": False, "percussion": False}
        sid, ls = self.session(layers=only_pad)
        ls.wait_frames(8 * RATE)  # past the first chord's entries
        asked_at = ls.end_frame()
        resource = request(self.daemon, "PATCH", f"/api/v1/sessions/{sid}",
                           {"layers": {**only_pad, "pad": False}})
        self.assertFalse(resource["params"]["layers"]["pad"])
        heard_frame = None
        t0 = time.time()
        while heard_frame is None and time.time() - t0 < 10:
            with ls.lock:
                for _, ev in ls.events:
                    if ev.get("type") == "change_scheduled":
                        heard_frame = round(ev["at_s"] * RATE)
            time.sleep(0.02)
        self.assertIsNotNone(heard_frame, "no change_scheduled event")
        # Heard within the target after the request (the listener's edge lags the encoder by a
        # fan-out batch, so the request's stream position is at most this late).
        self.assertLess((heard_frame - asked_at) / RATE, 0.25)
        ls.wait_frames(heard_frame + 2 * RATE)
        start = heard_frame - 2 * RATE
        audio = ls.mono(start, heard_frame + 2 * RATE)
        # The pad's fundamentals, mostly below the plate reverb's 200 Hz input high-pass.
        band = ffmpeg_filter(audio, "highpass=f=80,lowpass=f=190,lowpass=f=190")
        at = heard_frame - start
        before = rms_db(band[at - RATE:at])
        after = rms_db(band[at + int(0.15 * RATE):at + int(0.4 * RATE)])
        print(f"pad band: {before:.1f} dB before, {after:.1f} dB from 150 to 400 ms after")
        self.assertGreater(before, -60, "the pad was not sounding before the change")
        # What is left is the plate's tail (12-13 dB down in the manual-clock drill).
        self.assertLess(after, before - 8, "the pad's band did not go quiet within 150 ms")
        margin = click_margin_db(audio, at)
        print(f"click check at the change: {margin:.1f} dB over the 2 s median")
        self.assertLess(margin, 20)

    def test_key_change_moves_the_pitch_classes_from_the_next_bar(self):
        sid, ls = self.session(layers={"pad": True, "lead": False, "bass": False, "texture": False,
                                       "percussion": False})
        ls.wait_frames(5 * RATE)
        asked_at = ls.end_frame()
        request(self.daemon, "PATCH", f"/api/v1/sessions/{sid}", {"key": "G#"})
        heard_frame = None
        t0 = time.time()
        while heard_frame is None and time.time() - t0 < 10:
            with ls.lock:
                for _, ev in ls.events:
                    if ev.get("type") == "change_scheduled" and ev.get("kind") == "musical":
                        heard_frame = round(ev["at_s"] * RATE)
            time.sleep(0.02)
        self.assertIsNotNone(heard_frame, "no musical change_scheduled event")
        bar = 2 * RATE  # 4 beats at 120 BPM
        self.assertEqual(heard_frame % bar, 0, "the change is not on a bar line")
        self.assertLessEqual(heard_frame - asked_at, bar + int(0.25 * RATE) + 2048)
        ls.wait_frames(heard_frame + 3 * RATE)
        old, new = scale(2), scale(8)
        decim = 8000

        def shares(a, b):
            x = ffmpeg_filter(ls.mono(a, b), "lowpass=f=1500", out_rate=decim)
            c = chroma(x, decim)
            total = sum(c) or 1
            return sum(c[p] for p in old - new) / total, sum(c[p] for p in new - old) / total

        old_before, new_before = shares(heard_frame - int(1.5 * RATE), heard_frame)
        old_after, new_after = shares(heard_frame + int(0.6 * RATE), heard_frame + int(2.0 * RATE))
        print(f"old/new key share: before {old_before:.2f}/{new_before:.2f}, "
              f"after {old_after:.2f}/{new_after:.2f}")
        self.assertGreater(old_before, new_before)
        self.assertGreater(new_after, old_after)
        start = heard_frame - 2 * RATE
        margin = click_margin_db(ls.mono(start, heard_frame + 2 * RATE), heard_frame - start)
        print(f"click check at the key change: {margin:.1f} dB over the 2 s median")
        self.assertLess(margin, 20)

    def test_a_thousand_patches_in_a_minute_keep_the_stream_whole(self):
        sid, ls = self.session()
        ls.wait_frames(2 * RATE)
        first = ls.end_frame()
        t0 = time.time()
        for i in range(1000):
            body = {"brightness": round(0.2 + 0.6 * (i % 7) / 6, 3)} if i % 4 else \
                   {"energy": round(0.3 + 0.4 * (i % 5) / 4, 3)}
            request(self.daemon, "PATCH", f"/api/v1/sessions/{sid}", body)
            time.sleep(max(0.0, t0 + 0.06 * (i + 1) - time.time()))
        ls.wait_frames(ls.end_frame() + RATE)
        with ls.lock:
            packets = list(ls.packets)
        self.assertEqual(packets, list(range(packets[0], packets[0] + len(packets))),
                         "packets missing")
        audio = ls.mono(first, ls.end_frame())
        quiet = 0
        longest = 0
        for i in range(0, len(audio) - 480, 480):
            if max(abs(v) for v in audio[i:i + 480]) < 1e-4:
                quiet += 1
                longest = max(longest, quiet)
            else:
                quiet = 0
        self.assertLess(longest * 10, 50, "a silent stretch in the stream")
        status = request(self.daemon, "GET", f"/api/v1/sessions/{sid}")
        with urllib.request.urlopen(self.daemon.base + "/metrics", timeout=10) as r:
            text = r.read().decode()
        for name in ("auralis_underrun_frames_total", "auralis_silent_phrases_total",
                     "auralis_deadline_misses_total"):
            line = [l for l in text.splitlines() if l.startswith(name + " ")]
            self.assertTrue(line, name)
            self.assertEqual(float(line[0].split()[1]), 0, f"{name}: {line[0]}")
        print(f"1000 PATCHes in {time.time() - t0:.1f} s; look-ahead now "
              f"{status.get('lookahead_s')} s")


if __name__ == "__main__":
    unittest.main()
