"""Issue 18: every player, everywhere. The MP3 and AAC mounts and HLS play in real clients
(ffprobe, ffmpeg, mpv, VLC, GStreamer's hlsdemux, a Python ICY reader), late joiners start
cleanly, listeners of a format share the same bytes, Range and HEAD answer as AVPlayer and
Icecast clients expect, the HLS playlists stay valid for two minutes, and each format's encoder
runs only while it is listened to."""
import concurrent.futures
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from formats import (adts_frames, capture, http_get, metric, mp3_frames, open_stream,
                     parse_master_playlist, parse_media_playlist, read_for, read_icy)
from harness import Daemon, run

IDLE_STOP_S = 3
HLS_IDLE_STOP_S = 10
TITLE = re.compile(r"^(?P<name>.+) \u2014 (?P<key>[A-G][#b]?) (?P<mode>[a-z]+)(?: \u00b7 (?P<chord>.+))?$")


def run_for(cmd, seconds):
    """Runs a client that does not stop by itself for `seconds`, then interrupts it (SIGINT:
    GStreamer's gst-launch stops its pipeline and exits; hlsdemux would not end at an EOS of
    its own on a live playlist). Returns its output (line-buffered, so nothing is lost)."""
    p = subprocess.Popen(["stdbuf", "-oL", *cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        out, _ = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
    return out


def ffmpeg_decode(url, seconds):
    """ffmpeg decodes `seconds` of `url`: (seconds decoded, mean volume dB, error lines)."""
    code, out = run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-t", str(seconds), "-i",
                     url, "-af", "volumedetect", "-f", "null", "-"], seconds + 60)
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", out)
    decoded = int(times[-1][0]) * 3600 + int(times[-1][1]) * 60 + float(times[-1][2]) if times else 0
    mean = re.search(r"mean_volume: (-?[\d.]+) dB", out)
    errors = [l for l in out.splitlines() if re.search(r"rror|nvalid|corrupt|backstep", l)]
    if code != 0:
        errors.append(f"ffmpeg exit code {code}")
    return decoded, float(mean.group(1)) if mean else None, errors, out


def decode_file(path, fmt=None):
    """ffmpeg decodes a captured file: (seconds, error lines)."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-stats"]
    if fmt:
        cmd += ["-f", fmt]
    code, out = run(cmd + ["-i", path, "-f", "null", "-"], 120)
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", out)
    seconds = int(times[-1][0]) * 3600 + int(times[-1][1]) * 60 + float(times[-1][2]) if times else 0
    errors = [l for l in out.splitlines() if not l.startswith("size=") and l.strip()
              and "time=" not in l]
    if code != 0:
        errors.append(f"ffmpeg exit code {code}")
    return seconds, errors


def vlc_command(url, seconds, home):
    cmd = ["cvlc", "-vv", "--no-video", "--aout=dummy", "--play-and-exit",
           f"--run-time={seconds}", url]
    env = ["env", f"HOME={home}"]
    if os.geteuid() == 0:  # VLC refuses to run as root
        return ["runuser", "-u", "nobody", "--", *env, *cmd]
    return [*env, *cmd]


def wait_started(daemon, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, body = daemon.get_json("/api/v1/sessions/default")
        if status == 200 and body.get("now_playing"):
            return body
        time.sleep(0.2)
    raise AssertionError("the default session never started playing")


class ByteStreamMounts(unittest.TestCase):
    """/stream/{id}.mp3 and /stream/{id}.aac."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="auralis-formats-")
        os.chmod(cls.tmp, 0o777)  # VLC runs as nobody when the test runs as root
        cls.daemon = Daemon("--set", "engine.primary=cpu",
                            "--set", f"formats.idle_stop_s={IDLE_STOP_S}").start()
        wait_started(cls.daemon)
        time.sleep(2)  # some Opus for the first listener's burst
        cls.base = cls.daemon.base

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_ffprobe_reports_mp3_and_aac_stereo_48k(self):
        for path, codec, fmt in (("mp3", "mp3", "mp3"), ("aac", "aac", "aac")):
            code, out = run(["ffprobe", "-v", "error", "-show_entries",
                             "stream=codec_name,sample_rate,channels,profile:format=format_name",
                             "-of", "default=nw=1", f"{self.base}/stream/default.{path}"], 30)
            self.assertEqual(code, 0, out)
            for expected in (f"codec_name={codec}", "sample_rate=48000", "channels=2",
                             f"format_name={fmt}"):
                self.assertIn(expected, out.splitlines(), out)
            if codec == "aac":
                self.assertIn("profile=LC", out.splitlines(), out)

    def test_real_clients_play_late_joiners_start_cleanly_and_share_bytes(self):
        port = self.daemon.port
        vlc_home = os.path.join(self.tmp, "vlc")
        os.makedirs(vlc_home, mode=0o777, exist_ok=True)
        os.chmod(vlc_home, 0o777)
        mpv_wav = os.path.join(self.tmp, "mpv.wav")
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            ffmpeg = {f: pool.submit(ffmpeg_decode, f"{self.base}/stream/default.{f}", 20)
                      for f in ("mp3", "aac")}
            mpv = pool.submit(run, ["mpv", "--no-config", "--ytdl=no", "--no-video", "--ao=pcm",
                                    f"--ao-pcm-file={mpv_wav}", "--length=10",
                                    f"{self.base}/stream/default.mp3"], 60)
            vlc = pool.submit(run, vlc_command(f"{self.base}/stream/default.mp3", 10, vlc_home), 60)
            icy = pool.submit(read_icy, port, "/stream/default.mp3", 24)
            early = {f: pool.submit(capture, port, f"/stream/default.{f}", 13) for f in ("mp3", "aac")}
            time.sleep(5)
            late = {f: pool.submit(capture, port, f"/stream/default.{f}", 7) for f in ("mp3", "aac")}

            for f in ("mp3", "aac"):
                decoded, mean, errors, out = ffmpeg[f].result()
                self.assertAlmostEqual(decoded, 20.0, delta=0.1, msg=out)
                self.assertEqual(errors, [], out)
                self.assertGreater(mean, -40.0, f"the {f} stream is (nearly) silent")

            code, out = mpv.result()
            self.assertEqual(code, 0, "mpv failed:\n" + out)
            self.assertIn("mp3 2ch 48000Hz", out)
            self.assertRegex(out, r"icy-title: .+ \u2014 ")  # mpv asks for ICY metadata itself
            code, soxi = run(["soxi", "-D", mpv_wav])
            self.assertGreater(float(soxi.strip().splitlines()[-1]), 9.5, "mpv played < 10 s")

            code, out = vlc.result()
            self.assertEqual(code, 0, "VLC failed:\n" + out[-3000:])
            self.assertIn("ICY metaint=16000", out)
            titles = re.findall(r"New Icy-Title=(.+)", out)
            self.assertTrue(titles, "VLC showed no ICY title:\n" + out[-3000:])
            self.assertRegex(titles[0], TITLE)

            metaint, audio, icy_titles = icy.result()
            captures = {f: (early[f].result(), late[f].result()) for f in ("mp3", "aac")}

        # The Python radio: a block after every metaint bytes, each a StreamTitle that follows
        # the music (the session's name, key and mode, the chord as it changes).
        self.assertEqual(metaint, 16000)
        self.assertGreaterEqual(len(icy_titles), 20, "a block every 16000 bytes (~0.8 s)")
        texts = [t for _, t in icy_titles]
        for text in texts:
            m = TITLE.match(text)
            self.assertIsNotNone(m, text)
            self.assertEqual(m["name"], "default")
        chords = [TITLE.match(t)["chord"] for t in texts]
        changes = sum(1 for a, b in zip(chords, chords[1:]) if a != b)
        self.assertGreaterEqual(changes, 2, f"the title did not follow the chords: {texts}")
        self.assertTrue(mp3_frames(audio), "the ICY stream's audio is not MP3 frames")

        for f, ((head_a, fields_a, body_a), (head_b, fields_b, body_b)) in captures.items():
            for status, fields in ((head_a, fields_a), (head_b, fields_b)):
                self.assertEqual(status, 200)
                self.assertEqual(fields["content-type"], "audio/mpeg" if f == "mp3" else "audio/aac")
                self.assertEqual(fields["cache-control"], "no-cache, no-store")
                self.assertEqual(fields["accept-ranges"], "none")
                self.assertNotIn("content-length", fields)
                self.assertNotIn("icy-metaint", fields)  # not asked for
                self.assertIn("icy-name", fields)
            frames = mp3_frames if f == "mp3" else adts_frames
            a, b = frames(body_a), frames(body_b)
            # Each starts with a burst of about stream.burst_ms, then plays in real time.
            frame_s = (1152 if f == "mp3" else 1024) / 48000
            self.assertGreater(len(a) * frame_s, 12.0, f)
            self.assertGreater(len(b) * frame_s, 6.5, f)
            # Both listeners get the same frames wherever they overlap.
            start = a.index(b[0]) if b[0] in a else -1
            self.assertGreaterEqual(start, 0, f"{f}: the late listener's first frame is not in the early one's")
            overlap = min(len(a) - start, len(b))
            self.assertGreater(overlap * frame_s, 6.0)
            self.assertEqual(a[start:start + overlap], b[:overlap], f"{f}: listeners' bytes differ")
            # The late joiner decodes cleanly from its first byte.
            path = os.path.join(self.tmp, f"late.{f}")
            with open(path, "wb") as out:
                out.write(b"".join(b))
            seconds, errors = decode_file(path)
            self.assertEqual(errors, [], f"{f}: the late joiner's stream has errors")
            self.assertAlmostEqual(seconds, len(b) * frame_s, delta=0.1)

    def test_an_icy_listener_that_stalls_keeps_whole_blocks_and_frames(self):
        """A radio that stops reading for 13 s: the daemon's writes to it stop short (the kernel
        takes part of a pass), then it falls past the queue bounds and skips to the live edge.
        Every block still comes after exactly metaint audio bytes and is a whole StreamTitle
        (read_icy checks), and the audio is whole MP3 frames throughout."""
        skips = metric(self.base, "auralis_listener_skips_total") or 0
        metaint, audio, titles = read_icy(self.daemon.port, "/stream/default.mp3", 19, pause=(2, 13))
        self.assertGreaterEqual(len(titles), 10)
        frames = mp3_frames(audio)  # raises where the frame sync is lost
        self.assertGreater(len(frames) * 1152 / 48000, 8.0)
        self.assertGreater(metric(self.base, "auralis_listener_skips_total"), skips,
                           "the stalled listener was not skipped to the live edge")

    def test_range_and_head_answer_like_icecast(self):
        # iOS AVPlayer asks bytes=0-1 first; a live mount answers 200 with the stream (206 would
        # make it ask again without Icy-MetaData), and says it takes no ranges.
        for f in ("mp3", "aac"):
            status, fields, body = capture(self.daemon.port, f"/stream/default.{f}", 2,
                                           ["Range: bytes=0-1", "Icy-MetaData: 1"])
            self.assertEqual(status, 200, fields)
            self.assertEqual(fields["accept-ranges"], "none")
            self.assertNotIn("content-range", fields)
            self.assertNotIn("content-length", fields)
            self.assertEqual(fields["icy-metaint"], "16000")
            self.assertGreater(len(body), 2, "a live mount gives the stream, not two bytes")
            self.assertEqual(body[0], 0xFF, "the stream starts at a frame")
        status, fields, body = capture(self.daemon.port, "/stream/default.ogg", 1, ["Range: bytes=0-1"])
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"OggS"))
        # HEAD: the stream's headers, no body, no listener.
        for f, ctype in (("mp3", "audio/mpeg"), ("aac", "audio/aac")):
            out = subprocess.run(["curl", "-sS", "-I", "--max-time", "5",
                                  f"{self.base}/stream/default.{f}"],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertRegex(out.stdout, r"^HTTP/1.1 200")
            self.assertIn(f"Content-Type: {ctype}", out.stdout)
            self.assertIn("icy-br:", out.stdout)
        status, _, body = http_get(f"{self.base}/stream/missing.mp3")
        self.assertEqual(status, 404)

    def test_an_encoder_runs_only_while_its_format_is_listened_to(self):
        s, status, _, _ = open_stream(self.daemon.port, "/stream/default.mp3")
        try:
            self.assertEqual(status, 200)
            read_for(s, 2)
            self.assertEqual(metric(self.base, "auralis_format_listeners", 'format="mp3"'), 1)
            self.assertEqual(metric(self.base, "auralis_format_encoders", 'format="mp3"'), 1)
            self.assertGreater(metric(self.base, "auralis_format_encode_cpu_seconds_total",
                                      'format="mp3"'), 0)
        finally:
            s.close()
        deadline = time.time() + IDLE_STOP_S + 5
        while time.time() < deadline:
            if metric(self.base, "auralis_format_encoders", 'format="mp3"') == 0:
                break
            time.sleep(0.2)
        self.assertEqual(metric(self.base, "auralis_format_encoders", 'format="mp3"'), 0,
                         "the MP3 encoder still runs with no listener")
        self.assertEqual(metric(self.base, "auralis_format_listeners", 'format="mp3"'), 0)
        self.daemon.wait_log(r"MP3 encoder stopped \(no listener\)", 5)


class Hls(unittest.TestCase):
    """/hls/{id}/index.m3u8: two minutes of a live playlist, with real clients meanwhile."""

    SECONDS = 120

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="auralis-hls-")
        cls.daemon = Daemon("--set", "engine.primary=cpu",
                            "--set", f"hls.idle_stop_s={HLS_IDLE_STOP_S}").start()
        wait_started(cls.daemon)
        time.sleep(3)
        cls.base = cls.daemon.base

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def poll_playlists(self, seconds, record, stop):
        """Plays both variants like a careful client for `seconds`: every second each media
        playlist, every segment as soon as it is listed. Problems go into record['problems']."""
        problems = record["problems"]
        deadline = time.time() + seconds
        while time.time() < deadline and not stop.is_set():
            for variant in ("aac", "opus"):
                rec = record[variant]
                status, fields, body = http_get(f"{self.base}/hls/default/{variant}.m3u8")
                if status != 200:
                    problems.append(f"{variant}.m3u8 answered {status}")
                    continue
                cache = fields.get("cache-control", "")
                age = re.search(r"max-age=(\d+)", cache)
                if "no-cache" not in cache and not (age and 0 < int(age.group(1)) <= 4):
                    problems.append(f"playlist Cache-Control {cache!r}")
                p = parse_media_playlist(body.decode())
                rec["polls"] += 1
                if p["target"] != 4:
                    problems.append(f"{variant}: target duration {p['target']}")
                if p["sequence"] < rec["last_sequence"]:
                    problems.append(f"{variant}: media sequence went back {rec['last_sequence']} -> {p['sequence']}")
                rec["last_sequence"] = p["sequence"]
                if variant == "opus" and not p["map"]:
                    problems.append("opus: no EXT-X-MAP")
                if p["map"] and p["map"] not in rec["init"]:
                    st, _, init = http_get(f"{self.base}/hls/default/{p['map']}")
                    rec["init"][p["map"]] = init if st == 200 else None
                    if st != 200:
                        problems.append(f"init segment {p['map']}: {st}")
                for a, b in zip(p["segments"], p["segments"][1:]):
                    if abs(b["pdt"] - a["pdt"] - a["duration"]) > 0.002:
                        problems.append(f"{variant}: program date time jumps between {a['seq']} and {b['seq']}")
                for seg in p["segments"]:
                    if round(seg["duration"]) > p["target"] or seg["duration"] <= 0:
                        problems.append(f"{variant} {seg['seq']}: duration {seg['duration']}")
                    known = rec["segments"].get(seg["seq"])
                    if known:
                        if (known["uri"], known["pdt"], known["duration"]) != (seg["uri"], seg["pdt"], seg["duration"]):
                            problems.append(f"{variant} {seg['seq']} changed while listed")
                        continue
                    st, fh, data = http_get(f"{self.base}/hls/default/{seg['uri']}")
                    if st != 200:
                        problems.append(f"{variant} {seg['seq']} listed but answered {st}")
                        continue
                    if "immutable" not in fh.get("cache-control", "") or not fh.get("etag"):
                        problems.append(f"segment headers {fh}")
                    rec["segments"][seg["seq"]] = {**seg, "bytes": data, "etag": fh.get("etag")}
            stop.wait(1)

    def test_hls_plays_in_real_clients_and_stays_valid_for_two_minutes(self):
        record = {"problems": [], **{v: {"segments": {}, "init": {}, "last_sequence": -1, "polls": 0}
                                     for v in ("aac", "opus")}}
        t0 = time.time()
        status, fields, body = http_get(f"{self.base}/hls/default/index.m3u8")
        first_answer_s = time.time() - t0
        self.assertEqual(status, 200, body)
        self.assertEqual(fields["content-type"], "application/vnd.apple.mpegurl")
        self.assertLess(first_answer_s, 8, "the first playlist waited too long")
        variants = parse_master_playlist(body.decode())
        self.assertEqual([(a["CODECS"], uri) for a, uri in variants],
                         [("mp4a.40.2", "aac.m3u8"), ("opus", "opus.m3u8")])
        for attrs, _ in variants:
            self.assertGreater(int(attrs["BANDWIDTH"]), 100000)
        master = f"{self.base}/hls/default/index.m3u8"

        stop = threading.Event()
        poller = threading.Thread(target=self.poll_playlists, args=(self.SECONDS, record, stop))
        poller.start()
        try:
            self.check_clients_meanwhile(master)
        except BaseException:
            stop.set()  # the daemon stops with the test: so does the poller
            raise
        finally:
            poller.join()
        self.check_the_record(record)

    def check_clients_meanwhile(self, master):
        mpv_wav = os.path.join(self.tmp, "mpv.wav")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            probe = pool.submit(run, ["ffprobe", "-v", "error", "-show_entries",
                                      "stream=codec_name,sample_rate,channels", "-of",
                                      "default=nw=1", master], 60)
            decodes = {name: pool.submit(ffmpeg_decode, f"{self.base}/hls/default/{name}", 20)
                       for name in ("index.m3u8", "aac.m3u8", "opus.m3u8")}
            mpv = pool.submit(run, ["mpv", "--no-config", "--ytdl=no", "--no-video", "--ao=pcm",
                                    f"--ao-pcm-file={mpv_wav}", "--length=10", master], 90)
            gst = pool.submit(run_for, ["gst-launch-1.0", "-v", "souphttpsrc", f"location={master}",
                                        "!", "hlsdemux", "!", "decodebin", "!", "audioconvert",
                                        "!", "fakesink", "silent=false"], 25)

            code, out = probe.result()
            self.assertEqual(code, 0, out)
            streams = re.findall(r"codec_name=(\w+)\nsample_rate=(\d+)\nchannels=(\d+)", out)
            self.assertIn(("aac", "48000", "2"), streams, out)
            self.assertIn(("opus", "48000", "2"), streams, out)
            for name, future in decodes.items():
                decoded, mean, errors, out = future.result()
                self.assertAlmostEqual(decoded, 20.0, delta=0.1, msg=f"{name}:\n{out}")
                self.assertEqual(errors, [], f"{name}:\n{out}")
                self.assertGreater(mean, -40.0, name)
            code, out = mpv.result()
            self.assertEqual(code, 0, "mpv failed:\n" + out)
            code, soxi = run(["soxi", "-D", mpv_wav])
            self.assertGreater(float(soxi.strip().splitlines()[-1]), 9.5, "mpv played < 10 s")
            # hlsdemux: 25 s of playing, every buffer of decoded audio right after the last.
            out = gst.result()
            self.assertNotIn("CONTINUITY", out, "GStreamer saw a segment missing or repeated")
            pts = [(float(h) * 3600 + float(m) * 60 + float(s), float(d))
                   for h, m, s, d in re.findall(r"chain .*?pts: (\d+):(\d+):([\d.]+), duration: 0:00:([\d.]+)", out)]
            self.assertTrue(pts, "GStreamer decoded nothing:\n" + out[-2000:])
            self.assertGreaterEqual(pts[-1][0] - pts[0][0], 20, "GStreamer decoded too little")
            for (t, d), (t_next, _) in zip(pts, pts[1:]):
                self.assertAlmostEqual(t_next, t + d, delta=0.001, msg="a gap in GStreamer's audio")
            # A late HLS client starts cleanly and gets the very segments the first one got.
            time.sleep(30)
            decoded, mean, errors, out = ffmpeg_decode(f"{self.base}/hls/default/aac.m3u8", 8)
            self.assertEqual(errors, [], out)
            self.assertAlmostEqual(decoded, 8.0, delta=0.1)

    def check_the_record(self, record):
        self.assertEqual(record["problems"], [])
        for variant, ext in (("aac", ".ts"), ("opus", ".m4s")):
            rec = record[variant]
            seqs = sorted(rec["segments"])
            self.assertGreaterEqual(len(seqs), self.SECONDS // 4 - 1, f"{variant}: too few segments")
            self.assertEqual(seqs, list(range(seqs[0], seqs[-1] + 1)), f"{variant}: a segment never listed")
            for seq in seqs:
                self.assertTrue(rec["segments"][seq]["uri"].endswith(ext))
            # Every segment ever listed joins the next without a gap: decoded end to end, the
            # audio is as long as the playlists said.
            listed = sum(rec["segments"][s]["duration"] for s in seqs)
            path = os.path.join(self.tmp, f"all{ext}")
            with open(path, "wb") as out:
                if variant == "opus":
                    self.assertEqual(len(rec["init"]), 1, "one init segment for the whole run")
                    out.write(next(iter(rec["init"].values())))
                out.write(b"".join(rec["segments"][s]["bytes"] for s in seqs))
            seconds, errors = decode_file(path, "mpegts" if variant == "aac" else "mp4")
            self.assertEqual(errors, [], variant)
            self.assertAlmostEqual(seconds, listed, delta=0.15, msg=variant)
        # The variants are cut at the same times.
        for seq in set(record["aac"]["segments"]) & set(record["opus"]["segments"]):
            self.assertAlmostEqual(record["aac"]["segments"][seq]["pdt"],
                                   record["opus"]["segments"][seq]["pdt"], delta=0.03)

        # A segment is the same bytes for everyone (and for a cache): ETag, 304, Range.
        seq = sorted(record["aac"]["segments"])[-1]
        seg = record["aac"]["segments"][seq]
        url = f"{self.base}/hls/default/{seg['uri']}"
        status, fields, body = http_get(url)
        self.assertEqual((status, body), (200, seg["bytes"]))
        self.assertEqual(fields["content-type"], "video/mp2t")
        self.assertEqual(fields["etag"], seg["etag"])
        self.assertRegex(fields["cache-control"], r"max-age=\d{6,}")
        self.assertEqual(fields["accept-ranges"], "bytes")
        status, _, body = http_get(url, {"If-None-Match": seg["etag"]})
        self.assertEqual((status, body), (304, b""))
        status, fields, body = http_get(url, {"Range": "bytes=0-99"})
        self.assertEqual(status, 206)
        self.assertEqual(fields["content-range"], f"bytes 0-99/{len(seg['bytes'])}")
        self.assertEqual(body, seg["bytes"][:100])
        status, _, _ = http_get(f"{self.base}/hls/default/aac-00000000-1.ts")
        self.assertEqual(status, 404)

        # No request for hls.idle_stop_s: segmenting stops.
        self.assertEqual(metric(self.base, "auralis_hls_sessions"), 1)
        deadline = time.time() + HLS_IDLE_STOP_S + 10
        while time.time() < deadline and metric(self.base, "auralis_hls_sessions") != 0:
            time.sleep(0.5)
        self.assertEqual(metric(self.base, "auralis_hls_sessions"), 0)
        self.assertEqual(metric(self.base, "auralis_format_encoders", 'format="aac"'), 0)
        self.assertEqual(metric(self.base, "auralis_format_encoders", 'format="hls_opus"'), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
