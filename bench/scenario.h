#pragma once

#include <string>

#include "bench/options.h"
#include "bench/pubsub_run.h"

namespace herald::bench {

// Turns the command line into a run: applies the scenario's defaults, validates ranges, and
// resolves the server address. Returns false with *error set when the options make no sense.
//
// Each scenario is a preset of the same engine (RunPubSub):
//   publish      pacing kPipeline, 4 publishers, no subscribers
//   fanout       pacing kWindow (or kRate with --rate), 1 publisher, 1000 subscribers
//   latency      pacing kRate at 10,000/s, 1 publisher, 1 subscriber
//   connections  1000 subscribers, a settle pause, then one message per channel as a liveness
//                check
// New transports add a Transport value; new scenarios add a preset here and their figures in
// FormatResult().
bool BuildRunConfig(const Options& options, RunConfig* config, std::string* error);

// The result line: {"scenario", "label", "ok", "exit", "error", "params": {...},
// "metrics": {...}} (README.md describes every field).
std::string FormatResult(const Options& options, const RunConfig& config, const RunResult& result);

// The process exit status for a result (0 ok, 2 connection, 3 integrity, 4 timeout).
int ExitStatus(const RunResult& result);

}  // namespace herald::bench
