"""The offline CLI (issue 4's `auralis render`, and `auralis compose`) checked with real tools:
the files are exactly as long as asked, byte-identical for the same seed, and a render that
cannot be written fails loudly and leaves nothing behind under the asked name."""
import os
import resource
import shutil
import signal
import struct
import subprocess
import tempfile
import unittest

from harness import AURALIS, run
from ogg import parse_pages


def render(*args, limit_bytes=None):
    """Runs `auralis render ...`; returns (exit code, output)."""
    def limit():
        if limit_bytes is not None:
            # Writes past the limit fail with EFBIG (the signal that would kill us is ignored).
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    p = subprocess.run([AURALIS, "render", *args], capture_output=True, text=True, timeout=300,
                       preexec_fn=limit, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def read(path):
    with open(path, "rb") as f:
        return f.read()


def decoded_frames(path):
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "s16le", "-ac", "2", "-"],
                       capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return len(p.stdout) // 4


class RenderCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auralis-render-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def leftovers(self):
        return [n for n in os.listdir(self.tmp) if ".partial-" in n]

    def test_wav_is_exact_float_stereo_and_the_same_for_the_same_seed(self):
        a, b = self.path("a.wav"), self.path("b.wav")
        for out in (a, b):
            code, out_text = render("--seed", "7", "--minutes", "0.25", out)
            self.assertEqual(code, 0, out_text)
        data = read(a)
        self.assertEqual(data, read(b), "same seed, different WAV")
        # IEEE float WAV: an 18-byte fmt chunk and a fact chunk, sizes that add up.
        self.assertEqual(data[:4] + data[8:16], b"RIFFWAVEfmt ")
        fmt_size, fmt_tag, channels, rate = struct.unpack_from("<IHHI", data, 16)
        self.assertEqual((fmt_size, fmt_tag, channels, rate), (18, 3, 2, 48000))
        self.assertEqual(data[38:42], b"fact")
        self.assertEqual(struct.unpack_from("<I", data, 46)[0], 720000)
        self.assertEqual(data[50:54], b"data")
        self.assertEqual(struct.unpack_from("<I", data, 54)[0], 720000 * 8)
        self.assertEqual(struct.unpack_from("<I", data, 4)[0], len(data) - 8)
        code, out = run(["ffprobe", "-v", "error", "-show_entries", "stream=sample_rate,channels,codec_name",
                         "-of", "csv=p=0", a], 60)
        self.assertEqual(out.strip(), "pcm_f32le,48000,2", out)
        self.assertEqual(decoded_frames(a), 720000)
        self.assertEqual(self.leftovers(), [])

    def test_ogg_decodes_to_exactly_the_frames_asked_and_is_reproducible(self):
        a, b = self.path("a.ogg"), self.path("b.ogg")
        for out in (a, b):
            code, out_text = render("--seed", "11", "--minutes", "0.25", out)
            self.assertEqual(code, 0, out_text)
        self.assertEqual(read(a), read(b), "same seed, different Ogg bytes")
        self.assertEqual(decoded_frames(a), 720000)
        pages, rest = parse_pages(read(a))
        self.assertEqual(rest, b"")
        self.assertEqual(pages[-1].header_type & 0x04, 0x04, "no end-of-stream page")
        pre_skip = struct.unpack_from("<H", pages[0].body, 10)[0]
        self.assertEqual(pages[-1].granule, 720000 + pre_skip, "the end is not trimmed")
        if shutil.which("opusinfo"):
            code, out = run(["opusinfo", a], 60)
            self.assertNotRegex(out, r"WARNING|ERROR", out)

    def test_a_render_that_cannot_be_written_fails_and_leaves_nothing(self):
        for name in ("full.wav", "full.ogg"):
            out = self.path(name)
            with open(out, "wb") as f:
                f.write(b"an earlier file")
            # 1 MiB allowed: a 15 s WAV (5.8 MB) does not fit, nor a 3-minute Ogg (~2.9 MB).
            code, text = render("--seed", "7", "--minutes", "0.25" if name.endswith(".wav") else "3", out,
                                limit_bytes=1 << 20)
            self.assertNotEqual(code, 0, text)
            self.assertIn("cannot write", text)
            self.assertNotIn("rendered", text)
            self.assertEqual(read(out), b"an earlier file", "the earlier file was changed")
            self.assertEqual(self.leftovers(), [], "a partial file was left behind")

    def test_an_existing_file_is_replaced_through_its_link_and_keeps_its_mode(self):
        real = self.path("real.wav")
        with open(real, "wb") as f:
            f.write(b"old")
        os.chmod(real, 0o600)
        link = self.path("link.wav")
        os.symlink("real.wav", link)
        code, text = render("--seed", "3", "--minutes", "0.01", link)
        self.assertEqual(code, 0, text)
        self.assertTrue(os.path.islink(link), "the link was replaced by a file")
        self.assertEqual(os.stat(real).st_mode & 0o777, 0o600)
        self.assertEqual(read(real)[:4], b"RIFF")
        dangling = self.path("dangling.ogg")
        os.symlink("made.ogg", dangling)
        code, text = render("--seed", "3", "--minutes", "0.01", dangling)
        self.assertEqual(code, 0, text)
        self.assertTrue(os.path.islink(dangling))
        self.assertEqual(read(self.path("made.ogg"))[:4], b"OggS")
        self.assertEqual(self.leftovers(), [])

    def test_impossible_requests_are_refused_before_rendering(self):
        os.mkdir(self.path("dir.wav"))
        cases = [
            (["--minutes", "200", self.path("long.wav")], "write .ogg"),  # past the 32-bit RIFF size
            (["--minutes", "1e-8", self.path("short.wav")], "shorter than one sample"),
            (["--minutes", "0.1", self.path("dir.wav")], "not a regular file"),
            (["--minutes", "0.1", self.path("x.mp3")], ".wav, .ogg or .opus"),
            (["--minutes", "0.1", os.path.join(self.tmp, "missing", "x.wav")], "cannot write"),
        ]
        for args, message in cases:
            code, text = render("--seed", "1", *args)
            self.assertNotEqual(code, 0, text)
            self.assertIn(message, text)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["dir.wav"])

    def test_compose_fails_when_its_output_cannot_be_written(self):
        with open("/dev/full", "w") as full:
            p = subprocess.run([AURALIS, "compose", "--seed", "7", "--phrases", "3"], stdout=full,
                               stderr=subprocess.PIPE, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot write", p.stderr)

    def test_a_config_path_that_is_a_directory_is_an_error(self):
        p = subprocess.run([AURALIS, "--config", self.tmp, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not a regular file", p.stderr)


if __name__ == "__main__":
    unittest.main()
