"""Smoke run of herald-benchmark against the server under test, so the tool never rots.

No timing assertions: each scenario runs for a bounded number of messages and must exit 0
(which herald-benchmark only does when no message was lost, duplicated or reordered) and print
one JSON result line with the counters it promises.
"""

import json
import os
import subprocess
import unittest

import harness as h

BENCHMARK = os.environ.get("HERALD_BENCHMARK")


@unittest.skipUnless(BENCHMARK, "HERALD_BENCHMARK is not set (ctest sets it)")
class BenchmarkSmokeTest(h.ServerTestCase):

    def run_scenario(self, *args):
        argv = [BENCHMARK, *args, "--port", str(self.server.port), "--server-pid",
                str(self.server.pid), "--quiet"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, f"{argv}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, proc.stdout)
        return json.loads(lines[0])

    def test_publish(self):
        result = self.run_scenario("publish", "--publishers", "2", "--pipeline", "8",
                                   "--messages", "2000")
        self.assertEqual(result["scenario"], "publish")
        self.assertIn("metrics", result)

    def test_fanout_channels_patterns_and_resp3(self):
        for mode, resp in (("channel", "2"), ("pattern", "3"), ("shard", "2")):
            with self.subTest(mode=mode, resp=resp):
                result = self.run_scenario("fanout", "--subscribers", "20", "--mode", mode,
                                           "--resp", resp, "--messages", "500")
                self.assertEqual(result["scenario"], "fanout")
                self.assertEqual(result["metrics"]["lost"], 0)

    def test_latency(self):
        result = self.run_scenario("latency", "--subscribers", "5", "--rate", "2000",
                                   "--messages", "1000")
        self.assertEqual(result["scenario"], "latency")


if __name__ == "__main__":
    unittest.main()
