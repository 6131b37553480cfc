#include "bench/pubsub_run.h"

#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <bit>
#include <iterator>
#include <memory>
#include <vector>

#include "bench/message.h"
#include "bench/pacer.h"
#include "bench/resp_pubsub.h"
#include "bench/sse_subscriber.h"
#include "bench/ws_subscriber.h"
#include "fmt/format.h"

namespace herald::bench {
namespace {

constexpr uint64_t kNsPerSec = 1'000'000'000ull;
constexpr uint64_t kTickMs = 10;
// An open-loop publisher whose socket stops draining would queue without bound; past this the
// run fails instead (the server is not reading).
constexpr size_t kMaxPendingOutput = 256u << 20;
// Messages one pacer wake-up may send, so that a late wake-up cannot stall the loop.
constexpr uint64_t kMaxBurst = 4096;
// Chain setup: a round of probe messages this often until every sub address has seen one.
constexpr uint64_t kProbeIntervalNs = 100'000'000;

uint64_t SecondsToNs(double s) { return static_cast<uint64_t>(s * 1e9); }

// Drives publishers and subscribers through the phases below on one loop:
//
//   kSubscribing -> [kProbing] -> [kSettling] -> kConnectingPublishers -> [kWarmup] -> kMeasuring
//        connect      chain: probes                 connect publishers      traffic    window open
//        subscribers  until every                                                          |
//        (bounded     replica delivers                          kDraining: no more sends;  v
//        concurrency)                                           wait for replies and messages
// Any failure jumps to kDone, which closes every handle so that uv_run() returns.
class PubSubRun final : public SubscriberEvents, public PublisherEvents {
 public:
  explicit PubSubRun(const RunConfig& config);
  ~PubSubRun() override;
  PubSubRun(const PubSubRun&) = delete;
  PubSubRun& operator=(const PubSubRun&) = delete;

  RunResult Run();

  void OnSubscribed(uint32_t sub) override;
  void OnMessage(uint32_t sub, std::string_view payload, uint64_t now_ns) override;
  void OnConnectionError(std::string_view who, std::string_view what) override;
  void OnPublisherReady(uint32_t pub) override;
  void OnPublishReply(uint32_t pub, int64_t receivers) override;

 private:
  enum class Phase {
    kSubscribing,
    kProbing,
    kSettling,
    kConnectingPublishers,
    kWarmup,
    kMeasuring,
    kDraining,
    kDone,
  };

  struct Publisher {
    std::unique_ptr<RespPublisher> conn;
    uint64_t sent = 0;     // next sequence number
    uint64_t replied = 0;  // PUBLISH replies so far
    uint64_t done = 0;     // kWindow: every message below this reached all its subscribers
    // kWindow: deliveries so far of each message in flight, at sequence & ring_mask_ (the ring
    // is the window rounded up to a power of two). A slot is reused only after its message
    // completed, because sent - done <= window.
    std::vector<uint32_t> ring;
    bool ready = false;
  };

  // What subscriber s knows about publisher p's stream (at seq_[s * publishers + p]). The
  // subscriber of channel c gets sequences c, c + C, c + 2C, ...; positions count in that
  // stride. `seen` bit i says whether position next - 1 - i arrived, which tells a duplicate
  // from a late (reordered) message up to 64 positions back.
  struct SeqState {
    uint64_t next = 0;
    uint64_t seen = 0;
  };

  static void OnTick(uv_timer_t* timer);
  void Tick();
  void Settle(uint64_t now);
  void ConnectMoreSubscribers();
  std::unique_ptr<TcpClient> MakeSubscriber(uint32_t index);
  void AllSubscribed();
  void StartProbing();
  void SendProbes();
  void OnProbe(uint32_t sub);
  void ConnectPublishers();
  void StartTraffic();
  void BeginWindow();
  void EndWindow();
  void BeginDrain();
  void CheckDrained();
  void Finish(RunStatus status, std::string error);
  bool MaySend() const;
  void SendOne(uint32_t pub, uint64_t stamp_ns);
  void TopUp(uint32_t pub);
  void OnDelivered(uint32_t pub, uint64_t seq);
  void OnPace(uint64_t now_ns);
  uint64_t ScheduledAt(uint64_t index) const;
  // Channel of message `seq` (and of subscriber `seq`); skips the division in the common
  // single-channel case, since this runs per delivery.
  uint64_t ChannelOf(uint64_t seq) const { return cfg_.channels == 1 ? 0 : seq % cfg_.channels; }
  Snapshot Take() const;
  void Progress(uint64_t now);

  const RunConfig cfg_;
  uv_loop_t loop_;
  std::unique_ptr<LoopContext> ctx_;
  uv_timer_t tick_;
  std::unique_ptr<Pacer> pacer_;

  std::vector<std::string> channel_names_;
  std::vector<uint32_t> subs_per_channel_;
  std::vector<Publisher> pubs_;
  std::vector<std::unique_ptr<TcpClient>> subs_;
  // Chain setup: the connection that publishes probes, and which sub addresses have seen one.
  std::unique_ptr<RespPublisher> probe_;
  std::vector<bool> probe_seen_;
  size_t probe_missing_ = 0;
  uint64_t probe_start_ns_ = 0;
  uint64_t next_probe_ns_ = UINT64_MAX;
  uint64_t probe_round_ = 0;
  std::vector<SeqState> seq_;
  uint64_t ring_mask_ = 0;

  Phase phase_ = Phase::kSubscribing;
  uint32_t connecting_ = 0;  // subscribers connecting or waiting for their confirmation
  uint32_t subscribed_ = 0;
  uint32_t ready_pubs_ = 0;

  uint64_t start_ns_ = 0;
  uint64_t setup_deadline_ = 0;
  uint64_t hard_deadline_ = 0;
  uint64_t settle_start_ns_ = 0;
  uint64_t next_settle_sample_ = 0;
  struct RssPoint {
    uint64_t taken_ns;
    uint64_t rss_kb;
  };
  std::vector<RssPoint> settle_history_;  // one RSS sample per second while settling
  uint64_t warmup_deadline_ = 0;
  uint64_t window_deadline_ = UINT64_MAX;
  uint64_t drain_deadline_ = 0;
  uint64_t last_delivery_ns_ = 0;
  uint64_t window_begin_ns_ = UINT64_MAX;  // latency is recorded for messages sent in
  uint64_t window_end_ns_ = UINT64_MAX;    // [window_begin_ns_, window_end_ns_)
  bool window_open_ = false;

  // Rate pacing: message `paced_` is due at ScheduledAt(paced_).
  uint64_t pace_start_ns_ = 0;
  double pace_period_ns_ = 0;
  uint64_t paced_ = 0;

  RunResult r_;
  Snapshot last_progress_;
};

PubSubRun::PubSubRun(const RunConfig& config) : cfg_(config) {
  uv_loop_init(&loop_);
  ctx_ = std::make_unique<LoopContext>(&loop_);
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;

  // Channel names carry the pid so that concurrent runs, or a stale subscriber from an earlier
  // one, cannot add receivers. Every pattern matches exactly one channel.
  const int pid = static_cast<int>(::getpid());
  for (uint32_t c = 0; c < cfg_.channels; ++c) {
    channel_names_.push_back(fmt::format("hb:{}:{}:m", pid, c));
  }
  subs_per_channel_.assign(cfg_.channels, 0);
  for (uint32_t s = 0; s < cfg_.subscribers; ++s) ++subs_per_channel_[s % cfg_.channels];
  pubs_.resize(cfg_.publishers);
  if (cfg_.pacing == Pacing::kWindow) {
    const uint64_t ring_size = std::bit_ceil(uint64_t{cfg_.window});
    ring_mask_ = ring_size - 1;
    for (Publisher& p : pubs_) p.ring.assign(ring_size, 0);
  }
  seq_.resize(static_cast<size_t>(cfg_.subscribers) * cfg_.publishers);
  subs_.reserve(cfg_.subscribers);
  if (cfg_.sub_addresses.size() > 1) r_.latency_by_sub.resize(cfg_.sub_addresses.size());
}

PubSubRun::~PubSubRun() {
  // Run() ran the loop until every handle closed; only then may the clients be freed.
  subs_.clear();
  pubs_.clear();
  probe_.reset();
  pacer_.reset();
  ctx_.reset();
  uv_loop_close(&loop_);
}

RunResult PubSubRun::Run() {
  start_ns_ = uv_hrtime();
  r_.baseline = SampleProcess(cfg_.server_pid);
  setup_deadline_ = start_ns_ + SecondsToNs(cfg_.setup_timeout_s);
  // Subscribers and publishers each get a setup timeout (see ConnectPublishers()).
  hard_deadline_ =
      setup_deadline_ + SecondsToNs(cfg_.setup_timeout_s + cfg_.settle_s + cfg_.warmup_s +
                                    cfg_.duration_s + cfg_.drain_timeout_s + 10);
  uv_timer_start(&tick_, OnTick, kTickMs, kTickMs);
  if (cfg_.subscribers > 0) {
    ConnectMoreSubscribers();
  } else {
    ConnectPublishers();
  }
  uv_run(&loop_, UV_RUN_DEFAULT);

  // Everything that was sent and not received by the end is lost.
  r_.lost = r_.expected_deliveries > r_.deliveries ? r_.expected_deliveries - r_.deliveries : 0;
  if (r_.status == RunStatus::kOk && (r_.lost || r_.duplicated || r_.reordered || r_.misrouted ||
                                      r_.corrupt || r_.reply_mismatch)) {
    r_.status = RunStatus::kIntegrityFailure;
    r_.error = fmt::format(
        "integrity: lost {} duplicated {} reordered {} misrouted {} corrupt {} "
        "publish-reply mismatches {}",
        r_.lost, r_.duplicated, r_.reordered, r_.misrouted, r_.corrupt, r_.reply_mismatch);
  }
  return std::move(r_);
}

void PubSubRun::OnTick(uv_timer_t* timer) { static_cast<PubSubRun*>(timer->data)->Tick(); }

void PubSubRun::Tick() {
  const uint64_t now = uv_hrtime();
  if (now >= hard_deadline_) {
    Finish(RunStatus::kTimeout, "the run exceeded its overall time limit");
    return;
  }
  switch (phase_) {
    case Phase::kProbing:
      if (now >= setup_deadline_) {
        std::string missing;
        for (size_t i = 0; i < probe_seen_.size(); ++i) {
          if (!probe_seen_[i])
            fmt::format_to(std::back_inserter(missing), " {}", cfg_.sub_ports[i]);
        }
        Finish(RunStatus::kTimeout,
               fmt::format("setup timed out after {} s: no probe published on the master reached "
                           "the subscribers on port(s){} (is the replica's link up?)",
                           cfg_.setup_timeout_s, missing));
        return;
      }
      if (now >= next_probe_ns_) SendProbes();
      break;
    case Phase::kSubscribing:
    case Phase::kConnectingPublishers:
      if (now >= setup_deadline_) {
        Finish(RunStatus::kTimeout,
               fmt::format("setup timed out after {} s: {} of {} subscribers, {} of {} publishers "
                           "ready",
                           cfg_.setup_timeout_s, subscribed_, cfg_.subscribers, ready_pubs_,
                           cfg_.publishers));
        return;
      }
      break;
    case Phase::kSettling:
      if (now >= next_settle_sample_) Settle(now);
      break;
    case Phase::kWarmup:
      if (now >= warmup_deadline_) BeginWindow();
      break;
    case Phase::kMeasuring:
      if (now >= window_deadline_) {
        EndWindow();
        BeginDrain();
      }
      break;
    case Phase::kDraining:
      if (window_open_ && now >= window_deadline_) EndWindow();
      if (now >= drain_deadline_) {
        if (window_open_) EndWindow();
        uint64_t unanswered = 0;
        for (const Publisher& p : pubs_) unanswered += p.sent - p.replied;
        const uint64_t missing =
            r_.expected_deliveries - std::min(r_.expected_deliveries, r_.deliveries);
        if (unanswered > 0) {
          Finish(RunStatus::kTimeout,
                 fmt::format("{} PUBLISH replies still missing {} s after the last publish",
                             unanswered, cfg_.drain_timeout_s));
        } else if (missing > 0 && now - last_delivery_ns_ < kNsPerSec) {
          // Messages are still arriving: the server is behind, which is not loss.
          Finish(RunStatus::kTimeout,
                 fmt::format("{} deliveries still on their way {} s after the last publish (the "
                             "server is behind; raise --drain-timeout or lower the load)",
                             missing, cfg_.drain_timeout_s));
        } else {
          // The missing deliveries are counted as lost by Run().
          Finish(RunStatus::kOk, "");
        }
        return;
      }
      break;
    case Phase::kDone:
      return;
  }
  if (cfg_.progress && now - last_progress_.taken_ns >= kNsPerSec) Progress(now);
}

void PubSubRun::Progress(uint64_t now) {
  Snapshot s;
  s.taken_ns = now;
  s.sent = r_.sent;
  s.deliveries = r_.deliveries;
  s.replies = r_.replies;
  if (last_progress_.taken_ns != 0) {
    const double dt = static_cast<double>(now - last_progress_.taken_ns) / 1e9;
    static constexpr const char* kPhaseNames[] = {"subscribing", "probing", "settling",
                                                  "connecting",  "warmup",  "measuring",
                                                  "draining",    "done"};
    std::string line = fmt::format("[{} {}] {:5.1f}s {:<11}", cfg_.scenario, cfg_.label,
                                   static_cast<double>(now - start_ns_) / 1e9,
                                   kPhaseNames[static_cast<int>(phase_)]);
    if (phase_ == Phase::kSubscribing) {
      fmt::format_to(std::back_inserter(line), " subscribed {}/{}", subscribed_, cfg_.subscribers);
    } else if (phase_ == Phase::kProbing) {
      fmt::format_to(std::back_inserter(line), " waiting for {} sub port(s) to get a probe",
                     probe_missing_);
    } else if (phase_ == Phase::kSettling) {
      if (!settle_history_.empty()) {
        fmt::format_to(std::back_inserter(line), " server RSS {} kB",
                       settle_history_.back().rss_kb);
      }
    } else {
      fmt::format_to(std::back_inserter(line),
                     " publish {:.0f}/s replies {:.0f}/s deliveries {:.0f}/s",
                     static_cast<double>(s.sent - last_progress_.sent) / dt,
                     static_cast<double>(s.replies - last_progress_.replies) / dt,
                     static_cast<double>(s.deliveries - last_progress_.deliveries) / dt);
    }
    fmt::print(stderr, "{}\n", line);
  }
  last_progress_ = s;
}

void PubSubRun::ConnectMoreSubscribers() {
  while (phase_ == Phase::kSubscribing && connecting_ < cfg_.connect_concurrency &&
         subs_.size() < cfg_.subscribers) {
    const auto index = static_cast<uint32_t>(subs_.size());
    subs_.push_back(MakeSubscriber(index));
    ++connecting_;
    subs_.back()->Connect(
        reinterpret_cast<const sockaddr*>(&cfg_.sub_addresses[index % cfg_.sub_addresses.size()]));
  }
}

std::unique_ptr<TcpClient> PubSubRun::MakeSubscriber(uint32_t index) {
  const std::string& channel = channel_names_[index % cfg_.channels];
  std::string pattern = cfg_.mode == SubscribeMode::kPattern
                            ? channel.substr(0, channel.size() - 1) + "*"
                            : std::string();
  switch (cfg_.transport) {
    case Transport::kResp:
      return std::make_unique<RespSubscriber>(ctx_.get(), &cfg_.resp, this, index, channel,
                                              pattern.empty() ? channel : std::move(pattern),
                                              cfg_.mode, cfg_.payload);
    case Transport::kWebSocket:
    case Transport::kSse: {
      const std::string* authority = &cfg_.sub_authorities[index % cfg_.sub_authorities.size()];
      if (cfg_.transport == Transport::kWebSocket) {
        return std::make_unique<WsSubscriber>(ctx_.get(), this, index, authority,
                                              &cfg_.gateway_headers, channel, std::move(pattern),
                                              cfg_.payload);
      }
      return std::make_unique<SseSubscriber>(ctx_.get(), this, index, authority,
                                             &cfg_.gateway_headers, channel, std::move(pattern),
                                             cfg_.payload);
    }
  }
  return nullptr;
}

void PubSubRun::OnSubscribed(uint32_t) {
  if (phase_ != Phase::kSubscribing) {
    Finish(RunStatus::kConnectionFailure, "unexpected subscribe confirmation");
    return;
  }
  --connecting_;
  if (++subscribed_ < cfg_.subscribers) {
    ConnectMoreSubscribers();
    return;
  }
  if (cfg_.progress) {
    fmt::print(stderr, "[{} {}] {} subscribers ready in {:.2f} s\n", cfg_.scenario, cfg_.label,
               subscribed_, static_cast<double>(uv_hrtime() - start_ns_) / 1e9);
  }
  if (cfg_.chain) {
    StartProbing();
  } else {
    AllSubscribed();
  }
}

// Every subscriber is in (and, in a chain, every replica delivers): settle or start.
void PubSubRun::AllSubscribed() {
  if (cfg_.settle_s > 0) {
    phase_ = Phase::kSettling;
    settle_start_ns_ = next_settle_sample_ = uv_hrtime();
  } else {
    ConnectPublishers();
  }
}

// Subscribing on a replica says nothing about its link to the master: until the link is up,
// messages published on the master do not reach it (and after a full resync only those
// published from then on do). So publish probes on the master (one channel per sub address that
// has not seen one yet, every kProbeIntervalNs) until every sub address has delivered one; from
// then on every publish reaches every subscriber. Probes that arrive later are ignored.
void PubSubRun::StartProbing() {
  phase_ = Phase::kProbing;
  probe_start_ns_ = uv_hrtime();
  // Waiting for replicas gets a setup timeout of its own.
  setup_deadline_ = std::max(setup_deadline_, probe_start_ns_ + SecondsToNs(cfg_.setup_timeout_s));
  hard_deadline_ += SecondsToNs(cfg_.setup_timeout_s);
  const size_t n = std::min<size_t>(cfg_.sub_addresses.size(), cfg_.subscribers);
  probe_seen_.assign(n, false);
  probe_missing_ = n;
  probe_ = std::make_unique<RespPublisher>(ctx_.get(), &cfg_.resp, this, kProbePublisher,
                                           channel_names_, cfg_.mode, cfg_.payload);
  probe_->Connect(reinterpret_cast<const sockaddr*>(&cfg_.address));
}

void PubSubRun::SendProbes() {
  const uint64_t now = uv_hrtime();
  next_probe_ns_ = now + kProbeIntervalNs;
  for (size_t i = 0; i < probe_seen_.size(); ++i) {
    // Subscriber i is on sub address i and listens on channel i % C.
    if (!probe_seen_[i]) {
      probe_->Publish(i % cfg_.channels, PayloadHeader{kProbePublisher, probe_round_, now});
    }
  }
  ++probe_round_;
}

void PubSubRun::OnProbe(uint32_t sub) {
  if (phase_ != Phase::kProbing) return;
  const size_t at = sub % cfg_.sub_addresses.size();
  if (probe_seen_[at]) return;
  probe_seen_[at] = true;
  if (--probe_missing_ > 0) return;
  probe_->Close();
  next_probe_ns_ = UINT64_MAX;
  r_.probe_s = static_cast<double>(uv_hrtime() - probe_start_ns_) / 1e9;
  if (cfg_.progress) {
    fmt::print(stderr, "[{} {}] a probe reached every sub port after {:.2f} s\n", cfg_.scenario,
               cfg_.label, r_.probe_s);
  }
  AllSubscribed();
}

void PubSubRun::Settle(uint64_t now) {
  constexpr uint64_t kStableNs = 5 * kNsPerSec;
  next_settle_sample_ = now + kNsPerSec;
  const ProcSample s = SampleProcess(cfg_.server_pid);
  settle_history_.push_back({now, s.rss_kb});
  const uint64_t elapsed = now - settle_start_ns_;
  bool done = elapsed >= SecondsToNs(cfg_.settle_s);
  if (!done && elapsed >= SecondsToNs(cfg_.settle_min_s)) {
    if (!s.ok) {
      done = true;  // nothing to watch: the minimum pause is all there is
    } else {
      // The newest sample at least kStableNs old.
      const RssPoint* old = nullptr;
      for (const RssPoint& p : settle_history_) {
        if (now - p.taken_ns >= kStableNs) old = &p;
      }
      if (old != nullptr) {
        const uint64_t growth = s.rss_kb > r_.baseline.rss_kb ? s.rss_kb - r_.baseline.rss_kb : 0;
        const uint64_t tolerance = std::max<uint64_t>(64, growth / 100);
        done = old->rss_kb <= s.rss_kb + tolerance;
      }
    }
  }
  if (!done) return;
  r_.settled = s;
  r_.settle_used_s = static_cast<double>(elapsed) / 1e9;
  if (cfg_.progress) {
    fmt::print(stderr, "[{} {}] settled after {:.1f} s, server RSS {} kB\n", cfg_.scenario,
               cfg_.label, r_.settle_used_s, s.rss_kb);
  }
  ConnectPublishers();
}

void PubSubRun::ConnectPublishers() {
  phase_ = Phase::kConnectingPublishers;
  setup_deadline_ = std::max(setup_deadline_, uv_hrtime() + SecondsToNs(cfg_.setup_timeout_s));
  for (uint32_t i = 0; i < cfg_.publishers && phase_ != Phase::kDone; ++i) {
    pubs_[i].conn = std::make_unique<RespPublisher>(ctx_.get(), &cfg_.resp, this, i, channel_names_,
                                                    cfg_.mode, cfg_.payload);
    pubs_[i].conn->Connect(reinterpret_cast<const sockaddr*>(&cfg_.address));
  }
}

void PubSubRun::OnPublisherReady(uint32_t pub) {
  if (pub == kProbePublisher) {
    if (phase_ == Phase::kProbing) SendProbes();
    return;
  }
  if (pubs_[pub].ready) return;
  pubs_[pub].ready = true;
  if (r_.tls.empty()) r_.tls = pubs_[pub].conn->tls_description();
  if (++ready_pubs_ == cfg_.publishers) StartTraffic();
}

void PubSubRun::StartTraffic() {
  const uint64_t now = uv_hrtime();
  r_.setup_s = static_cast<double>(now - start_ns_) / 1e9 - r_.settle_used_s;
  if (cfg_.warmup_s > 0) {
    phase_ = Phase::kWarmup;
    warmup_deadline_ = now + SecondsToNs(cfg_.warmup_s);
  } else {
    BeginWindow();
  }
  if (cfg_.pacing == Pacing::kRate) {
    pacer_ = std::make_unique<Pacer>(&loop_, [this](uint64_t t) { OnPace(t); });
    const int err = pacer_->Start();
    if (err < 0) {
      Finish(RunStatus::kConnectionFailure, fmt::format("timerfd: {}", uv_strerror(err)));
      return;
    }
    pace_start_ns_ = now;
    pace_period_ns_ = 1e9 / cfg_.rate;
    pacer_->ArmAt(pace_start_ns_);
  } else {
    for (uint32_t i = 0; i < cfg_.publishers; ++i) TopUp(i);
  }
}

void PubSubRun::BeginWindow() {
  phase_ = Phase::kMeasuring;
  r_.begin = Take();
  window_begin_ns_ = r_.begin.taken_ns;
  window_deadline_ = window_begin_ns_ + SecondsToNs(cfg_.duration_s);
  window_open_ = true;
  r_.latency.Reset();
  for (Histogram& h : r_.latency_by_sub) h.Reset();
  r_.send_lag.Reset();
}

void PubSubRun::EndWindow() {
  if (!window_open_) return;
  window_open_ = false;
  r_.end = Take();
  window_end_ns_ = r_.end.taken_ns;
  r_.measured = true;
}

Snapshot PubSubRun::Take() const {
  Snapshot s;
  s.server = SampleProcess(cfg_.server_pid);
  s.taken_ns = uv_hrtime();
  s.sent = r_.sent;
  s.replies = r_.replies;
  s.deliveries = r_.deliveries;
  s.client_cpu_ns = SelfCpuNs();
  return s;
}

bool PubSubRun::MaySend() const {
  return (phase_ == Phase::kWarmup || phase_ == Phase::kMeasuring) &&
         (cfg_.messages == 0 || r_.sent < cfg_.messages);
}

void PubSubRun::SendOne(uint32_t pub, uint64_t stamp_ns) {
  Publisher& p = pubs_[pub];
  const size_t channel = static_cast<size_t>(ChannelOf(p.sent));
  p.conn->Publish(channel, PayloadHeader{pub, p.sent, stamp_ns});
  ++p.sent;
  ++r_.sent;
  r_.expected_deliveries += subs_per_channel_[channel];
}

void PubSubRun::TopUp(uint32_t pub) {
  Publisher& p = pubs_[pub];
  const uint64_t now = uv_hrtime();
  if (cfg_.pacing == Pacing::kPipeline) {
    while (MaySend() && p.sent - p.replied < cfg_.pipeline) SendOne(pub, now);
  } else {
    while (MaySend() && p.sent - p.done < cfg_.window) SendOne(pub, now);
  }
  if (cfg_.messages != 0 && r_.sent >= cfg_.messages && phase_ != Phase::kDraining) BeginDrain();
}

uint64_t PubSubRun::ScheduledAt(uint64_t index) const {
  return pace_start_ns_ + static_cast<uint64_t>(static_cast<double>(index) * pace_period_ns_);
}

void PubSubRun::OnPace(uint64_t now) {
  if (!MaySend()) return;
  uint64_t burst = 0;
  while (MaySend() && burst < kMaxBurst) {
    const uint64_t due = ScheduledAt(paced_);
    if (due > now) break;
    const auto pub = static_cast<uint32_t>(paced_ % cfg_.publishers);
    // The stamp is the schedule, not the clock: a late send counts against the latency, as it
    // would for a real open-loop producer.
    SendOne(pub, due);
    if (window_open_) r_.send_lag.Record(now - due);
    ++paced_;
    ++burst;
  }
  for (Publisher& p : pubs_) {
    p.conn->FlushNow();
    if (p.conn->pending_output() > kMaxPendingOutput) {
      Finish(RunStatus::kConnectionFailure,
             "the server stopped reading a publisher (256 MiB of unsent output)");
      return;
    }
  }
  if (cfg_.messages != 0 && r_.sent >= cfg_.messages) {
    BeginDrain();
    return;
  }
  pacer_->ArmAt(ScheduledAt(paced_));
}

void PubSubRun::OnPublishReply(uint32_t pub, int64_t receivers) {
  if (pub == kProbePublisher) return;
  Publisher& p = pubs_[pub];
  if (p.replied >= p.sent) {
    Finish(RunStatus::kConnectionFailure, "a reply arrived for a PUBLISH that was not sent");
    return;
  }
  // Replies come in order, so this one answers sequence `replied`.
  const auto expected = static_cast<int64_t>(subs_per_channel_[ChannelOf(p.replied)]);
  if (receivers != expected && !cfg_.chain) ++r_.reply_mismatch;
  ++p.replied;
  ++r_.replies;
  if (cfg_.pacing == Pacing::kPipeline) TopUp(pub);
  if (phase_ == Phase::kDraining) CheckDrained();
}

void PubSubRun::OnMessage(uint32_t sub, std::string_view payload, uint64_t now_ns) {
  PayloadHeader h;
  if (payload.size() != cfg_.payload || !DecodeHeader(payload, &h)) {
    ++r_.corrupt;
    return;
  }
  if (h.publisher >= cfg_.publishers || h.sequence >= pubs_[h.publisher].sent) {
    if (h.publisher == kProbePublisher && cfg_.chain) {
      OnProbe(sub);
    } else {
      ++r_.corrupt;
    }
    return;
  }
  if (ChannelOf(h.sequence) != ChannelOf(sub)) {
    ++r_.misrouted;
    return;
  }
  SeqState& st = seq_[static_cast<size_t>(sub) * cfg_.publishers + h.publisher];
  const uint64_t pos = cfg_.channels == 1 ? h.sequence : h.sequence / cfg_.channels;
  if (pos >= st.next) {
    // In order, or after a gap that is lost unless it arrives later.
    const uint64_t shift = pos - st.next + 1;
    st.seen = shift >= 64 ? 1 : (st.seen << shift) | 1;
    st.next = pos + 1;
  } else {
    const uint64_t back = st.next - 1 - pos;
    if (back >= 64 || ((st.seen >> back) & 1) != 0) {
      // Seen already, or too old to tell; TCP from one server can produce neither.
      ++r_.duplicated;
      return;
    }
    st.seen |= uint64_t{1} << back;
    ++r_.reordered;
  }
  ++r_.deliveries;
  last_delivery_ns_ = now_ns;
  if (h.sent_ns >= window_begin_ns_ && h.sent_ns < window_end_ns_) {
    const uint64_t latency = now_ns > h.sent_ns ? now_ns - h.sent_ns : 0;
    r_.latency.Record(latency);
    if (!r_.latency_by_sub.empty()) {
      r_.latency_by_sub[sub % r_.latency_by_sub.size()].Record(latency);
    }
  }
  if (cfg_.pacing == Pacing::kWindow) OnDelivered(h.publisher, h.sequence);
  if (phase_ == Phase::kDraining) CheckDrained();
}

void PubSubRun::OnDelivered(uint32_t pub, uint64_t seq) {
  Publisher& p = pubs_[pub];
  if (seq < p.done) return;
  ++p.ring[seq & ring_mask_];
  bool advanced = false;
  while (p.done < p.sent && p.ring[p.done & ring_mask_] >= subs_per_channel_[ChannelOf(p.done)]) {
    p.ring[p.done & ring_mask_] = 0;
    ++p.done;
    advanced = true;
  }
  if (advanced) TopUp(pub);
}

void PubSubRun::BeginDrain() {
  if (phase_ == Phase::kDone || phase_ == Phase::kDraining) return;
  phase_ = Phase::kDraining;
  drain_deadline_ = uv_hrtime() + SecondsToNs(cfg_.drain_timeout_s);
  if (pacer_) pacer_->Close();
  CheckDrained();
}

void PubSubRun::CheckDrained() {
  if (r_.replies < r_.sent || r_.deliveries < r_.expected_deliveries) return;
  // A run limited by --messages measures until its last message arrived.
  EndWindow();
  Finish(RunStatus::kOk, "");
}

void PubSubRun::OnConnectionError(std::string_view who, std::string_view what) {
  Finish(RunStatus::kConnectionFailure, fmt::format("{}: {}", who, what));
}

void PubSubRun::Finish(RunStatus status, std::string error) {
  if (phase_ == Phase::kDone) return;
  if (window_open_) EndWindow();
  phase_ = Phase::kDone;
  r_.status = status;
  r_.error = std::move(error);
  if (pacer_) pacer_->Close();
  uv_timer_stop(&tick_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  for (auto& s : subs_) s->Close();
  for (Publisher& p : pubs_) {
    if (p.conn) p.conn->Close();
  }
  if (probe_) probe_->Close();
  ctx_->Shutdown();
}

}  // namespace

RunResult RunPubSub(const RunConfig& config) {
  PubSubRun run(config);
  return run.Run();
}

}  // namespace herald::bench
